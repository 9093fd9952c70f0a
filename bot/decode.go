package bot

import (
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"hoctap/flows"
)

// incoming is a decoded update: the flows input and what rendering needs
// to answer it.
type incoming struct {
	in       flows.Input
	callback string    // the callback query to answer first, if any
	message  int       // the message whose button was pressed, if any
	taken    time.Time // when the bot took the update
}

// decode turns an update into a flows input; ok is false for updates the
// bot does not act on (edits, channel posts, group chats...).
func decode(u *models.Update) (incoming, bool) {
	key := "tg:" + strconv.FormatInt(u.ID, 10)
	switch {
	case u.Message != nil:
		m := u.Message
		if m.Chat.Type != models.ChatTypePrivate || m.From == nil {
			return incoming{}, false
		}
		in := flows.Input{Chat: m.Chat.ID, User: m.From.ID, Lang: m.From.LanguageCode, Key: key,
			At: time.Unix(int64(m.Date), 0)}
		decodeMessage(m, &in)
		return incoming{in: in}, true
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		msg := q.Message.Message
		if msg == nil || msg.Chat.Type != models.ChatTypePrivate {
			return incoming{callback: q.ID}, q.ID != ""
		}
		return incoming{
			in: flows.Input{Kind: flows.InputButton, Chat: msg.Chat.ID, User: q.From.ID, Lang: q.From.LanguageCode,
				Button: q.Data, Key: key, At: time.Now()},
			callback: q.ID,
			message:  msg.ID,
		}, true
	case u.MyChatMember != nil:
		m := u.MyChatMember
		if m.Chat.Type != models.ChatTypePrivate {
			return incoming{}, false
		}
		kind := flows.InputUnblocked
		if m.NewChatMember.Type == models.ChatMemberTypeBanned || m.NewChatMember.Type == models.ChatMemberTypeLeft {
			kind = flows.InputBlocked
		}
		return incoming{in: flows.Input{Kind: kind, Chat: m.Chat.ID, User: m.From.ID, Key: key, At: time.Unix(int64(m.Date), 0)}}, true
	}
	return incoming{}, false
}

// decodeMessage fills in what a person sent.
func decodeMessage(m *models.Message, in *flows.Input) {
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
		in.Photo = &flows.Photo{FileID: best.FileID, UniqueID: best.FileUniqueID, Size: int64(best.FileSize), Album: m.MediaGroupID}
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
