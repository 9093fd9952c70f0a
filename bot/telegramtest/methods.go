package telegramtest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"
)

// chat is a private chat between the bot and one user.
type chat struct {
	user    User
	blocked bool
	lastID  int // message ids count up per chat, shared by both sides
	msgs    []*message
	byID    map[int]*message
	answers []CallbackAnswer
	botMsgs int // how many of msgs are the bot's
}

// addMessageLocked stores a message in a chat. WithoutHistory, it then
// forgets the oldest message of the same side beyond chatLimit, and the files
// only that message showed.
func (s *Server) addMessageLocked(c *chat, m *message) {
	c.msgs = append(c.msgs, m)
	c.byID[m.api.ID] = m
	if m.fromBot {
		c.botMsgs++
	}
	if !s.cfg.noHistory {
		return
	}
	for _, f := range m.files {
		f.refs++
	}
	side := len(c.msgs) - c.botMsgs
	if m.fromBot {
		side = c.botMsgs
	}
	if side <= chatLimit {
		return
	}
	i := slices.IndexFunc(c.msgs, func(o *message) bool { return o.fromBot == m.fromBot })
	old := c.msgs[i]
	c.msgs = slices.Delete(c.msgs, i, i+1)
	delete(c.byID, old.api.ID)
	if old.fromBot {
		c.botMsgs--
	}
	for _, f := range old.files {
		if f.refs--; f.refs == 0 {
			delete(s.files, f.id)
			delete(s.paths, f.path)
		}
	}
}

// message is a message in a chat: one the bot sent, kept in its current
// state, or one a user sent, kept as sent.
type message struct {
	fromBot bool
	api     models.Message // what the API reports; for the bot's, the fixed part
	deleted bool
	edits   int
	edited  time.Time
	files   []*storedFile // the files it shows, kept while it is (WithoutHistory)

	// The bot's messages only.
	text      formatted // text, or caption when media is set
	source    string    // text as sent, with markup
	parseMode string
	inline    [][]models.InlineKeyboardButton
	reply     [][]string
	remove    bool
	photo     []*storedFile // sizes, smallest first
	doc       *storedFile
	group     string // the media group (album) it was sent in, if any
}

func (m *message) hasMedia() bool { return m.photo != nil || m.doc != nil }

// apiMessage is the message as the API reports it now.
func (m *message) apiMessage() models.Message {
	out := m.api
	if !m.fromBot {
		return out
	}
	if m.hasMedia() {
		out.Caption, out.CaptionEntities = m.text.text, m.text.entities
	} else {
		out.Text, out.Entities = m.text.text, m.text.entities
	}
	if m.photo != nil {
		out.Photo = photoSizesOf(m.photo)
	}
	if m.doc != nil {
		out.Document = m.doc.document()
	}
	out.MediaGroupID = m.group
	if len(m.inline) > 0 {
		out.ReplyMarkup = &models.InlineKeyboardMarkup{InlineKeyboard: m.inline}
	}
	if m.edits > 0 {
		out.EditDate = int(m.edited.Unix())
	}
	return out
}

func (m *message) setMarkup(mk markup) {
	m.inline, m.reply, m.remove = mk.inline, mk.reply, mk.remove
}

// addBotMessageLocked numbers, dates and stores a message the bot sent.
func (s *Server) addBotMessageLocked(c *chat, m *message) {
	c.lastID++
	m.fromBot = true
	bot := s.bot
	m.api = models.Message{ID: c.lastID, From: &bot, Date: int(s.now().Unix()), Chat: c.user.apiChat()}
	m.files = m.photo
	if m.doc != nil {
		m.files = []*storedFile{m.doc}
	}
	s.addMessageLocked(c, m)
}

func (s *Server) editedLocked(m *message) {
	m.edits++
	m.edited = s.now()
}

// targetChatLocked finds the chat a call names in chat_id.
func (s *Server) targetChatLocked(r *request) (*chat, error) {
	raw := strings.TrimSpace(r.str("chat_id"))
	if raw == "" {
		return nil, badRequest("chat_id is empty")
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || s.chats[id] == nil {
		return nil, badRequest("chat not found")
	}
	return s.chats[id], nil
}

// sendTargetLocked finds the chat a call sends to or edits in; a user who
// blocked the bot answers 403.
func (s *Server) sendTargetLocked(r *request) (*chat, error) {
	c, err := s.targetChatLocked(r)
	if err != nil {
		return nil, err
	}
	if c.blocked {
		return nil, forbidden("bot was blocked by the user")
	}
	return c, nil
}

// editTargetLocked finds the bot's message an edit names.
func (s *Server) editTargetLocked(r *request) (*message, error) {
	if r.str("inline_message_id") != "" {
		return nil, badRequest("MESSAGE_ID_INVALID")
	}
	c, err := s.sendTargetLocked(r)
	if err != nil {
		return nil, err
	}
	if r.str("message_id") == "" {
		return nil, badRequest("message identifier is not specified")
	}
	id, err := r.int("message_id")
	if err != nil {
		return nil, err
	}
	m := c.byID[id]
	if m == nil || m.deleted {
		return nil, badRequest("message to edit not found")
	}
	if !m.fromBot {
		return nil, badRequest("message can't be edited")
	}
	return m, nil
}

// upload is the file a parameter uploads, directly or as attach://<name>.
func (r *request) upload(field string) (upload, bool) {
	if up, ok := r.files[field]; ok {
		return up, true
	}
	if name, ok := strings.CutPrefix(r.str(field), "attach://"); ok {
		up, ok := r.files[name]
		return up, ok
	}
	return upload{}, false
}

var errNotModified = badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")

// getMe answers https://core.telegram.org/bots/api#getme.
func getMe(s *Server, _ *request) (any, error) {
	return s.bot, nil
}

// sendMessage answers https://core.telegram.org/bots/api#sendmessage.
func sendMessage(s *Server, r *request) (any, error) {
	text, err := formatText(r.str("text"), r.str("parse_mode"), r.str("entities"))
	if err != nil {
		return nil, err
	}
	mk, err := parseMarkup(r.str("reply_markup"))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.sendTargetLocked(r)
	if err != nil {
		return nil, err
	}
	if err := s.limitLocked(c.user.ID); err != nil {
		return nil, err
	}
	m := &message{text: text, source: r.str("text"), parseMode: r.str("parse_mode")}
	m.setMarkup(mk)
	s.addBotMessageLocked(c, m)
	return m.apiMessage(), nil
}

// editMessageText answers https://core.telegram.org/bots/api#editmessagetext.
// As on Telegram, an edit without reply_markup removes the inline keyboard.
func editMessageText(s *Server, r *request) (any, error) {
	text, err := formatText(r.str("text"), r.str("parse_mode"), r.str("entities"))
	if err != nil {
		return nil, err
	}
	mk, err := parseEditMarkup(r.str("reply_markup"))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.editTargetLocked(r)
	if err != nil {
		return nil, err
	}
	if m.hasMedia() {
		return nil, badRequest("there is no text in the message to edit")
	}
	if m.text.equal(text) && sameKeyboard(m.inline, mk.inline) {
		return nil, errNotModified
	}
	if err := s.limitLocked(m.api.Chat.ID); err != nil {
		return nil, err
	}
	m.text, m.source, m.parseMode, m.inline = text, r.str("text"), r.str("parse_mode"), mk.inline
	s.editedLocked(m)
	return m.apiMessage(), nil
}

// editMessageReplyMarkup answers
// https://core.telegram.org/bots/api#editmessagereplymarkup.
func editMessageReplyMarkup(s *Server, r *request) (any, error) {
	mk, err := parseEditMarkup(r.str("reply_markup"))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.editTargetLocked(r)
	if err != nil {
		return nil, err
	}
	if sameKeyboard(m.inline, mk.inline) {
		return nil, errNotModified
	}
	if err := s.limitLocked(m.api.Chat.ID); err != nil {
		return nil, err
	}
	m.inline = mk.inline
	s.editedLocked(m)
	return m.apiMessage(), nil
}

// parseEditMarkup parses the reply_markup of an edit, which can only be an
// inline keyboard.
func parseEditMarkup(raw string) (markup, error) {
	mk, err := parseMarkup(raw)
	if err == nil && (mk.reply != nil || mk.remove) {
		err = badRequest("inline keyboard expected")
	}
	return mk, err
}

// deleteMessage answers https://core.telegram.org/bots/api#deletemessage.
func deleteMessage(s *Server, r *request) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.targetChatLocked(r)
	if err != nil {
		return nil, err
	}
	if r.str("message_id") == "" {
		return nil, badRequest("message identifier is not specified")
	}
	id, err := r.int("message_id")
	if err != nil {
		return nil, err
	}
	m := c.byID[id]
	if m == nil || m.deleted {
		return nil, badRequest("message to delete not found")
	}
	m.deleted = true
	return true, nil
}

// callbackQuery is a button press the bot has to answer.
type callbackQuery struct {
	id        string
	chatID    int64
	messageID int
	data      string
	created   time.Time
	answered  bool
}

// answerCallbackQuery answers
// https://core.telegram.org/bots/api#answercallbackquery.
func answerCallbackQuery(s *Server, r *request) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.callbacks[r.str("callback_query_id")]
	now := s.now()
	if q == nil || q.answered || now.Sub(q.created) > s.cfg.callbackAge {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	q.answered = true
	if c := s.chats[q.chatID]; c != nil {
		c.answers = append(c.answers, CallbackAnswer{
			QueryID:   q.id,
			MessageID: q.messageID,
			Data:      q.data,
			Text:      r.str("text"),
			ShowAlert: r.bool("show_alert"),
			URL:       r.str("url"),
			Time:      now,
		})
		if s.cfg.noHistory && len(c.answers) > chatLimit {
			c.answers = slices.Delete(c.answers, 0, 1)
		}
	}
	return true, nil
}

// sendPhoto answers https://core.telegram.org/bots/api#sendphoto.
func sendPhoto(s *Server, r *request) (any, error) {
	caption, err := formatCaption(r.str("caption"), r.str("parse_mode"), r.str("caption_entities"))
	if err != nil {
		return nil, err
	}
	mk, err := parseMarkup(r.str("reply_markup"))
	if err != nil {
		return nil, err
	}
	up, uploaded := r.upload("photo")
	var sizes []photoSize
	if uploaded {
		if len(up.data) == 0 {
			return nil, badRequest("file must be non-empty")
		}
		sizes = s.photoSizes(up.data) // outside the lock: it decodes and scales
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.sendTargetLocked(r)
	if err != nil {
		return nil, err
	}
	if err := s.limitLocked(c.user.ID); err != nil {
		return nil, err
	}
	var files []*storedFile
	if uploaded {
		files = s.addPhotoLocked(sizes)
	} else {
		f, err := s.fileByIDLocked(r.str("photo"), kindPhoto, "photo")
		if err != nil {
			return nil, err
		}
		files = f.photoFiles()
	}
	m := &message{text: caption, source: r.str("caption"), parseMode: r.str("parse_mode"), photo: files}
	m.setMarkup(mk)
	s.addBotMessageLocked(c, m)
	return m.apiMessage(), nil
}

// sendMediaGroup answers https://core.telegram.org/bots/api#sendmediagroup
// for photos sent again by file_id: 2 to 10 of them, each a message of the
// group, a caption on any; the group counts once against the pace.
func sendMediaGroup(s *Server, r *request) (any, error) {
	var media []struct {
		Type      string `json:"type"`
		Media     string `json:"media"`
		Caption   string `json:"caption"`
		ParseMode string `json:"parse_mode"`
	}
	if err := json.Unmarshal([]byte(r.str("media")), &media); err != nil {
		return nil, badRequest("can't parse media JSON object")
	}
	if len(media) < 2 || len(media) > 10 {
		return nil, badRequest("wrong number of media: must include 2-10 items")
	}
	captions := make([]formatted, len(media))
	for i, m := range media {
		if m.Type != "photo" {
			return nil, badRequest("unsupported media type %q", m.Type)
		}
		c, err := formatCaption(m.Caption, m.ParseMode, "")
		if err != nil {
			return nil, err
		}
		captions[i] = c
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.sendTargetLocked(r)
	if err != nil {
		return nil, err
	}
	files := make([][]*storedFile, len(media))
	for i, m := range media {
		f, err := s.fileByIDLocked(m.Media, kindPhoto, "media")
		if err != nil {
			return nil, err
		}
		files[i] = f.photoFiles()
	}
	if err := s.limitLocked(c.user.ID); err != nil {
		return nil, err
	}
	s.groups++
	group := fmt.Sprintf("g%d", s.groups)
	out := make([]models.Message, len(media))
	for i, m := range media {
		msg := &message{text: captions[i], source: m.Caption, parseMode: m.ParseMode, photo: files[i], group: group}
		s.addBotMessageLocked(c, msg)
		out[i] = msg.apiMessage()
	}
	return out, nil
}

// sendDocument answers https://core.telegram.org/bots/api#senddocument.
func sendDocument(s *Server, r *request) (any, error) {
	caption, err := formatCaption(r.str("caption"), r.str("parse_mode"), r.str("caption_entities"))
	if err != nil {
		return nil, err
	}
	mk, err := parseMarkup(r.str("reply_markup"))
	if err != nil {
		return nil, err
	}
	up, uploaded := r.upload("document")
	if uploaded && len(up.data) == 0 {
		return nil, badRequest("file must be non-empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.sendTargetLocked(r)
	if err != nil {
		return nil, err
	}
	if err := s.limitLocked(c.user.ID); err != nil {
		return nil, err
	}
	var f *storedFile
	if uploaded {
		f = s.addDocumentLocked(up.data, up.name, up.contentType)
	} else if f, err = s.fileByIDLocked(r.str("document"), kindDocument, "document"); err != nil {
		return nil, err
	}
	m := &message{text: caption, source: r.str("caption"), parseMode: r.str("parse_mode"), doc: f}
	m.setMarkup(mk)
	s.addBotMessageLocked(c, m)
	return m.apiMessage(), nil
}

// fileByIDLocked finds a file sent again by its file_id.
func (s *Server) fileByIDLocked(id string, kind fileKind, field string) (*storedFile, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return nil, badRequest("there is no %s in the request", field)
	}
	f := s.files[id]
	if f == nil || f.kind != kind {
		return nil, badRequest("wrong file identifier/HTTP URL specified")
	}
	return f, nil
}

var chatActions = map[string]bool{
	"typing": true, "upload_photo": true, "record_video": true, "upload_video": true,
	"record_voice": true, "upload_voice": true, "upload_document": true, "choose_sticker": true,
	"find_location": true, "record_video_note": true, "upload_video_note": true,
}

// sendChatAction answers https://core.telegram.org/bots/api#sendchataction.
func sendChatAction(s *Server, r *request) (any, error) {
	if !chatActions[r.str("action")] {
		return nil, badRequest("wrong parameter action in request")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.sendTargetLocked(r); err != nil {
		return nil, err
	}
	return true, nil
}

var (
	commandName  = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
	languageCode = regexp.MustCompile(`^([a-z]{2})?$`)
)

// commandsKey is where the commands of a scope and language are kept.
func commandsKey(scopeJSON, lang string) (string, error) {
	if !languageCode.MatchString(lang) {
		return "", badRequest("invalid language code specified")
	}
	if strings.TrimSpace(scopeJSON) == "" {
		return "default|" + lang, nil
	}
	var scope struct {
		Type   string          `json:"type"`
		ChatID json.RawMessage `json:"chat_id"`
		UserID int64           `json:"user_id"`
	}
	if err := json.Unmarshal([]byte(scopeJSON), &scope); err != nil {
		return "", badRequest("can't parse BotCommandScope JSON object")
	}
	chatID := strings.Trim(string(scope.ChatID), `"`)
	switch scope.Type {
	case "default", "all_private_chats", "all_group_chats", "all_chat_administrators":
		return scope.Type + "|" + lang, nil
	case "chat", "chat_administrators":
		if chatID == "" {
			return "", badRequest("chat_id is empty")
		}
		return scope.Type + ":" + chatID + "|" + lang, nil
	case "chat_member":
		if chatID == "" || scope.UserID == 0 {
			return "", badRequest("chat_id is empty")
		}
		return scope.Type + ":" + chatID + ":" + strconv.FormatInt(scope.UserID, 10) + "|" + lang, nil
	}
	return "", badRequest("unsupported bot command scope type %q", scope.Type)
}

// setMyCommands answers https://core.telegram.org/bots/api#setmycommands.
func setMyCommands(s *Server, r *request) (any, error) {
	key, err := commandsKey(r.str("scope"), r.str("language_code"))
	if err != nil {
		return nil, err
	}
	var cmds []models.BotCommand
	if err := json.Unmarshal([]byte(r.str("commands")), &cmds); err != nil {
		return nil, badRequest("can't parse commands JSON array")
	}
	if len(cmds) > maxCommands {
		return nil, badRequest("BOT_COMMANDS_TOO_MUCH")
	}
	for _, c := range cmds {
		if !commandName.MatchString(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := len([]rune(strings.TrimSpace(c.Description))); n == 0 || n > maxCommandDescLen {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(cmds) == 0 {
		delete(s.commands, key)
	} else {
		s.commands[key] = cmds
	}
	return true, nil
}

// getMyCommands answers https://core.telegram.org/bots/api#getmycommands.
func getMyCommands(s *Server, r *request) (any, error) {
	key, err := commandsKey(r.str("scope"), r.str("language_code"))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cmds := s.commands[key]
	if cmds == nil {
		cmds = []models.BotCommand{}
	}
	return cmds, nil
}

// deleteMyCommands answers https://core.telegram.org/bots/api#deletemycommands.
func deleteMyCommands(s *Server, r *request) (any, error) {
	key, err := commandsKey(r.str("scope"), r.str("language_code"))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.commands, key)
	return true, nil
}
