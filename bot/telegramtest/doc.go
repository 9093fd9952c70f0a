// Package telegramtest is a fake Telegram Bot API for tests and load runs: an
// HTTP server that answers the Bot API methods the bot uses the way
// api.telegram.org does, simulates the people who talk to the bot, and lets a
// test inspect what the bot did and inject failures.
//
// Point go-telegram/bot at it with bot.WithServerURL:
//
//	srv := telegramtest.New("123:secret")
//	defer srv.Close()
//	b, err := bot.New("123:secret", bot.WithServerURL(srv.URL()))
//
// What it does like Telegram:
//
//   - Requests are POST (or GET) /bot<token>/<method>, with multipart/form-data
//     (as go-telegram/bot streams it), application/json or
//     x-www-form-urlencoded parameters; method names are case-insensitive.
//     Every answer is {"ok":true,"result":...} or {"ok":false,"error_code":N,
//     "description":"...","parameters":{"retry_after":N}} with the same HTTP
//     status as error_code, and the descriptions Telegram uses.
//   - Updates stay queued until confirmed: getUpdates long-polls (its timeout
//     is in seconds and it returns as soon as an update arrives), and an offset
//     confirms and drops every update below it, so a bot restarting with an old
//     offset sees the unconfirmed ones again. After setWebhook the server
//     POSTs each update as JSON to the webhook URL, with the
//     X-Telegram-Bot-Api-Secret-Token header: up to max_connections (default
//     40) at a time, updates of different chats concurrently but those of one
//     chat one at a time and in order, and with max_connections 1 all of them
//     one at a time in update_id order. An update whose answer was not 2xx is
//     retried after a short backoff, and the next updates of its chat wait
//     until it is delivered.
//   - Texts are checked: empty or too long texts, HTML that Telegram cannot
//     parse (the parser follows Telegram's own: supported tags, byte offsets in
//     the error, &lt; &gt; &amp; &quot; and numeric entities), callback data
//     over 64 bytes, "message is not modified" edits, and callback queries
//     answered twice or too late. Whitespace around a text is trimmed and HTML
//     is turned into a plain text plus entities, as the API reports it.
//   - Files the bot uploads or people send are stored and served by getFile
//     and GET /file/bot<token>/<file_path>; a photo gets several PhotoSize
//     entries, the largest being the bytes as sent (WithoutThumbnails, every
//     entry is the bytes as sent).
//
// People are simulated with a User and the Server's SendText, SendCommand,
// SendPhoto, SendAlbum, SendDocument, SendSticker, SendLocation, Press, Block
// and Unblock, which enqueue updates in private chats (chat id = user id).
// SetFault and FailNext make chosen calls fail with 429, 5xx, 403 or any
// other answer. Calls, Messages, LastMessage, LastKeyboardMessage,
// CallbackAnswers, Commands, Deliveries, Wait and WaitMessage let a test look
// at the result; they are safe to use from any goroutine while the bot runs.
//
// For load runs, where many simulated people talk to the bot for minutes:
// WithCallHook and WithEnqueueHook report every Bot API call and every new
// update as it happens, for measuring latency without polling the server;
// WithoutHistory bounds the memory the server keeps (the last calls,
// deliveries and messages only); WithoutThumbnails spares the CPU that
// scaling photos would cost.
//
// A chat exists once its user has sent something: sending to any other chat
// answers 400 "Bad Request: chat not found", as Telegram does for a user who
// never started the bot.
package telegramtest
