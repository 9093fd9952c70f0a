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
	Album    string // the media group it was sent in, "" for none
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
		Album:          m.group,
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

// Calls returns every Bot API call so far (WithoutHistory, the last 1000),
// in the order they were answered.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	calls := s.calls
	if s.cfg.noHistory {
		calls = lastHistory(calls)
	}
	out := make([]Call, len(calls))
	for i, c := range calls {
		c.Params = maps.Clone(c.Params)
		out[i] = c
	}
	return out
}

// Messages returns the messages the bot sent to a chat, oldest first, each
// in its current state; deleted ones are included with Deleted set.
// WithoutHistory, only the last 20 are kept.
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
	return s.lastMessage(chatID, func(*message) bool { return true })
}

// LastKeyboardMessage returns the latest message the bot sent to a chat that
// has an inline keyboard and is not deleted: what a person would press a
// button on next. It costs one message's copy, whatever the chat's length.
func (s *Server) LastKeyboardMessage(chatID int64) (Message, bool) {
	return s.lastMessage(chatID, func(m *message) bool { return len(m.inline) > 0 })
}

// lastMessage returns the latest message the bot sent to a chat that is not
// deleted and for which pred holds.
func (s *Server) lastMessage(chatID int64, pred func(*message) bool) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[chatID]; c != nil {
		for i := len(c.msgs) - 1; i >= 0; i-- {
			if m := c.msgs[i]; m.fromBot && !m.deleted && pred(m) {
				return m.view(chatID), true
			}
		}
	}
	return Message{}, false
}

// Button finds the button labelled text on the latest message the bot sent
// to a chat that has one (and is not deleted), and returns that message's id
// and the button's callback data, for Press.
func (s *Server) Button(chatID int64, text string) (messageID int, data string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return 0, "", false
	}
	for i := len(c.msgs) - 1; i >= 0; i-- {
		m := c.msgs[i]
		if !m.fromBot || m.deleted {
			continue
		}
		for _, row := range m.inline {
			for _, b := range row {
				if b.Text == text {
					return m.api.ID, b.CallbackData, true
				}
			}
		}
	}
	return 0, "", false
}

// CallbackAnswers returns the callback queries the bot answered in a chat,
// in order (WithoutHistory, the last 20).
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

// Deliveries returns every webhook delivery attempt so far (WithoutHistory,
// the last 1000), in the order their answers came.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.noHistory {
		return slices.Clone(lastHistory(s.deliveries))
	}
	return slices.Clone(s.deliveries)
}

// Pending returns how many updates are queued, not yet confirmed by
// getUpdates or delivered to the webhook (those in flight included).
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
