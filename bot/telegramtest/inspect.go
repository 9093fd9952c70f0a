package telegramtest

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/go-telegram/bot/models"
)

// Call is one Bot API request the server answered.
type Call struct {
	Method      string            // canonical name, such as "sendMessage"
	ChatID      int64             // chat_id, or the chat of a callback query; 0 if none
	Time        time.Time         // when it arrived
	Params      map[string]string // parameters; an uploaded file shows as "@<file name>"
	Status      int               // HTTP status answered: 200, or the error_code
	Description string            // the error description, empty on success
	Fault       *Fault            // the injected fault it answered, if any
}

// Delivery is one attempt to deliver an update to the webhook.
type Delivery struct {
	UpdateID int64
	Attempt  int // 1 for the first attempt at this update, 2 for the first retry, ...
	Time     time.Time
	Status   int    // the webhook's HTTP status; 0 if the request failed
	Err      string // why the request failed, if it did
}

// Button is an inline keyboard button.
type Button struct {
	Text         string
	CallbackData string
	URL          string
}

// Message is a message the bot sent, in its current state.
type Message struct {
	ID        int
	ChatID    int64
	Date      time.Time
	Text      string // the text, or the caption of a photo or document, as the user sees it
	Source    string // the text or caption as the bot sent it, with its markup
	ParseMode string
	Entities  []models.MessageEntity

	Keyboard       [][]Button // the inline keyboard, nil when none
	ReplyKeyboard  [][]string // labels of a reply keyboard sent with the message
	RemoveKeyboard bool       // the message removed the reply keyboard

	Edits    int       // how many times it was edited
	EditedAt time.Time // the last edit
	Deleted  bool

	Photo    []byte // the largest size of a photo; shared, do not modify
	Document []byte // a document's content; shared, do not modify
	FileName string // a document's file name
	MIMEType string // a document's MIME type
	FileID   string // the file_id of the photo (largest size) or document
}

// CallbackAnswer is an accepted answerCallbackQuery.
type CallbackAnswer struct {
	QueryID   string
	MessageID int    // the message whose button was pressed
	Data      string // the button's callback data
	Text      string
	ShowAlert bool
	URL       string
	Time      time.Time
}

func (m *message) view(chatID int64) Message {
	v := Message{
		ID:             m.api.ID,
		ChatID:         chatID,
		Date:           time.Unix(int64(m.api.Date), 0),
		Text:           m.text.text,
		Source:         m.source,
		ParseMode:      m.parseMode,
		Entities:       slices.Clone(m.text.entities),
		Keyboard:       buttons(m.inline),
		ReplyKeyboard:  cloneRows(m.reply),
		RemoveKeyboard: m.remove,
		Edits:          m.edits,
		EditedAt:       m.edited,
		Deleted:        m.deleted,
	}
	if n := len(m.photo); n > 0 {
		v.Photo, v.FileID = m.photo[n-1].data, m.photo[n-1].id
	}
	if m.doc != nil {
		v.Document, v.FileName, v.MIMEType, v.FileID = m.doc.data, m.doc.name, m.doc.mimeType, m.doc.id
	}
	return v
}

func cloneRows(rows [][]string) [][]string {
	if rows == nil {
		return nil
	}
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = slices.Clone(r)
	}
	return out
}

// Calls returns every Bot API call so far, in the order they were answered.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		c.Params = maps.Clone(c.Params)
		out[i] = c
	}
	return out
}

// Messages returns the messages the bot sent to a chat, oldest first, each
// in its current state; deleted ones are included with Deleted set.
func (s *Server) Messages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messagesLocked(chatID)
}

func (s *Server) messagesLocked(chatID int64) []Message {
	c := s.chats[chatID]
	if c == nil {
		return nil
	}
	var out []Message
	for _, m := range c.msgs {
		if m.fromBot {
			out = append(out, m.view(chatID))
		}
	}
	return out
}

// LastMessage returns the latest message the bot sent to a chat that is not
// deleted.
func (s *Server) LastMessage(chatID int64) (Message, bool) {
	msgs := s.Messages(chatID)
	for i := len(msgs) - 1; i >= 0; i-- {
		if !msgs[i].Deleted {
			return msgs[i], true
		}
	}
	return Message{}, false
}

// Button finds the button labelled text on the latest message the bot sent
// to a chat that has one (and is not deleted), and returns that message's id
// and the button's callback data, for Press.
func (s *Server) Button(chatID int64, text string) (messageID int, data string, ok bool) {
	msgs := s.Messages(chatID)
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Deleted {
			continue
		}
		for _, row := range msgs[i].Keyboard {
			for _, b := range row {
				if b.Text == text {
					return msgs[i].ID, b.CallbackData, true
				}
			}
		}
	}
	return 0, "", false
}

// CallbackAnswers returns the callback queries the bot answered in a chat,
// in order.
func (s *Server) CallbackAnswers(chatID int64) []CallbackAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[chatID]; c != nil {
		return slices.Clone(c.answers)
	}
	return nil
}

// Commands returns the bot's commands for a scope (nil for the default
// scope) and language code ("" for all languages), as setMyCommands left them.
func (s *Server) Commands(scope models.BotCommandScope, lang string) []models.BotCommand {
	raw := ""
	if scope != nil {
		b, err := scope.MarshalCustom()
		if err != nil {
			return nil
		}
		raw = string(b)
	}
	key, err := commandsKey(raw, lang)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands[key])
}

// Deliveries returns every webhook delivery attempt so far, in order.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.deliveries)
}

// Pending returns how many updates are queued, not yet confirmed by
// getUpdates or delivered to the webhook.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Blocked reports whether the user with this id has blocked the bot.
func (s *Server) Blocked(userID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[userID]
	return c != nil && c.blocked
}

// Wait blocks until cond holds, ctx ends (returning its error) or the server
// is closed (returning ErrClosed). cond is checked at once and after every
// change to the server's state (a call answered, an update queued or
// delivered); it runs without the server's lock, so it may call any
// inspection method.
func (s *Server) Wait(ctx context.Context, cond func(*Server) bool) error {
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if cond(s) {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closed:
			if cond(s) {
				return nil
			}
			return ErrClosed
		}
	}
}

// WaitMessage waits until the bot has sent a chat a message for which pred
// holds (in its current state, deleted ones included) and returns the latest
// such message.
func (s *Server) WaitMessage(ctx context.Context, chatID int64, pred func(Message) bool) (Message, error) {
	var found Message
	err := s.Wait(ctx, func(s *Server) bool {
		msgs := s.Messages(chatID)
		for i := len(msgs) - 1; i >= 0; i-- {
			if pred(msgs[i]) {
				found = msgs[i]
				return true
			}
		}
		return false
	})
	return found, err
}
