package bot

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hoctap/flows"
	"hoctap/runner"
)

// inlineButton and inlineKeyboard are the reply_markup of our messages.
type inlineButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

type inlineKeyboard struct {
	InlineKeyboard [][]inlineButton `json:"inline_keyboard"`
}

type sendMessage struct {
	ChatID      int64           `json:"chat_id"`
	Text        string          `json:"text"`
	ParseMode   string          `json:"parse_mode"`
	ReplyMarkup *inlineKeyboard `json:"reply_markup,omitempty"`
}

type editMessageText struct {
	ChatID      int64           `json:"chat_id"`
	MessageID   int             `json:"message_id"`
	Text        string          `json:"text"`
	ParseMode   string          `json:"parse_mode"`
	ReplyMarkup *inlineKeyboard `json:"reply_markup,omitempty"`
}

type sendPhoto struct {
	ChatID    int64  `json:"chat_id"`
	Photo     string `json:"photo"` // a file_id: photos are only ever sent again
	Caption   string `json:"caption"`
	ParseMode string `json:"parse_mode"`
}

type inputMediaPhoto struct {
	Type      string `json:"type"` // photo
	Media     string `json:"media"`
	Caption   string `json:"caption,omitempty"`
	ParseMode string `json:"parse_mode,omitempty"`
}

type sendMediaGroup struct {
	ChatID int64             `json:"chat_id"`
	Media  []inputMediaPhoto `json:"media"`
}

type answerCallbackQuery struct {
	CallbackQueryID string `json:"callback_query_id"`
	Text            string `json:"text,omitempty"`
}

// keyboard turns rows of buttons into an inline keyboard; nil for none.
func keyboard(rows [][]flows.Button) *inlineKeyboard {
	if len(rows) == 0 {
		return nil
	}
	kb := make([][]inlineButton, len(rows))
	for i, row := range rows {
		kb[i] = make([]inlineButton, len(row))
		for j, b := range row {
			kb[i][j] = inlineButton{Text: b.Label, CallbackData: b.Token}
		}
	}
	return &inlineKeyboard{InlineKeyboard: kb}
}

// Sender shows the runner's messages on Telegram: an acknowledgment is the
// answer to the button press (its toast); a message that replaces is an
// edit of the pressed message; the rest are sent. Our neutral markup is
// Telegram's HTML as it is.
type Sender struct{ c *Client }

// NewSender makes the runner's sender on a client.
func NewSender(c *Client) *Sender { return &Sender{c: c} }

var _ runner.Sender = (*Sender)(nil)

// Send implements runner.Sender.
func (s *Sender) Send(ctx context.Context, m runner.Message) error {
	o, _ := m.Origin.(origin)
	var err error
	switch {
	case m.Ack:
		if o.callback == "" {
			return nil
		}
		err = s.c.call(ctx, "answerCallbackQuery", answerCallbackQuery{CallbackQueryID: o.callback, Text: m.Out.Notice}, nil)
	case m.Out.Document != nil:
		err = s.c.upload(ctx, "sendDocument", map[string]string{"chat_id": strconv.FormatInt(m.Conv.ID, 10), "caption": m.Out.Text, "parse_mode": "HTML"},
			"document", m.Out.Document.Name, m.Out.Document.Data)
	case m.Out.Picture != nil:
		err = s.c.upload(ctx, "sendPhoto", map[string]string{"chat_id": strconv.FormatInt(m.Conv.ID, 10), "caption": m.Out.Text, "parse_mode": "HTML"},
			"photo", m.Out.Picture.Name, m.Out.Picture.Data)
	case len(m.Out.Photos) == 1:
		err = s.c.call(ctx, "sendPhoto", sendPhoto{ChatID: m.Conv.ID, Photo: m.Out.Photos[0], Caption: m.Out.Text, ParseMode: "HTML"}, nil)
	case len(m.Out.Photos) > 1:
		// An album: the caption under its first photo, as Telegram shows
		// an album's one caption.
		media := make([]inputMediaPhoto, len(m.Out.Photos))
		for i, id := range m.Out.Photos {
			media[i] = inputMediaPhoto{Type: "photo", Media: id}
		}
		media[0].Caption, media[0].ParseMode = m.Out.Text, "HTML"
		err = s.c.call(ctx, "sendMediaGroup", sendMediaGroup{ChatID: m.Conv.ID, Media: media}, nil)
	case m.Out.Replace && o.message != 0:
		err = s.c.call(ctx, "editMessageText", editMessageText{ChatID: m.Conv.ID, MessageID: o.message,
			Text: m.Out.Text, ParseMode: "HTML", ReplyMarkup: keyboard(m.Out.Buttons)}, nil)
	default:
		err = s.c.call(ctx, "sendMessage", sendMessage{ChatID: m.Conv.ID, Text: m.Out.Text, ParseMode: "HTML",
			ReplyMarkup: keyboard(m.Out.Buttons)}, nil)
	}
	return sendError(err)
}

// sendError says what a Bot API error means to the outbox: the one place
// that reads Telegram's answers. Telegram tells some cases only by the
// words of its description.
func sendError(err error) error {
	var api *APIError
	if err == nil || !errors.As(err, &api) {
		return err // nil, or a passing failure: no answer
	}
	d := strings.ToLower(api.Description)
	switch {
	case api.Code == http.StatusForbidden:
		return runner.ErrBlocked
	case api.Code == http.StatusTooManyRequests:
		return &runner.Throttled{After: time.Duration(max(api.RetryAfter, 1)) * time.Second}
	case api.Code >= 500:
		return err
	case strings.Contains(d, "message is not modified"):
		return runner.ErrNotModified
	case strings.Contains(d, "query is too old"), strings.Contains(d, "query id is invalid"):
		return runner.ErrTooOld
	case strings.Contains(d, "message to edit not found"), strings.Contains(d, "message can't be edited"):
		return runner.ErrNoTarget
	}
	return &runner.Refused{Reason: api.Error()}
}
