package bot

import (
	"strconv"
	"strings"
	"time"

	"hoctap/flows"
	"hoctap/runner"
)

// Channel is Telegram's name in conversation ids and the store.
const Channel = "telegram"

// origin is what a Telegram reply needs of the update it answers: the
// button press to answer and the message to edit. It is the runner's
// opaque Origin.
type origin struct {
	callback string // the callback query to answer first, if any
	message  int    // the message whose button was pressed, if it can be edited
}

// update is the part of a Telegram update the bot reads. Decoding only
// this, rather than a full model of the update, halves the cost of reading
// updates; names and other personal fields are never decoded.
type update struct {
	ID            int64              `json:"update_id"`
	Message       *message           `json:"message"`
	CallbackQuery *callbackQuery     `json:"callback_query"`
	MyChatMember  *chatMemberUpdated `json:"my_chat_member"`
}

type user struct {
	ID           int64  `json:"id"`
	LanguageCode string `json:"language_code"`
}

type chat struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
}

type message struct {
	ID           int         `json:"message_id"`
	Date         int64       `json:"date"` // 0 for a message the bot can no longer read
	Chat         chat        `json:"chat"`
	From         *user       `json:"from"`
	Text         string      `json:"text"`
	Photo        []photoSize `json:"photo"`
	Document     *document   `json:"document"`
	MediaGroupID string      `json:"media_group_id"`
}

type photoSize struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	FileSize     int64  `json:"file_size"`
}

type document struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	MimeType     string `json:"mime_type"`
	FileSize     int64  `json:"file_size"`
}

type callbackQuery struct {
	ID      string   `json:"id"`
	From    user     `json:"from"`
	Message *message `json:"message"`
	Data    string   `json:"data"`
}

type chatMemberUpdated struct {
	Chat          chat  `json:"chat"`
	From          user  `json:"from"`
	Date          int64 `json:"date"`
	NewChatMember struct {
		Status string `json:"status"`
	} `json:"new_chat_member"`
}

// decode turns an update into an input; ok is false for updates the bot
// does not act on (edits, channel posts, group chats...).
func decode(u *update) (runner.Input, bool) {
	key := "tg:" + strconv.FormatInt(u.ID, 10)
	conv := func(id int64) flows.Conv { return flows.Conv{Channel: Channel, ID: id} }
	switch {
	case u.Message != nil:
		m := u.Message
		if m.Chat.Type != "private" || m.From == nil {
			return runner.Input{}, false
		}
		in := flows.Input{Conv: conv(m.Chat.ID), User: m.From.ID, Lang: m.From.LanguageCode, Key: key, At: time.Unix(m.Date, 0)}
		decodeMessage(m, &in)
		return runner.Input{Input: in}, true
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		if q.ID == "" || (q.Message != nil && q.Message.Chat.Type != "private") {
			return runner.Input{}, false
		}
		in := flows.Input{Kind: flows.InputButton, Conv: conv(q.From.ID), User: q.From.ID, Lang: q.From.LanguageCode,
			Button: q.Data, Key: key, At: time.Now()}
		o := origin{callback: q.ID}
		if m := q.Message; m != nil {
			in.Conv = conv(m.Chat.ID)
			o.message = m.ID
			if m.Date == 0 {
				// A message the bot can no longer read or edit: its button is
				// out of date, whatever it says.
				in.Button, o.message = "", 0
			}
		} else {
			in.Button = "" // no message: a private chat's id is its person's
		}
		return runner.Input{Input: in, Origin: o}, true
	case u.MyChatMember != nil:
		m := u.MyChatMember
		if m.Chat.Type != "private" {
			return runner.Input{}, false
		}
		kind := flows.InputUnblocked
		if s := m.NewChatMember.Status; s == "kicked" || s == "left" {
			kind = flows.InputBlocked
		}
		return runner.Input{Input: flows.Input{Kind: kind, Conv: conv(m.Chat.ID), User: m.From.ID, Key: key, At: time.Unix(m.Date, 0)}}, true
	}
	return runner.Input{}, false
}

// decodeMessage fills in what a person sent.
func decodeMessage(m *message, in *flows.Input) {
	switch {
	case strings.HasPrefix(strings.TrimSpace(m.Text), "/"):
		in.Kind = flows.InputCommand
		in.Command, in.Text = parseCommand(m.Text)
	case m.Text != "":
		in.Kind, in.Text = flows.InputText, m.Text
	case len(m.Photo) > 0:
		best := m.Photo[0]
		for _, p := range m.Photo[1:] {
			if p.Width*p.Height > best.Width*best.Height || p.FileSize > best.FileSize {
				best = p
			}
		}
		in.Kind = flows.InputPhoto
		in.Photo = &flows.Photo{FileID: best.FileID, UniqueID: best.FileUniqueID, Size: best.FileSize, Album: m.MediaGroupID}
	case m.Document != nil:
		d := m.Document
		in.Kind = flows.InputPhoto
		in.Photo = &flows.Photo{FileID: d.FileID, UniqueID: d.FileUniqueID, Size: d.FileSize, MIME: d.MimeType,
			AsFile: true, Album: m.MediaGroupID}
	default:
		in.Kind = flows.InputUnsupported
	}
}

// parseCommand splits "/start@hoctap_bot payload" into "start" and "payload".
func parseCommand(text string) (string, string) {
	text = strings.TrimSpace(text)
	word, rest, _ := strings.Cut(text[1:], " ")
	word, _, _ = strings.Cut(word, "@")
	return strings.ToLower(word), strings.TrimSpace(rest)
}
