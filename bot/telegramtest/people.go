package telegramtest

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"
)

// User is a simulated person talking to the bot in a private chat, whose id
// is the user's id.
type User struct {
	ID           int64
	FirstName    string
	LastName     string
	Username     string
	LanguageCode string // such as "vi" or "en"
}

func (u User) apiUser() models.User {
	return models.User{ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username, LanguageCode: u.LanguageCode}
}

func (u User) apiChat() models.Chat {
	return models.Chat{ID: u.ID, Type: models.ChatTypePrivate, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username}
}

// chatLocked is the chat with u, started on first use.
func (s *Server) chatLocked(u User) *chat {
	c := s.chats[u.ID]
	if c == nil {
		c = &chat{byID: make(map[int]*message)}
		s.chats[u.ID] = c
	}
	c.user = u
	return c
}

// Open makes the chat with u as if u had written to the bot before (no
// update is made): the bot may send to it, as it may to a person who
// started it once.
func (s *Server) Open(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatLocked(u)
}

// userMessageLocked stores a new message from u, filled in by fill, with the
// files it shows, and enqueues it as an update.
func (s *Server) userMessageLocked(u User, files []*storedFile, fill func(*models.Message)) enqueued {
	c := s.chatLocked(u)
	c.lastID++
	from := u.apiUser()
	m := models.Message{ID: c.lastID, From: &from, Date: int(s.now().Unix()), Chat: u.apiChat()}
	fill(&m)
	s.addMessageLocked(c, &message{api: m, files: files})
	return s.enqueueLocked(&models.Update{Message: &m}, models.AllowedUpdateMessage)
}

// SendText makes u send text to the bot. A text starting with "/" gets a
// bot_command entity, as on Telegram.
func (s *Server) SendText(u User, text string) models.Update {
	s.mu.Lock()
	e := s.userMessageLocked(u, nil, func(m *models.Message) {
		m.Text, m.Entities = text, commandEntity(text)
	})
	s.mu.Unlock()
	return s.publish(e)
}

// SendCommand makes u send a command such as "/start" or "/start payload";
// the leading "/" may be left out.
func (s *Server) SendCommand(u User, command string) models.Update {
	if !strings.HasPrefix(command, "/") {
		command = "/" + command
	}
	return s.SendText(u, command)
}

// SendPhoto makes u send a photo with a caption (which may be empty). The
// message carries several sizes, each a file the bot can download; the
// largest is data itself.
func (s *Server) SendPhoto(u User, data []byte, caption string) models.Update {
	sizes := s.photoSizes(data)
	s.mu.Lock()
	e := s.userPhotoLocked(u, sizes, caption, "")
	s.mu.Unlock()
	return s.publish(e)
}

func (s *Server) userPhotoLocked(u User, sizes []photoSize, caption, mediaGroup string) enqueued {
	files := s.addPhotoLocked(sizes)
	return s.userMessageLocked(u, files, func(m *models.Message) {
		m.Photo, m.Caption, m.MediaGroupID = photoSizesOf(files), caption, mediaGroup
	})
}

// SendAlbum makes u send photos as one album: one update per photo, all with
// the same media_group_id.
func (s *Server) SendAlbum(u User, photos [][]byte) []models.Update {
	sizes := make([][]photoSize, len(photos))
	for i, p := range photos {
		sizes[i] = s.photoSizes(p)
	}
	s.mu.Lock()
	s.albumSeq++
	group := strconv.FormatInt(13_000_000_000_000_000+s.albumSeq, 10)
	es := make([]enqueued, len(photos))
	for i := range photos {
		es[i] = s.userPhotoLocked(u, sizes[i], "", group)
	}
	s.mu.Unlock()
	updates := make([]models.Update, len(es))
	for i, e := range es {
		updates[i] = s.publish(e)
	}
	return updates
}

// SendDocument makes u send a file. An empty mimeType is guessed from the
// file name.
func (s *Server) SendDocument(u User, data []byte, fileName, mimeType string) models.Update {
	s.mu.Lock()
	f := s.addDocumentLocked(data, fileName, mimeType)
	e := s.userMessageLocked(u, []*storedFile{f}, func(m *models.Message) { m.Document = f.document() })
	s.mu.Unlock()
	return s.publish(e)
}

// stickerData stands for a sticker's WebP file.
var stickerData = []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")

// SendSticker makes u send a sticker (a thumbs-up).
func (s *Server) SendSticker(u User) models.Update {
	s.mu.Lock()
	f := s.addFileLocked(kindSticker, stickerData, ".webp")
	f.width, f.height, f.mimeType = 512, 512, "image/webp"
	e := s.userMessageLocked(u, []*storedFile{f}, func(m *models.Message) {
		m.Sticker = &models.Sticker{
			FileID: f.id, FileUniqueID: f.uniqueID, Type: "regular", Width: 512, Height: 512,
			Emoji: "👍", SetName: "HoctapTestStickers", FileSize: len(f.data),
		}
	})
	s.mu.Unlock()
	return s.publish(e)
}

// SendLocation makes u share a location.
func (s *Server) SendLocation(u User, lat, lon float64) models.Update {
	s.mu.Lock()
	e := s.userMessageLocked(u, nil, func(m *models.Message) {
		m.Location = &models.Location{Latitude: lat, Longitude: lon}
	})
	s.mu.Unlock()
	return s.publish(e)
}

// Press makes u press the inline button with callbackData under the bot's
// message messageID: a callback_query update with a fresh id that the bot
// has to answer with answerCallbackQuery. The button need not exist, so a
// test can press a stale one. A deleted or unknown message comes as an
// inaccessible message, as on Telegram.
func (s *Server) Press(u User, messageID int, callbackData string) models.Update {
	s.mu.Lock()
	e := s.pressLocked(u, messageID, callbackData)
	s.mu.Unlock()
	return s.publish(e)
}

func (s *Server) pressLocked(u User, messageID int, callbackData string) enqueued {
	c := s.chatLocked(u)
	s.callbackSeq++
	q := &callbackQuery{
		id:        strconv.FormatInt(4_000_000_000_000_000_000+s.callbackSeq, 10),
		chatID:    u.ID,
		messageID: messageID,
		data:      callbackData,
		created:   s.now(),
	}
	s.callbacks[q.id] = q
	if s.cfg.noHistory {
		s.forgetCallbacksLocked(q.created)
		s.pressed = append(s.pressed, q)
	}
	msg := models.MaybeInaccessibleMessage{
		Type:                models.MaybeInaccessibleMessageTypeInaccessibleMessage,
		InaccessibleMessage: &models.InaccessibleMessage{Chat: u.apiChat(), MessageID: messageID},
	}
	if m := c.byID[messageID]; m != nil && !m.deleted {
		api := m.apiMessage()
		msg = models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: &api}
	}
	return s.enqueueLocked(&models.Update{CallbackQuery: &models.CallbackQuery{
		ID:           q.id,
		From:         u.apiUser(),
		Message:      msg,
		ChatInstance: strconv.FormatInt(-7_000_000_000_000_000_000+u.ID, 10),
		Data:         callbackData,
	}}, models.AllowedUpdateCallbackQuery)
}

// forgetCallbacksLocked forgets, WithoutHistory, the button presses that are
// twice as old as the callback age allows.
func (s *Server) forgetCallbacksLocked(now time.Time) {
	n := 0
	for n < len(s.pressed) && now.Sub(s.pressed[n].created) > 2*s.cfg.callbackAge {
		delete(s.callbacks, s.pressed[n].id)
		s.pressed[n] = nil
		n++
	}
	s.pressed = s.pressed[n:]
}

// PressButton makes u press the button labelled label on the latest message
// in their chat that has it (see Button).
func (s *Server) PressButton(u User, label string) (models.Update, error) {
	id, data, ok := s.Button(u.ID, label)
	if !ok {
		return models.Update{}, fmt.Errorf("telegramtest: no button %q in chat %d", label, u.ID)
	}
	if data == "" {
		return models.Update{}, fmt.Errorf("telegramtest: button %q in chat %d has no callback data", label, u.ID)
	}
	return s.Press(u, id, data), nil
}

// Block makes u block the bot: the bot gets a my_chat_member update, and
// from then on every message, edit or chat action to u answers 403
// "Forbidden: bot was blocked by the user".
func (s *Server) Block(u User) models.Update {
	return s.setBlocked(u, true)
}

// Unblock makes u unblock (restart) the bot, with a my_chat_member update.
func (s *Server) Unblock(u User) models.Update {
	return s.setBlocked(u, false)
}

func (s *Server) setBlocked(u User, blocked bool) models.Update {
	s.mu.Lock()
	e := s.setBlockedLocked(u, blocked)
	s.mu.Unlock()
	return s.publish(e)
}

func (s *Server) setBlockedLocked(u User, blocked bool) enqueued {
	s.chatLocked(u).blocked = blocked
	bot := s.bot
	member := models.ChatMember{Type: models.ChatMemberTypeMember, Member: &models.ChatMemberMember{User: &bot}}
	kicked := models.ChatMember{Type: models.ChatMemberTypeBanned, Banned: &models.ChatMemberBanned{User: &bot}}
	old, now := member, kicked
	if !blocked {
		old, now = kicked, member
	}
	return s.enqueueLocked(&models.Update{MyChatMember: &models.ChatMemberUpdated{
		Chat:          u.apiChat(),
		From:          u.apiUser(),
		Date:          int(s.now().Unix()),
		OldChatMember: old,
		NewChatMember: now,
	}}, models.AllowedUpdateMyChatMember)
}
