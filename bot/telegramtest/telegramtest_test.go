package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

const token = "123456:test-token"

var (
	lan  = User{ID: 1001, FirstName: "Lan", LanguageCode: "vi"}
	minh = User{ID: 1002, FirstName: "Minh", LanguageCode: "en"}
)

// newServer starts a fake and a go-telegram/bot client for it; the user lan
// has already said /start, so her chat exists.
func newServer(t *testing.T, opts ...Option) (*Server, *bot.Bot) {
	t.Helper()
	srv := New(token, opts...)
	t.Cleanup(srv.Close)
	b, err := bot.New(token, bot.WithServerURL(srv.URL()), bot.WithSkipGetMe())
	if err != nil {
		t.Fatal(err)
	}
	srv.SendCommand(lan, "/start")
	return srv, b
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func keyboard(rows ...[]models.InlineKeyboardButton) *models.InlineKeyboardMarkup {
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

func TestGetMeAndWrongToken(t *testing.T) {
	t.Parallel()
	srv := New(token)
	defer srv.Close()

	b, err := bot.New(token, bot.WithServerURL(srv.URL()))
	if err != nil {
		t.Fatalf("bot.New with getMe: %v", err)
	}
	me, err := b.GetMe(ctxTimeout(t))
	if err != nil || me.ID != 123456 || !me.IsBot || me.Username != "hoctap_test_bot" {
		t.Fatalf("getMe = %+v, %v", me, err)
	}

	_, err = bot.New("999:wrong", bot.WithServerURL(srv.URL()))
	if !errors.Is(err, bot.ErrorUnauthorized) {
		t.Fatalf("bot.New with a wrong token: %v, want unauthorized", err)
	}

	for _, tc := range []struct {
		path       string
		wantStatus int
		wantBody   string
	}{
		{"/bot999:wrong/getMe", 401, `{"ok":false,"error_code":401,"description":"Unauthorized"}`},
		{"/bot" + token + "/noSuchMethod", 404, `{"ok":false,"error_code":404,"description":"Not Found"}`},
		{"/elsewhere", 404, `{"ok":false,"error_code":404,"description":"Not Found"}`},
		{"/bot" + token + "/GETME", 200, `{"ok":true,"result":{"id":123456,"is_bot":true,"first_name":"Hoctap Test","username":"hoctap_test_bot","can_join_groups":true}}`},
	} {
		resp, err := http.Post(srv.URL()+tc.path, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.wantStatus || string(body) != tc.wantBody {
			t.Errorf("POST %s = %d %s, want %d %s", tc.path, resp.StatusCode, body, tc.wantStatus, tc.wantBody)
		}
	}
}

func TestSendMessageWithKeyboardAndHTML(t *testing.T) {
	t.Parallel()
	srv, b := newServer(t)
	ctx := ctxTimeout(t)

	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{
		ChatID:    lan.ID,
		Text:      "  <b>Câu 1</b>: Gia đình có &lt;3 con?\n",
		ParseMode: models.ParseModeHTML,
		ReplyMarkup: keyboard(
			[]models.InlineKeyboardButton{{Text: "Có", CallbackData: "q1:yes:r3"}, {Text: "Không", CallbackData: "q1:no:r3"}},
			[]models.InlineKeyboardButton{{Text: "Hướng dẫn", URL: "https://example.org/help"}},
		),
	})
	if err != nil {
		t.Fatal(err)
	}
	wantText := "Câu 1: Gia đình có <3 con?"
	if msg.Text != wantText || msg.Chat.ID != lan.ID || msg.From == nil || !msg.From.IsBot {
		t.Errorf("result = %q in chat %d from %+v", msg.Text, msg.Chat.ID, msg.From)
	}
	if want := []models.MessageEntity{{Type: models.MessageEntityTypeBold, Offset: 0, Length: 5}}; !reflect.DeepEqual(msg.Entities, want) {
		t.Errorf("entities = %+v, want %+v", msg.Entities, want)
	}
	if msg.ReplyMarkup == nil || len(msg.ReplyMarkup.InlineKeyboard) != 2 {
		t.Errorf("reply markup = %+v", msg.ReplyMarkup)
	}
	if msg.ID != 2 { // the user's /start was message 1
		t.Errorf("message id = %d, want 2", msg.ID)
	}

	got, ok := srv.LastMessage(lan.ID)
	if !ok {
		t.Fatal("no message stored")
	}
	wantKB := [][]Button{
		{{Text: "Có", CallbackData: "q1:yes:r3"}, {Text: "Không", CallbackData: "q1:no:r3"}},
		{{Text: "Hướng dẫn", URL: "https://example.org/help"}},
	}
	if got.Text != wantText || got.ParseMode != "HTML" || !strings.Contains(got.Source, "<b>Câu 1</b>") || !reflect.DeepEqual(got.Keyboard, wantKB) {
		t.Errorf("stored message = %+v", got)
	}

	id, data, ok := srv.Button(lan.ID, "Không")
	if !ok || id != msg.ID || data != "q1:no:r3" {
		t.Fatalf("Button = %d %q %v", id, data, ok)
	}
	upd := srv.Press(lan, id, data)
	q := upd.CallbackQuery
	if q == nil || q.Data != "q1:no:r3" || q.From.ID != lan.ID || q.Message.Message == nil || q.Message.Message.ID != msg.ID || q.Message.Message.Text != wantText {
		t.Errorf("press update = %+v", q)
	}

	// A reply keyboard removal is accepted and remembered.
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: lan.ID, Text: "ok", ReplyMarkup: &models.ReplyKeyboardRemove{RemoveKeyboard: true}}); err != nil {
		t.Fatal(err)
	}
	if last, _ := srv.LastMessage(lan.ID); !last.RemoveKeyboard || last.Keyboard != nil {
		t.Errorf("remove_keyboard message = %+v", last)
	}
}

func TestSendMessageRejects(t *testing.T) {
	t.Parallel()
	srv, b := newServer(t)
	ctx := ctxTimeout(t)
	btn := func(data string) models.ReplyMarkup {
		return keyboard([]models.InlineKeyboardButton{{Text: "x", CallbackData: data}})
	}

	for _, tc := range []struct {
		name   string
		params bot.SendMessageParams
		want   string
	}{
		{"empty text", bot.SendMessageParams{ChatID: lan.ID, Text: ""}, "Bad Request: message text is empty"},
		{"only spaces", bot.SendMessageParams{ChatID: lan.ID, Text: " \n "}, "Bad Request: message text is empty"},
		{"too long", bot.SendMessageParams{ChatID: lan.ID, Text: strings.Repeat("ă", 4097)}, "Bad Request: message is too long"},
		{"unknown chat", bot.SendMessageParams{ChatID: 777, Text: "hi"}, "Bad Request: chat not found"},
		{"unsupported tag", bot.SendMessageParams{ChatID: lan.ID, Text: "a<br>b", ParseMode: models.ParseModeHTML},
			`Bad Request: can't parse entities: Unsupported start tag "br" at byte offset 1`},
		{"bare less-than", bot.SendMessageParams{ChatID: lan.ID, Text: "1 < 2", ParseMode: models.ParseModeHTML},
			`Bad Request: can't parse entities: Unsupported start tag "" at byte offset 2`},
		{"unclosed tag", bot.SendMessageParams{ChatID: lan.ID, Text: "<b>bold", ParseMode: models.ParseModeHTML},
			"Bad Request: can't parse entities: Can't find end tag corresponding to start tag b"},
		{"unbalanced tags", bot.SendMessageParams{ChatID: lan.ID, Text: "<b><i>x</b></i>", ParseMode: models.ParseModeHTML},
			`Bad Request: can't parse entities: Unmatched end tag at byte offset 7, expected "</i>", found "</b>"`},
		{"callback data too long", bot.SendMessageParams{ChatID: lan.ID, Text: "hi", ReplyMarkup: btn(strings.Repeat("x", 65))},
			"Bad Request: BUTTON_DATA_INVALID"},
		{"markdown reserved", bot.SendMessageParams{ChatID: lan.ID, Text: "Xong.", ParseMode: models.ParseModeMarkdown},
			`Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\'`},
		{"unknown parse mode", bot.SendMessageParams{ChatID: lan.ID, Text: "x", ParseMode: "BBCode"}, "Bad Request: unsupported parse_mode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(srv.Messages(lan.ID))
			_, err := b.SendMessage(ctx, &tc.params)
			if !errors.Is(err, bot.ErrorBadRequest) || !strings.HasSuffix(err.Error(), ", "+tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if after := len(srv.Messages(lan.ID)); after != before {
				t.Errorf("a rejected message was stored")
			}
		})
	}

	// Exactly 64 bytes of callback data and 4096 characters are fine.
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: lan.ID, Text: strings.Repeat("ă", 4096), ReplyMarkup: btn(strings.Repeat("x", 64))}); err != nil {
		t.Errorf("limits: %v", err)
	}
}

func TestParseHTML(t *testing.T) {
	t.Parallel()
	ent := func(typ models.MessageEntityType, off, n int) models.MessageEntity {
		return models.MessageEntity{Type: typ, Offset: off, Length: n}
	}
	for _, tc := range []struct {
		in       string
		text     string
		entities []models.MessageEntity
		err      string
	}{
		{in: "plain", text: "plain"},
		{in: "&lt;&gt;&amp;&quot;&laquo;&#65;&#x42;", text: `<>&"&laquo;AB`},
		{in: "<b>đậm</b> <i>nghiêng</i>", text: "đậm nghiêng", entities: []models.MessageEntity{
			ent(models.MessageEntityTypeBold, 0, 3), ent(models.MessageEntityTypeItalic, 4, 7)}},
		{in: "🏟 <u>🏟</u>", text: "🏟 🏟", entities: []models.MessageEntity{ent(models.MessageEntityTypeUnderline, 3, 2)}},
		{in: "<strong><em>x</em></strong>", text: "x", entities: []models.MessageEntity{
			ent(models.MessageEntityTypeBold, 0, 1), ent(models.MessageEntityTypeItalic, 0, 1)}},
		{in: `<a href="https://t.me/x?a=1&amp;b=2">link</a>`, text: "link", entities: []models.MessageEntity{
			{Type: models.MessageEntityTypeTextLink, Offset: 0, Length: 4, URL: "https://t.me/x?a=1&b=2"}}},
		{in: `<pre><code class="language-go">x := 1</code></pre>`, text: "x := 1", entities: []models.MessageEntity{
			{Type: models.MessageEntityTypePre, Offset: 0, Length: 6, Language: "go"}}},
		{in: "<tg-spoiler>s</tg-spoiler><span class=\"tg-spoiler\">t</span><s>u</s><del>v</del><blockquote>w</blockquote><code>c</code>",
			text: "stuvwc", entities: []models.MessageEntity{
				ent(models.MessageEntityTypeSpoiler, 0, 1), ent(models.MessageEntityTypeSpoiler, 1, 1),
				ent(models.MessageEntityTypeStrikethrough, 2, 1), ent(models.MessageEntityTypeStrikethrough, 3, 1),
				ent(models.MessageEntityTypeBlockquote, 4, 1), ent(models.MessageEntityTypeCode, 5, 1)}},
		{in: "<b></b>x", text: "x"},
		{in: "<i>a</>", text: "a", entities: []models.MessageEntity{ent(models.MessageEntityTypeItalic, 0, 1)}},
		{in: "🏟 🏟&lt;<abacaba", err: "Unclosed start tag at byte offset 13"},
		{in: "🏟 🏟&lt;<abac aba>", err: `Unsupported start tag "abac" at byte offset 13`},
		{in: "🏟 🏟&lt;<i   =aba>", err: `Empty attribute name in the tag "i" at byte offset 13`},
		{in: "🏟 🏟&lt;<i    aba>", err: `Expected equal sign in declaration of an attribute of the tag "i" at byte offset 13`},
		{in: "🏟 🏟&lt;<i    aba  =  ", err: `Unclosed start tag "i" at byte offset 13`},
		{in: "🏟 🏟&lt;<i    aba  =  190azAz-.,", err: "Unexpected end of name token at byte offset 27"},
		{in: "🏟 🏟&lt;</", err: "Unexpected end tag at byte offset 13"},
		{in: "🏟 🏟&lt;<i>a</i   ", err: "Unclosed end tag at byte offset 17"},
		{in: "🏟 🏟&lt;<i>a</em   >", err: `Unmatched end tag at byte offset 17, expected "</i>", found "</em>"`},
		{in: `<span class="x">a</span>`, err: `Tag "span" must have class "tg-spoiler" at byte offset 0`},
		{in: "&#xDFDF;", err: "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units"},
	} {
		text, entities, err := parseHTML(tc.in)
		switch {
		case tc.err != "":
			if err == nil || err.Error() != tc.err {
				t.Errorf("parseHTML(%q) error = %v, want %q", tc.in, err, tc.err)
			}
		case err != nil:
			t.Errorf("parseHTML(%q): %v", tc.in, err)
		case text != tc.text || !reflect.DeepEqual(entities, tc.entities):
			t.Errorf("parseHTML(%q) = %q %+v, want %q %+v", tc.in, text, entities, tc.text, tc.entities)
		}
	}
}

func TestEditMessage(t *testing.T) {
	t.Parallel()
	srv, b := newServer(t)
	ctx := ctxTimeout(t)
	kb := keyboard([]models.InlineKeyboardButton{{Text: "Tiếp", CallbackData: "next"}})
	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: lan.ID, Text: "<b>Câu 1</b>", ParseMode: models.ParseModeHTML, ReplyMarkup: kb})
	if err != nil {
		t.Fatal(err)
	}
	const notModified = "bad request, Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"

	// The same text, markup and keyboard: not modified, exactly as Telegram says it.
	_, err = b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: lan.ID, MessageID: msg.ID, Text: "<b>Câu 1</b> ", ParseMode: models.ParseModeHTML, ReplyMarkup: kb})
	if err == nil || err.Error() != notModified {
		t.Fatalf("same edit: %v", err)
	}
	// The same plain text without the bold is a change.
	edited, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: lan.ID, MessageID: msg.ID, Text: "Câu 1", ReplyMarkup: kb})
	if err != nil || edited.EditDate == 0 || len(edited.Entities) != 0 {
		t.Fatalf("edit: %+v, %v", edited, err)
	}
	// Without reply_markup the keyboard goes, as on Telegram.
	if _, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: lan.ID, MessageID: msg.ID, Text: "Câu 1"}); err != nil {
		t.Fatal(err)
	}
	m, _ := srv.LastMessage(lan.ID)
	if m.Edits != 2 || m.Keyboard != nil || m.Text != "Câu 1" {
		t.Errorf("after edits: %+v", m)
	}
	_, err = b.EditMessageReplyMarkup(ctx, &bot.EditMessageReplyMarkupParams{ChatID: lan.ID, MessageID: msg.ID})
	if err == nil || err.Error() != notModified {
		t.Errorf("removing a removed keyboard: %v", err)
	}
	if _, err := b.EditMessageReplyMarkup(ctx, &bot.EditMessageReplyMarkupParams{ChatID: lan.ID, MessageID: msg.ID, ReplyMarkup: kb}); err != nil {
		t.Errorf("adding a keyboard: %v", err)
	}
	if _, _, ok := srv.Button(lan.ID, "Tiếp"); !ok {
		t.Errorf("keyboard not back")
	}

	for _, tc := range []struct {
		name   string
		params bot.EditMessageTextParams
		want   string
	}{
		{"unknown message", bot.EditMessageTextParams{ChatID: lan.ID, MessageID: 999, Text: "x"}, "Bad Request: message to edit not found"},
		{"user's message", bot.EditMessageTextParams{ChatID: lan.ID, MessageID: 1, Text: "x"}, "Bad Request: message can't be edited"},
		{"empty text", bot.EditMessageTextParams{ChatID: lan.ID, MessageID: msg.ID, Text: ""}, "Bad Request: message text is empty"},
	} {
		if _, err := b.EditMessageText(ctx, &tc.params); err == nil || !strings.HasSuffix(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}

	// Deleting works once.
	if ok, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: lan.ID, MessageID: msg.ID}); !ok || err != nil {
		t.Fatalf("delete: %v %v", ok, err)
	}
	if _, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: lan.ID, MessageID: msg.ID}); err == nil || !strings.HasSuffix(err.Error(), "message to delete not found") {
		t.Errorf("second delete: %v", err)
	}
	_, err = b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: lan.ID, MessageID: msg.ID, Text: "x"})
	if err == nil || !strings.HasSuffix(err.Error(), "message to edit not found") {
		t.Errorf("edit after delete: %v", err)
	}
	if msgs := srv.Messages(lan.ID); len(msgs) != 1 || !msgs[0].Deleted {
		t.Errorf("messages after delete: %+v", msgs)
	}
	if _, _, ok := srv.Button(lan.ID, "Tiếp"); ok {
		t.Errorf("Button found on a deleted message")
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	srv, b := newServer(t)
	ctx := ctxTimeout(t)
	send := func() error {
		_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: lan.ID, Text: "nhắc nhở"})
		return err
	}

	srv.FailNext("sendMessage", 2, TooManyRequests(7))
	for range 2 {
		err := send()
		var tooMany *bot.TooManyRequestsError
		if !errors.As(err, &tooMany) || tooMany.RetryAfter != 7 || !strings.Contains(tooMany.Message, "Too Many Requests: retry after 7") {
			t.Fatalf("err = %v, want 429 retry after 7", err)
		}
	}
	if n := len(srv.Messages(lan.ID)); n != 0 {
		t.Fatalf("a faulted call took effect: %d messages", n)
	}
	if err := send(); err != nil {
		t.Fatalf("after the faults: %v", err)
	}

	srv.SetFault(func(method string, chatID int64) *Fault {
		if method == "sendMessage" && chatID == lan.ID {
			return &Fault{Status: 502}
		}
		return nil
	})
	if err := send(); err == nil || !strings.Contains(err.Error(), "502 Bad Gateway") {
		t.Errorf("502 fault: %v", err)
	}
	srv.SetFault(func(string, int64) *Fault { f := ServerError(500); return &f })
	if err := send(); err == nil || !strings.Contains(err.Error(), "500 Internal Server Error") {
		t.Errorf("500 fault: %v", err)
	}
	srv.SetFault(func(string, int64) *Fault { return &Fault{Status: 403} })
	if err := send(); !errors.Is(err, bot.ErrorForbidden) {
		t.Errorf("403 fault: %v", err)
	}
	srv.SetFault(nil)

	var faulted []Call
	for _, c := range srv.Calls() {
		if c.Fault != nil {
			faulted = append(faulted, c)
		}
	}
	if len(faulted) != 5 || faulted[0].Status != 429 || faulted[0].ChatID != lan.ID || faulted[0].Params["text"] != "nhắc nhở" {
		t.Errorf("faulted calls = %+v", faulted)
	}

	// The raw answer carries parameters.retry_after as Telegram's does.
	srv.FailNext("getMe", 1, TooManyRequests(3))
	resp, err := http.Get(srv.URL() + "/bot" + token + "/getMe")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}`; resp.StatusCode != 429 || string(body) != want {
		t.Errorf("429 answer = %d %s", resp.StatusCode, body)
	}
}

func TestBlock(t *testing.T) {
	t.Parallel()
	srv, b := newServer(t)
	ctx := ctxTimeout(t)
	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: lan.ID, Text: "xin chào"})
	if err != nil {
		t.Fatal(err)
	}

	upd := srv.Block(lan)
	if cm := upd.MyChatMember; cm == nil || cm.NewChatMember.Type != models.ChatMemberTypeBanned || cm.OldChatMember.Type != models.ChatMemberTypeMember || cm.Chat.ID != lan.ID {
		t.Fatalf("block update = %+v", upd.MyChatMember)
	}
	if !srv.Blocked(lan.ID) {
		t.Error("Blocked = false")
	}
	_, err = b.SendMessage(ctx, &bot.SendMessageParams{ChatID: lan.ID, Text: "nhắc nhở"})
	if !errors.Is(err, bot.ErrorForbidden) || !strings.HasSuffix(err.Error(), "Forbidden: bot was blocked by the user") {
		t.Errorf("send to a blocked user: %v", err)
	}
	_, err = b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: lan.ID, MessageID: msg.ID, Text: "x"})
	if !errors.Is(err, bot.ErrorForbidden) {
		t.Errorf("edit for a blocked user: %v", err)
	}

	upd = srv.Unblock(lan)
	if cm := upd.MyChatMember; cm == nil || cm.NewChatMember.Type != models.ChatMemberTypeMember {
		t.Fatalf("unblock update = %+v", upd.MyChatMember)
	}
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: lan.ID, Text: "chào lại"}); err != nil {
		t.Errorf("send after unblock: %v", err)
	}
}

// testPNG is a w x h picture with a gradient.
func testPNG(t *testing.T, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		x, y := i/4%w, i/4/w
		copy(img.Pix[i:], []byte{uint8(x), uint8(y), 100, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func download(t *testing.T, link string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func TestSendPhotoUpload(t *testing.T) {
	t.Parallel()
	srv, b := newServer(t)
	ctx := ctxTimeout(t)
	data := testPNG(t, 1000, 500)

	msg, err := b.SendPhoto(ctx, &bot.SendPhotoParams{
		ChatID:    lan.ID,
		Photo:     &models.InputFileUpload{Filename: "chart.png", Data: bytes.NewReader(data)},
		Caption:   "<i>Tiến độ</i>",
		ParseMode: models.ParseModeHTML,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Photo) != 4 || msg.Caption != "Tiến độ" || len(msg.CaptionEntities) != 1 {
		t.Fatalf("result = %+v", msg)
	}
	largest := msg.Photo[len(msg.Photo)-1]
	if largest.Width != 1000 || largest.Height != 500 || largest.FileSize != len(data) {
		t.Errorf("largest size = %+v", largest)
	}
	stored, _ := srv.LastMessage(lan.ID)
	if !bytes.Equal(stored.Photo, data) || stored.Text != "Tiến độ" || stored.FileID != largest.FileID {
		t.Errorf("stored photo: %d bytes, text %q", len(stored.Photo), stored.Text)
	}
	var call Call
	for _, c := range srv.Calls() {
		if c.Method == "sendPhoto" {
			call = c
		}
	}
	if call.Params["photo"] != "@chart.png" {
		t.Errorf("call params = %v", call.Params)
	}

	// Sent again by file_id, the same file.
	again, err := b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: lan.ID, Photo: &models.InputFileString{Data: largest.FileID}})
	if err != nil || again.Photo[len(again.Photo)-1].FileID != largest.FileID {
		t.Fatalf("resend by file_id: %+v, %v", again, err)
	}
	_, err = b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: lan.ID, Photo: &models.InputFileString{Data: "no-such-file"}})
	if err == nil || !strings.HasSuffix(err.Error(), "Bad Request: wrong file identifier/HTTP URL specified") {
		t.Errorf("unknown file_id: %v", err)
	}

	// An album of photos sent again by file_id: each a message of one
	// group, the caption on the first; Telegram takes 2 to 10.
	album, err := b.SendMediaGroup(ctx, &bot.SendMediaGroupParams{ChatID: lan.ID, Media: []models.InputMedia{
		&models.InputMediaPhoto{Media: largest.FileID, Caption: "<b>1.1</b> học bạ", ParseMode: models.ParseModeHTML},
		&models.InputMediaPhoto{Media: again.Photo[len(again.Photo)-1].FileID},
	}})
	if err != nil || len(album) != 2 || album[0].MediaGroupID == "" || album[0].MediaGroupID != album[1].MediaGroupID ||
		album[0].Caption != "1.1 học bạ" {
		t.Fatalf("sendMediaGroup: %+v, %v", album, err)
	}
	if last, _ := srv.LastMessage(lan.ID); last.Album != album[0].MediaGroupID || !bytes.Equal(last.Photo, data) {
		t.Errorf("the album's last message: %q", last.Album)
	}
	for n, media := range map[string][]models.InputMedia{
		"one photo":     {&models.InputMediaPhoto{Media: largest.FileID}},
		"an unknown id": {&models.InputMediaPhoto{Media: largest.FileID}, &models.InputMediaPhoto{Media: "no-such-file"}},
	} {
		if _, err := b.SendMediaGroup(ctx, &bot.SendMediaGroupParams{ChatID: lan.ID, Media: media}); err == nil || !strings.Contains(err.Error(), "Bad Request") {
			t.Errorf("an album of %s: %v", n, err)
		}
	}

	// A document upload keeps its bytes, name and type.
	doc, err := b.SendDocument(ctx, &bot.SendDocumentParams{
		ChatID:   lan.ID,
		Document: &models.InputFileUpload{Filename: "bao-cao.csv", Data: strings.NewReader("xa,diem\nA,90\n")},
	})
	if err != nil || doc.Document == nil || doc.Document.FileName != "bao-cao.csv" || doc.Document.MimeType != "text/csv" {
		t.Fatalf("sendDocument: %+v, %v", doc.Document, err)
	}
	if last, _ := srv.LastMessage(lan.ID); string(last.Document) != "xa,diem\nA,90\n" || last.FileName != "bao-cao.csv" {
		t.Errorf("stored document = %+v", last)
	}

	if ok, err := b.SendChatAction(ctx, &bot.SendChatActionParams{ChatID: lan.ID, Action: models.ChatActionUploadPhoto}); !ok || err != nil {
		t.Errorf("sendChatAction: %v %v", ok, err)
	}
}

func TestUserFilesDownload(t *testing.T) {
	t.Parallel()
	srv, b := newServer(t)
	ctx := ctxTimeout(t)

	for _, tc := range []struct {
		name      string
		data      []byte
		wantSizes [][2]int
	}{
		{"png", testPNG(t, 1000, 600), [][2]int{{90, 54}, {320, 192}, {800, 480}, {1000, 600}}},
		{"small portrait", testPNG(t, 200, 300), [][2]int{{60, 90}, {200, 300}}},
		{"not an image", []byte("not really a jpeg"), [][2]int{{90, 67}, {320, 240}, {800, 600}, {1280, 960}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			upd := srv.SendPhoto(minh, tc.data, "nhà văn hoá")
			m := upd.Message
			if m == nil || m.Caption != "nhà văn hoá" || len(m.Photo) != len(tc.wantSizes) {
				t.Fatalf("update = %+v", m)
			}
			for i, ps := range m.Photo {
				if [2]int{ps.Width, ps.Height} != tc.wantSizes[i] {
					t.Errorf("size %d = %dx%d, want %v", i, ps.Width, ps.Height, tc.wantSizes[i])
				}
			}
			// Every size is a file; the largest is the photo as sent.
			for i, ps := range m.Photo {
				f, err := b.GetFile(ctx, &bot.GetFileParams{FileID: ps.FileID})
				if err != nil {
					t.Fatal(err)
				}
				link := b.FileDownloadLink(f)
				if !strings.HasPrefix(link, srv.URL()+"/file/bot"+token+"/") {
					t.Errorf("download link %q not on the fake", link)
				}
				status, body := download(t, link)
				if status != 200 || int64(len(body)) != f.FileSize {
					t.Fatalf("download = %d, %d bytes", status, len(body))
				}
				if i == len(m.Photo)-1 {
					if !bytes.Equal(body, tc.data) {
						t.Errorf("largest size is not the photo as sent")
					}
					continue
				}
				cfg, err := jpeg.DecodeConfig(bytes.NewReader(body))
				if err != nil || cfg.Width != ps.Width || cfg.Height != ps.Height {
					t.Errorf("thumbnail %d: %+v, %v", i, cfg, err)
				}
			}
		})
	}

	upd := srv.SendDocument(minh, []byte("%PDF-1.4"), "giay-to.pdf", "")
	if d := upd.Message.Document; d == nil || d.MimeType != "application/pdf" || d.FileName != "giay-to.pdf" || d.FileSize != 8 {
		t.Errorf("document update = %+v", upd.Message.Document)
	}
	big := srv.SendDocument(minh, make([]byte, 20<<20+1), "video.mp4", "video/mp4")
	_, err := b.GetFile(ctx, &bot.GetFileParams{FileID: big.Message.Document.FileID})
	if err == nil || !strings.HasSuffix(err.Error(), "Bad Request: file is too big") {
		t.Errorf("getFile of a big file: %v", err)
	}
	if _, err := b.GetFile(ctx, &bot.GetFileParams{FileID: "nope"}); !errors.Is(err, bot.ErrorBadRequest) {
		t.Errorf("getFile of an unknown file: %v", err)
	}
	if status, _ := download(t, srv.URL()+"/file/bot"+token+"/photos/nope.jpg"); status != 404 {
		t.Errorf("unknown file: %d", status)
	}
	if status, _ := download(t, srv.URL()+"/file/bot1:x/photos/file_1.jpg"); status != 401 {
		t.Errorf("wrong token: %d", status)
	}

	if s := srv.SendSticker(minh).Message.Sticker; s == nil || s.FileID == "" || s.Emoji == "" {
		t.Errorf("sticker = %+v", s)
	}
	if l := srv.SendLocation(minh, 21.03, 105.85).Message.Location; l == nil || l.Latitude != 21.03 || l.Longitude != 105.85 {
		t.Errorf("location = %+v", l)
	}
}

func TestSendAlbumAndCommand(t *testing.T) {
	t.Parallel()
	srv := New(token)
	defer srv.Close()

	ups := srv.SendAlbum(lan, [][]byte{testPNG(t, 100, 100), testPNG(t, 120, 80), []byte("x")})
	if len(ups) != 3 {
		t.Fatalf("%d updates", len(ups))
	}
	group := ups[0].Message.MediaGroupID
	for i, u := range ups {
		if u.Message.MediaGroupID != group || group == "" || len(u.Message.Photo) == 0 {
			t.Errorf("update %d: group %q, %d sizes", i, u.Message.MediaGroupID, len(u.Message.Photo))
		}
		if i > 0 && (u.ID != ups[i-1].ID+1 || u.Message.ID != ups[i-1].Message.ID+1) {
			t.Errorf("update %d: ids not increasing", i)
		}
	}
	if next := srv.SendAlbum(lan, [][]byte{[]byte("y")}); next[0].Message.MediaGroupID == group {
		t.Error("two albums share a media_group_id")
	}

	cmd := srv.SendCommand(minh, "start inv_42").Message
	if cmd.Text != "/start inv_42" || !reflect.DeepEqual(cmd.Entities, []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: 0, Length: 6}}) {
		t.Errorf("command = %q %+v", cmd.Text, cmd.Entities)
	}
	if cmd.From.LanguageCode != "en" || cmd.Chat.ID != minh.ID || cmd.Chat.Type != models.ChatTypePrivate {
		t.Errorf("command from %+v in %+v", cmd.From, cmd.Chat)
	}
	if txt := srv.SendText(minh, "xin chào").Message; len(txt.Entities) != 0 {
		t.Errorf("plain text entities = %+v", txt.Entities)
	}
}

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestAnswerCallbackQuery(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	srv, b := newServer(t, WithClock(clock.now))
	ctx := ctxTimeout(t)
	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: lan.ID, Text: "Chọn", ReplyMarkup: keyboard(
		[]models.InlineKeyboardButton{{Text: "Đạt", CallbackData: "c1:ok"}})})
	if err != nil {
		t.Fatal(err)
	}
	const tooOld = "Bad Request: query is too old and response timeout expired or query ID is invalid"
	answer := func(id string) error {
		_, err := b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: id, Text: "Đã lưu"})
		return err
	}

	upd, err := srv.PressButton(lan, "Đạt")
	if err != nil {
		t.Fatal(err)
	}
	if err := answer(upd.CallbackQuery.ID); err != nil {
		t.Fatalf("first answer: %v", err)
	}
	if err := answer(upd.CallbackQuery.ID); err == nil || !strings.HasSuffix(err.Error(), tooOld) {
		t.Errorf("second answer: %v", err)
	}
	if err := answer("12345"); err == nil || !strings.HasSuffix(err.Error(), tooOld) {
		t.Errorf("unknown id: %v", err)
	}
	late := srv.Press(lan, msg.ID, "c1:ok")
	clock.add(16 * time.Second)
	if err := answer(late.CallbackQuery.ID); err == nil || !strings.HasSuffix(err.Error(), tooOld) {
		t.Errorf("late answer: %v", err)
	}

	answers := srv.CallbackAnswers(lan.ID)
	if len(answers) != 1 || answers[0].Text != "Đã lưu" || answers[0].MessageID != msg.ID || answers[0].Data != "c1:ok" {
		t.Errorf("answers = %+v", answers)
	}
	if _, err := srv.PressButton(lan, "Không có"); err == nil {
		t.Error("PressButton of a missing button did not fail")
	}
	// The fault function sees the chat of the query.
	var seen int64
	srv.SetFault(func(method string, chatID int64) *Fault {
		if method == "answerCallbackQuery" {
			seen = chatID
		}
		return nil
	})
	_ = answer(srv.Press(lan, msg.ID, "c1:ok").CallbackQuery.ID)
	if seen != lan.ID {
		t.Errorf("fault saw chat %d", seen)
	}
}

// apiResponse is a Bot API answer, read by the raw client below.
type apiResponse struct {
	status      int
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
}

// rawCall calls a method with URL-encoded parameters; go-telegram/bot does
// not export getUpdates.
func rawCall(ctx context.Context, t *testing.T, srv *Server, method string, params url.Values) apiResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL()+"/bot"+token+"/"+method, strings.NewReader(params.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r apiResponse
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	r.status = resp.StatusCode
	return r
}

// poll calls getUpdates and returns the update ids.
func poll(ctx context.Context, t *testing.T, srv *Server, offset int64, timeout int) ([]int64, apiResponse) {
	t.Helper()
	r := rawCall(ctx, t, srv, "getUpdates", url.Values{"offset": {fmt.Sprint(offset)}, "timeout": {fmt.Sprint(timeout)}})
	if !r.OK {
		return nil, r
	}
	var ups []models.Update
	if err := json.Unmarshal(r.Result, &ups); err != nil {
		t.Fatal(err)
	}
	ids := []int64{}
	for _, u := range ups {
		ids = append(ids, u.ID)
	}
	return ids, r
}

func TestGetUpdates(t *testing.T) {
	t.Parallel()
	srv := New(token)
	defer srv.Close()
	ctx := ctxTimeout(t)

	a := srv.SendText(lan, "một").ID
	b := srv.SendText(minh, "hai").ID
	if ids, _ := poll(ctx, t, srv, 0, 0); !reflect.DeepEqual(ids, []int64{a, b}) {
		t.Fatalf("first poll = %v", ids)
	}
	// Not confirmed yet: a bot restarting from scratch sees them again.
	if ids, _ := poll(ctx, t, srv, 0, 0); !reflect.DeepEqual(ids, []int64{a, b}) {
		t.Fatalf("poll again = %v", ids)
	}
	// offset confirms everything below it, for good.
	if ids, _ := poll(ctx, t, srv, b, 0); !reflect.DeepEqual(ids, []int64{b}) {
		t.Fatalf("poll from %d = %v", b, ids)
	}
	if ids, _ := poll(ctx, t, srv, 0, 0); !reflect.DeepEqual(ids, []int64{b}) {
		t.Fatalf("poll after confirming %d = %v", a, ids)
	}
	if ids, _ := poll(ctx, t, srv, b+1, 0); len(ids) != 0 || srv.Pending() != 0 {
		t.Fatalf("poll after confirming all = %v, %d pending", ids, srv.Pending())
	}

	// limit and a negative offset.
	for range 5 {
		srv.SendText(lan, "x")
	}
	r := rawCall(ctx, t, srv, "getUpdates", url.Values{"limit": {"2"}})
	var two []models.Update
	_ = json.Unmarshal(r.Result, &two)
	if len(two) != 2 {
		t.Errorf("limit 2 gave %d updates", len(two))
	}
	if ids, _ := poll(ctx, t, srv, -1, 0); len(ids) != 1 || srv.Pending() != 1 {
		t.Errorf("offset -1 = %v, %d pending", ids, srv.Pending())
	}
	last := srv.SendText(lan, "y").ID
	poll(ctx, t, srv, last+1, 0)

	// A long poll with nothing queued waits out its timeout...
	start := time.Now()
	if ids, r := poll(ctx, t, srv, last+1, 1); len(ids) != 0 || !r.OK || time.Since(start) < 900*time.Millisecond {
		t.Errorf("empty long poll = %v %+v after %v", ids, r, time.Since(start))
	}
	// ...and returns as soon as someone writes.
	type result struct {
		ids     []int64
		elapsed time.Duration
	}
	srv.mu.Lock()
	gen := srv.pollGen
	srv.mu.Unlock()
	done := make(chan result)
	go func() {
		start := time.Now()
		ids, _ := poll(ctx, t, srv, last+1, 30)
		done <- result{ids, time.Since(start)}
	}()
	// Write only once the poll has reached the server and waits.
	if err := srv.Wait(ctx, func(s *Server) bool { s.mu.Lock(); defer s.mu.Unlock(); return s.pollGen > gen }); err != nil {
		t.Fatal(err)
	}
	want := srv.SendText(lan, "đã có").ID
	select {
	case got := <-done:
		if !reflect.DeepEqual(got.ids, []int64{want}) || got.elapsed > 20*time.Second {
			t.Errorf("long poll = %v after %v", got.ids, got.elapsed)
		}
	case <-ctx.Done():
		t.Fatal("long poll did not return when an update arrived")
	}
}

func TestGetUpdatesConflicts(t *testing.T) {
	t.Parallel()
	srv := New(token)
	defer srv.Close()
	ctx := ctxTimeout(t)

	// A second poll ends the first with 409.
	first := make(chan apiResponse)
	go func() {
		_, r := poll(ctx, t, srv, 0, 30)
		first <- r
	}()
	if err := srv.Wait(ctx, func(s *Server) bool { s.mu.Lock(); defer s.mu.Unlock(); return s.pollGen == 1 }); err != nil {
		t.Fatal(err)
	}
	if ids, r := poll(ctx, t, srv, 0, 0); !r.OK || len(ids) != 0 {
		t.Fatalf("second poll = %+v", r)
	}
	if r := <-first; r.status != 409 || r.Description != "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running" {
		t.Errorf("first poll = %d %q", r.status, r.Description)
	}

	// While a webhook is set, getUpdates is refused.
	b, err := bot.New(token, bot.WithServerURL(srv.URL()), bot.WithSkipGetMe())
	if err != nil {
		t.Fatal(err)
	}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer hook.Close()
	if ok, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: hook.URL}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	_, r := poll(ctx, t, srv, 0, 0)
	if r.status != 409 || r.Description != "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" {
		t.Errorf("poll with a webhook = %d %q", r.status, r.Description)
	}
	if ok, err := b.DeleteWebhook(ctx, &bot.DeleteWebhookParams{}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if _, r := poll(ctx, t, srv, 0, 0); !r.OK {
		t.Errorf("poll after deleteWebhook = %+v", r)
	}
}

func TestRedeliver(t *testing.T) {
	t.Parallel()
	srv := New(token)
	defer srv.Close()
	ctx := ctxTimeout(t)

	id := srv.SendText(lan, "một").ID
	poll(ctx, t, srv, id+1, 0) // confirmed and gone
	if err := srv.Redeliver(id); err != nil {
		t.Fatal(err)
	}
	next := srv.SendText(lan, "hai").ID
	// Handed out once more, whatever the offset, in update_id order...
	if ids, _ := poll(ctx, t, srv, id+1, 0); !reflect.DeepEqual(ids, []int64{id, next}) {
		t.Fatalf("poll = %v, want [%d %d]", ids, id, next)
	}
	// ...and then gone.
	if ids, _ := poll(ctx, t, srv, id+1, 0); !reflect.DeepEqual(ids, []int64{next}) {
		t.Fatalf("poll again = %v", ids)
	}
	if err := srv.Redeliver(9999); err == nil {
		t.Error("Redeliver of an unknown update did not fail")
	}
}

func TestWebhook(t *testing.T) {
	t.Parallel()
	srv, b := newServer(t, WithWebhookRetry(time.Millisecond))
	ctx := ctxTimeout(t)

	var (
		mu       sync.Mutex
		received []int64
		secrets  []string
		fails    = map[int64]int{} // update id -> statuses still to answer
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var u models.Update
		if err := json.NewDecoder(r.Body).Decode(&u); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		secrets = append(secrets, r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
		if r.Header.Get("X-Telegram-Bot-Api-Secret-Token") != "s3cr3t_-" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if st := fails[u.ID]; st != 0 {
			delete(fails, u.ID)
			w.WriteHeader(st)
			return
		}
		received = append(received, u.ID)
	}))
	defer hook.Close()

	// With max_connections 1, updates go one at a time in global order,
	// even across chats and retries: the update queued before setWebhook
	// (lan's /start) is delivered first, and minh's waits for lan's retry.
	start := int64(1)
	u2 := srv.SendText(lan, "hai").ID
	mu.Lock()
	fails[u2] = http.StatusInternalServerError
	mu.Unlock()
	u3 := srv.SendText(minh, "ba").ID

	ok, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: hook.URL, SecretToken: "s3cr3t_-", MaxConnections: 1})
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	if err := srv.Wait(ctx, func(s *Server) bool { return s.Pending() == 0 }); err != nil {
		t.Fatalf("waiting for deliveries: %v", err)
	}
	mu.Lock()
	if !reflect.DeepEqual(received, []int64{start, u2, u3}) {
		t.Errorf("received %v, want [%d %d %d] in order", received, start, u2, u3)
	}
	mu.Unlock()
	want := []Delivery{{UpdateID: start, Attempt: 1, Status: 200}, {UpdateID: u2, Attempt: 1, Status: 500}, {UpdateID: u2, Attempt: 2, Status: 200}, {UpdateID: u3, Attempt: 1, Status: 200}}
	if got := strip(srv.Deliveries()); !reflect.DeepEqual(got, want) {
		t.Errorf("deliveries = %+v, want %+v", got, want)
	}
	// A redelivered update comes again, with its update_id.
	if err := srv.Redeliver(u2); err != nil {
		t.Fatal(err)
	}
	if err := srv.Wait(ctx, func(s *Server) bool { return s.Pending() == 0 }); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if !reflect.DeepEqual(received, []int64{start, u2, u3, u2}) {
		t.Errorf("after Redeliver, received %v", received)
	}
	if len(secrets) != 5 || secrets[0] != "s3cr3t_-" {
		t.Errorf("secret headers = %q", secrets)
	}
	mu.Unlock()

	info, err := b.GetWebhookInfo(ctx)
	if err != nil || info.URL != hook.URL || info.MaxConnections != 1 || info.PendingUpdateCount != 0 || info.LastErrorMessage != "Wrong response from the webhook: 500 Internal Server Error" {
		t.Errorf("webhook info = %+v, %v", info, err)
	}

	// A webhook that answers 401 (a wrong secret) gets the update again and again.
	if _, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: hook.URL, SecretToken: "other"}); err != nil {
		t.Fatal(err)
	}
	u4 := srv.SendText(lan, "bốn").ID
	if err := srv.Wait(ctx, func(s *Server) bool {
		n := 0
		for _, d := range s.Deliveries() {
			if d.UpdateID == u4 && d.Status == http.StatusUnauthorized {
				n++
			}
		}
		return n >= 3
	}); err != nil {
		t.Fatal(err)
	}
	// Removing the webhook keeps the update for getUpdates.
	if _, err := b.DeleteWebhook(ctx, &bot.DeleteWebhookParams{}); err != nil {
		t.Fatal(err)
	}
	if ids, _ := poll(ctx, t, srv, 0, 0); !reflect.DeepEqual(ids, []int64{u4}) {
		t.Errorf("after deleteWebhook, poll = %v", ids)
	}
	if _, err := b.DeleteWebhook(ctx, &bot.DeleteWebhookParams{DropPendingUpdates: true}); err != nil || srv.Pending() != 0 {
		t.Errorf("drop_pending_updates: %v, %d pending", err, srv.Pending())
	}

	_, err = b.SetWebhook(ctx, &bot.SetWebhookParams{URL: hook.URL, SecretToken: "not allowed!"})
	if !errors.Is(err, bot.ErrorBadRequest) {
		t.Errorf("bad secret token: %v", err)
	}
}

// strip drops what varies from deliveries.
func strip(ds []Delivery) []Delivery {
	for i := range ds {
		ds[i].Time, ds[i].Err = time.Time{}, ""
	}
	return ds
}

func TestRequestEncodings(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t)
	ctx := ctxTimeout(t)

	kb := `{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}`
	jsonBody := fmt.Sprintf(`{"chat_id":%d,"text":"json","reply_markup":%s,"disable_notification":true}`, lan.ID, kb)
	resp, err := http.Post(srv.URL()+"/bot"+token+"/sendMessage", "application/json", strings.NewReader(jsonBody))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("JSON request: %d", resp.StatusCode)
	}
	if r := rawCall(ctx, t, srv, "sendMessage", url.Values{"chat_id": {fmt.Sprint(lan.ID)}, "text": {"form"}, "reply_markup": {kb}}); !r.OK {
		t.Fatalf("form request: %+v", r)
	}
	msgs := srv.Messages(lan.ID)
	if len(msgs) != 2 || msgs[0].Text != "json" || msgs[1].Text != "form" || msgs[0].Keyboard[0][0].CallbackData != "a" {
		t.Errorf("messages = %+v", msgs)
	}
	calls := srv.Calls()
	if p := calls[0].Params; p["disable_notification"] != "true" || p["reply_markup"] != kb || calls[0].ChatID != lan.ID {
		t.Errorf("JSON params = %v", p)
	}
}

func TestCommands(t *testing.T) {
	t.Parallel()
	srv, b := newServer(t)
	ctx := ctxTimeout(t)
	vi := []models.BotCommand{{Command: "start", Description: "Bắt đầu"}, {Command: "tien_do", Description: "Xem tiến độ"}}
	en := []models.BotCommand{{Command: "start", Description: "Start"}}
	chat := &models.BotCommandScopeChat{ChatID: lan.ID}

	for _, p := range []*bot.SetMyCommandsParams{
		{Commands: vi, LanguageCode: "vi"},
		{Commands: en},
		{Commands: en[:1], Scope: chat},
	} {
		if ok, err := b.SetMyCommands(ctx, p); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	for _, tc := range []struct {
		scope models.BotCommandScope
		lang  string
		want  []models.BotCommand
	}{
		{nil, "vi", vi},
		{&models.BotCommandScopeDefault{}, "vi", vi},
		{nil, "", en},
		{chat, "", en[:1]},
		{&models.BotCommandScopeAllPrivateChats{}, "", nil},
	} {
		if got := srv.Commands(tc.scope, tc.lang); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Commands(%T, %q) = %v, want %v", tc.scope, tc.lang, got, tc.want)
		}
	}
	got, err := b.GetMyCommands(ctx, &bot.GetMyCommandsParams{LanguageCode: "vi"})
	if err != nil || !reflect.DeepEqual(got, vi) {
		t.Errorf("getMyCommands = %v, %v", got, err)
	}
	if ok, err := b.DeleteMyCommands(ctx, &bot.DeleteMyCommandsParams{LanguageCode: "vi"}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if got, err := b.GetMyCommands(ctx, &bot.GetMyCommandsParams{LanguageCode: "vi"}); err != nil || len(got) != 0 {
		t.Errorf("after delete: %v, %v", got, err)
	}
	_, err = b.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: []models.BotCommand{{Command: "Tiến", Description: "x"}}})
	if err == nil || !strings.HasSuffix(err.Error(), "BOT_COMMAND_INVALID") {
		t.Errorf("bad command: %v", err)
	}
}

func TestWait(t *testing.T) {
	t.Parallel()
	srv, b := newServer(t)
	ctx := ctxTimeout(t)

	go func() {
		_, _ = b.SendMessage(ctx, &bot.SendMessageParams{ChatID: lan.ID, Text: "một"})
		_, _ = b.SendMessage(ctx, &bot.SendMessageParams{ChatID: lan.ID, Text: "hai"})
	}()
	m, err := srv.WaitMessage(ctx, lan.ID, func(m Message) bool { return m.Text == "hai" })
	if err != nil || m.Text != "hai" || m.ID != 3 {
		t.Fatalf("WaitMessage = %+v, %v", m, err)
	}

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := srv.WaitMessage(short, lan.ID, func(m Message) bool { return m.Text == "ba" }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitMessage that never holds: %v", err)
	}

	done := make(chan error)
	go func() { done <- srv.Wait(ctx, func(*Server) bool { return false }) }()
	srv.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Errorf("Wait after Close: %v", err)
	}
}

// TestBotRoundTrip runs go-telegram/bot's own polling loop against the fake:
// a /start gets a keyboard, a press gets answered and edits the message.
func TestBotRoundTrip(t *testing.T) {
	t.Parallel()
	srv := New(token)
	defer srv.Close()
	ctx, cancel := context.WithCancel(ctxTimeout(t))

	b, err := bot.New(token, bot.WithServerURL(srv.URL()), bot.WithDefaultHandler(func(ctx context.Context, b *bot.Bot, u *models.Update) {
		switch {
		case u.Message != nil && u.Message.Text == "/start":
			_, _ = b.SendMessage(ctx, &bot.SendMessageParams{
				ChatID: u.Message.Chat.ID, Text: "Chào <b>" + u.Message.From.FirstName + "</b>", ParseMode: models.ParseModeHTML,
				ReplyMarkup: keyboard([]models.InlineKeyboardButton{{Text: "Bắt đầu", CallbackData: "go"}}),
			})
		case u.CallbackQuery != nil:
			_, _ = b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: u.CallbackQuery.ID})
			m := u.CallbackQuery.Message.Message
			_, _ = b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: m.Chat.ID, MessageID: m.ID, Text: "Câu 1"})
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	stopped := make(chan struct{})
	go func() {
		b.Start(ctx)
		close(stopped)
	}()

	srv.SendCommand(lan, "/start")
	if _, err := srv.WaitMessage(ctx, lan.ID, func(m Message) bool { return m.Text == "Chào Lan" }); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.PressButton(lan, "Bắt đầu"); err != nil {
		t.Fatal(err)
	}
	m, err := srv.WaitMessage(ctx, lan.ID, func(m Message) bool { return m.Edits == 1 })
	if err != nil || m.Text != "Câu 1" || m.Keyboard != nil {
		t.Fatalf("edited message = %+v, %v", m, err)
	}
	if a := srv.CallbackAnswers(lan.ID); len(a) != 1 || a[0].Data != "go" {
		t.Errorf("answers = %+v", a)
	}
	cancel()
	<-stopped
}

func TestLimits(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	tick := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	srv, b := newServer(t, WithLimits(), WithClock(clock)) // lan's /start: three replies
	ctx := ctxTimeout(t)
	send := func(chat int64) error {
		_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: chat, Text: "x"})
		return err
	}
	retryAfter := func(err error) int {
		var tooMany *bot.TooManyRequestsError
		if errors.As(err, &tooMany) {
			return tooMany.RetryAfter
		}
		return 0
	}
	for i := range 3 {
		if err := send(lan.ID); err != nil {
			t.Fatalf("reply %d to lan's /start: %v", i+1, err)
		}
	}
	// Beyond the replies: one unsolicited message a second.
	if err := send(lan.ID); err != nil {
		t.Fatalf("the first unsolicited message: %v", err)
	}
	if err := send(lan.ID); retryAfter(err) != 1 {
		t.Fatalf("a second unsolicited message at once: %v, want 429 retry after 1", err)
	}
	tick(time.Second)
	if err := send(lan.ID); err != nil {
		t.Fatalf("a second later: %v", err)
	}
	// An edit counts as a message too.
	m, _ := srv.LastMessage(lan.ID)
	if _, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: lan.ID, MessageID: m.ID, Text: "y"}); retryAfter(err) != 1 {
		t.Errorf("an edit right after: %v, want 429", err)
	}
	// Credits expire after the reply window.
	srv.SendText(lan, "hello")
	tick(ReplyWindow + time.Second)
	if err := send(lan.ID); err != nil {
		t.Fatalf("after the window, the first unsolicited: %v", err)
	}
	if err := send(lan.ID); retryAfter(err) == 0 {
		t.Errorf("the reply credits outlived their window")
	}
	// 30 a second in all.
	tick(time.Second)
	var users []User
	for i := range GlobalRate + 1 {
		u := User{ID: int64(5000 + i), FirstName: "P"}
		users = append(users, u)
		srv.Block(u) // makes the chat, which counts no credit
		srv.Unblock(u)
	}
	tick(time.Second)
	for i, u := range users {
		err := send(u.ID)
		if i < GlobalRate && err != nil {
			t.Fatalf("message %d of a second: %v", i+1, err)
		}
		if i == GlobalRate && retryAfter(err) != 1 {
			t.Errorf("message %d of a second: %v, want 429", i+1, err)
		}
	}
	if n := srv.Throttled(); n != 4 {
		t.Errorf("%d messages throttled, want 4", n)
	}
}
