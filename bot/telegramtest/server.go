package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// maxRequestBody is the largest request the server reads: Telegram accepts
// uploads of up to 50 MB.
const maxRequestBody = 50<<20 + 1<<20

// ErrClosed is returned by Wait and WaitMessage once the server is closed.
var ErrClosed = errors.New("telegramtest: server closed")

// Server is a fake Telegram Bot API. Create it with New; all its methods are
// safe for concurrent use.
type Server struct {
	token string
	cfg   config
	bot   models.User
	http  *httptest.Server

	closeOnce sync.Once
	closed    chan struct{}

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change

	// Updates (updates.go).
	lastUpdateID int64
	groups       int              // media groups sent, to name the next
	queue        []*pendingUpdate // unconfirmed updates, by update_id
	history      map[int64]*pendingUpdate
	allowed      []string
	pollGen      uint64
	webhook      *webhook
	deliveries   []Delivery

	// Chats, files and the rest of the state (methods.go, files.go).
	chats       map[int64]*chat
	files       map[string]*storedFile
	paths       map[string]*storedFile
	fileSeq     int
	callbacks   map[string]*callbackQuery
	pressed     []*callbackQuery // WithoutHistory: callbacks, oldest first, to forget
	callbackSeq int64
	albumSeq    int64
	commands    map[string][]models.BotCommand

	limits limits // WithLimits

	// Inspection and faults.
	calls    []Call
	fault    func(method string, chatID int64) *Fault
	failNext map[string][]Fault
}

type config struct {
	now          func() time.Time
	callbackAge  time.Duration
	webhookRetry time.Duration
	firstName    string
	username     string
	callHook     func(Call)
	enqueueHook  func(models.Update, time.Time)
	noHistory    bool
	noThumbnails bool
	limits       bool
	globalRate   int // unsolicited messages a second in all, under limits
}

// What WithoutHistory keeps: the last historyLimit calls and webhook
// deliveries, and per chat the last chatLimit messages of each side and
// callback answers.
const (
	historyLimit = 1000
	chatLimit    = 20
)

// Option configures a Server.
type Option func(*config)

// WithClock makes the server read the time from now instead of time.Now: it
// dates messages, updates and calls, and decides when a callback query is too
// old to answer. Long-poll timeouts and webhook retry pauses still run on real
// time.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// WithCallbackAge sets how long after a button press answerCallbackQuery is
// still accepted; after that it answers "query is too old". The default is 15
// seconds, as on Telegram.
func WithCallbackAge(d time.Duration) Option {
	return func(c *config) { c.callbackAge = d }
}

// WithWebhookRetry sets the first pause before a webhook delivery that did not
// get a 2xx answer is tried again; the pause doubles on each failure, up to
// one second. The default is 50 milliseconds.
func WithWebhookRetry(d time.Duration) Option {
	return func(c *config) { c.webhookRetry = d }
}

// WithBotName sets the first name and username getMe reports. The defaults
// are "Hoctap Test" and "hoctap_test_bot".
func WithBotName(firstName, username string) Option {
	return func(c *config) { c.firstName, c.username = firstName, username }
}

// WithCallHook makes the server call hook for each Bot API call it answers,
// with the call as Calls reports it (Params is the hook's own copy), once
// the call is recorded (Calls and Wait already see it) and before the answer
// is sent: when the bot's request returns, its hook has run. The hook runs
// synchronously in the goroutine serving the call, without the server's
// lock held, so it may call any Server method, but it must not wait for the
// bot, which waits for it; it should be quick. Calls are served
// concurrently: the hook must be safe for concurrent use.
func WithCallHook(hook func(Call)) Option {
	return func(c *config) { c.callHook = hook }
}

// WithEnqueueHook makes the server call hook for every update a simulated
// person makes (SendText, Press, Block, ...; not Redeliver), with the update
// as the bot will decode it (the hook's own copy) and the time it was queued,
// read from the server's clock. The hook runs in the goroutine that made the
// update, after the server's lock is released, so it may call any Server
// method; it must be safe for concurrent use. The update is handed to the
// bot (getUpdates or the webhook) only once the hook has returned, so a
// reply to it is never seen before its hook ran; meanwhile the updates
// behind it wait as well (those of its chat only, with a webhook that has
// max_connections above 1). The hook must therefore not wait for the bot to
// react to the update.
func WithEnqueueHook(hook func(u models.Update, queued time.Time)) Option {
	return func(c *config) { c.enqueueHook = hook }
}

// WithoutHistory bounds the memory the server uses on long runs, such as a
// load test: Calls and Deliveries report only the last 1000 entries; an
// update is forgotten once it is confirmed or delivered (Redeliver then no
// longer knows it); each chat keeps only the last 20 messages of the bot and
// the last 20 of the person, and the last 20 callback answers; a file is
// forgotten with the last kept message that shows it (getFile and a resend
// by file_id then fail as for an unknown file); and a button press is
// forgotten once it is twice as old as the callback age allows. A forgotten
// message behaves as an unknown one: editing or deleting it answers "message
// to edit not found" or "message to delete not found", and pressing a button
// under it sends an inaccessible message.
func WithoutHistory() Option {
	return func(c *config) { c.noHistory = true }
}

// WithoutThumbnails skips decoding and scaling the photos that people send or
// the bot uploads: every PhotoSize entry keeps the width and height Telegram
// would give it, but all sizes are files with the photo's own bytes (and
// file_size). Scaling a photo costs tens of milliseconds of CPU, which a load
// test wants spent on the bot.
func WithoutThumbnails() Option {
	return func(c *config) { c.noThumbnails = true }
}

// New starts a fake Bot API for the bot with the given token. Its id, as
// getMe reports it, is the number before the colon in the token.
func New(token string, opts ...Option) *Server {
	cfg := config{
		now:          time.Now,
		callbackAge:  15 * time.Second,
		globalRate:   GlobalRate,
		webhookRetry: 50 * time.Millisecond,
		firstName:    "Hoctap Test",
		username:     "hoctap_test_bot",
	}
	for _, o := range opts {
		o(&cfg)
	}
	id, err := strconv.ParseInt(strings.SplitN(token, ":", 2)[0], 10, 64)
	if err != nil || id <= 0 {
		id = 1
	}
	s := &Server{
		token:     token,
		cfg:       cfg,
		bot:       models.User{ID: id, IsBot: true, FirstName: cfg.firstName, Username: cfg.username, CanJoinGroups: true},
		closed:    make(chan struct{}),
		changed:   make(chan struct{}),
		history:   make(map[int64]*pendingUpdate),
		chats:     make(map[int64]*chat),
		files:     make(map[string]*storedFile),
		paths:     make(map[string]*storedFile),
		callbacks: make(map[string]*callbackQuery),
		commands:  make(map[string][]models.BotCommand),
		failNext:  make(map[string][]Fault),
		limits:    limits{credits: map[int64][]time.Time{}, unsolicited: map[int64]time.Time{}},
	}
	s.http = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// URL is the API root to give bot.WithServerURL, such as http://127.0.0.1:4321.
func (s *Server) URL() string { return s.http.URL }

// Close stops webhook deliveries, ends waiting long polls and Waits, and shuts
// the HTTP server down. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		close(s.closed)
		wh := s.stopWebhookLocked()
		s.notifyLocked()
		s.mu.Unlock()
		if wh != nil {
			<-wh.done
		}
		s.http.Close()
	})
}

// notifyLocked wakes everything waiting for a change: long polls, webhook
// delivery and Wait.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) now() time.Time { return s.cfg.now() }

// Fault is an error answer that SetFault or FailNext makes a call return
// instead of its normal effect. A zero Description is filled in from Status,
// as Telegram words it ("Too Many Requests: retry after N" for 429).
type Fault struct {
	Status      int    // HTTP status and error_code, such as 429, 500, 502 or 403
	Description string // description; empty for Telegram's usual one
	RetryAfter  int    // parameters.retry_after in seconds, for 429
}

// TooManyRequests is the 429 Telegram answers when a bot sends too fast.
func TooManyRequests(retryAfter int) Fault {
	return Fault{Status: http.StatusTooManyRequests, RetryAfter: retryAfter}
}

// ServerError is a 5xx answer such as 500 "Internal Server Error" or 502
// "Bad Gateway".
func ServerError(status int) Fault { return Fault{Status: status} }

func (f Fault) apiError() *apiError {
	e := &apiError{code: f.Status, description: f.Description, retryAfter: f.RetryAfter}
	if e.code == 0 {
		e.code = http.StatusInternalServerError
	}
	if e.code == http.StatusTooManyRequests && e.retryAfter == 0 {
		e.retryAfter = 1
	}
	if e.description == "" {
		switch e.code {
		case http.StatusTooManyRequests:
			e.description = fmt.Sprintf("Too Many Requests: retry after %d", e.retryAfter)
		case http.StatusForbidden:
			e.description = "Forbidden: bot was blocked by the user"
		case http.StatusBadRequest:
			e.description = "Bad Request"
		default:
			e.description = http.StatusText(e.code)
		}
	}
	return e
}

// SetFault installs f, which is asked before every Bot API call with the
// method name and the chat it concerns (0 when none) and may return a Fault
// for the call to answer instead of taking effect. nil removes it. f runs
// without the server's lock held but must not block.
func (s *Server) SetFault(f func(method string, chatID int64) *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// FailNext makes the next n calls of method (in any chat) answer f. It is
// consulted before the SetFault function.
func (s *Server) FailNext(method string, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(method)
	for range n {
		s.failNext[key] = append(s.failNext[key], f)
	}
}

// faultFor returns the fault the call must answer, if any.
func (s *Server) faultFor(method string, chatID int64) *Fault {
	s.mu.Lock()
	key := strings.ToLower(method)
	if q := s.failNext[key]; len(q) > 0 {
		f := q[0]
		s.failNext[key] = q[1:]
		s.mu.Unlock()
		return &f
	}
	fn := s.fault
	s.mu.Unlock()
	if fn == nil {
		return nil
	}
	return fn(method, chatID)
}

// apiError is an answer with "ok":false.
type apiError struct {
	code        int
	description string
	retryAfter  int
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.code, e.description) }

func badRequest(format string, args ...any) error {
	return &apiError{code: http.StatusBadRequest, description: "Bad Request: " + fmt.Sprintf(format, args...)}
}

func forbidden(description string) error {
	return &apiError{code: http.StatusForbidden, description: "Forbidden: " + description}
}

func conflict(description string) error {
	return &apiError{code: http.StatusConflict, description: "Conflict: " + description}
}

var (
	errUnauthorized = &apiError{code: http.StatusUnauthorized, description: "Unauthorized"}
	errNotFound     = &apiError{code: http.StatusNotFound, description: "Not Found"}
	errTooLarge     = &apiError{code: http.StatusRequestEntityTooLarge, description: "Request Entity Too Large"}
)

// described is a successful result that also carries a description, as
// setWebhook's "Webhook was set".
type described struct {
	result      any
	description string
}

// envelope is every answer of the Bot API.
type envelope struct {
	OK          bool                `json:"ok"`
	Result      json.RawMessage     `json:"result,omitempty"`
	ErrorCode   int                 `json:"error_code,omitempty"`
	Description string              `json:"description,omitempty"`
	Parameters  *responseParameters `json:"parameters,omitempty"`
}

type responseParameters struct {
	RetryAfter int `json:"retry_after,omitempty"`
}

// encodeResult is the answer to a successful call, or the error to answer
// if the result cannot be encoded.
func encodeResult(result any) (int, []byte, *apiError) {
	env := envelope{OK: true}
	if d, ok := result.(described); ok {
		result, env.Description = d.result, d.description
	}
	raw, ok := result.(json.RawMessage)
	if !ok {
		var err error
		raw, err = json.Marshal(result)
		if err != nil {
			return 0, nil, &apiError{code: http.StatusInternalServerError, description: "Internal Server Error"}
		}
	}
	env.Result = raw
	body, _ := json.Marshal(env)
	return http.StatusOK, body, nil
}

// encodeError is the answer to a failed call.
func encodeError(e *apiError) (int, []byte) {
	env := envelope{ErrorCode: e.code, Description: e.description}
	if e.retryAfter > 0 {
		env.Parameters = &responseParameters{RetryAfter: e.retryAfter}
	}
	body, _ := json.Marshal(env)
	return e.code, body
}

func writeError(w http.ResponseWriter, e *apiError) {
	status, body := encodeError(e)
	writeBody(w, status, body)
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// request is one parsed Bot API call.
type request struct {
	ctx    context.Context
	method string
	params map[string]string
	files  map[string]upload
	chatID int64
}

// upload is a file sent as a multipart part.
type upload struct {
	name        string
	contentType string
	data        []byte
}

func (r *request) str(name string) string { return r.params[name] }

func (r *request) has(name string) bool {
	_, ok := r.params[name]
	return ok
}

func (r *request) int64(name string) (int64, error) {
	v := strings.TrimSpace(r.params[name])
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, badRequest("invalid %s specified", name)
	}
	return n, nil
}

func (r *request) int(name string) (int, error) {
	n, err := r.int64(name)
	return int(n), err
}

func (r *request) bool(name string) bool {
	b, _ := strconv.ParseBool(strings.TrimSpace(r.params[name]))
	return b
}

// serveHTTP routes /bot<token>/<method> and /file/bot<token>/<path>.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case strings.HasPrefix(p, "/file/bot"):
		s.serveFile(w, r, strings.TrimPrefix(p, "/file/bot"))
	case strings.HasPrefix(p, "/bot"):
		s.serveMethod(w, r, strings.TrimPrefix(p, "/bot"))
	default:
		writeError(w, errNotFound)
	}
}

func (s *Server) serveMethod(w http.ResponseWriter, r *http.Request, rest string) {
	token, name, _ := strings.Cut(rest, "/")
	call := Call{Method: name, Time: s.now()}
	result, err := s.call(r, token, name, &call)
	var apiErr *apiError
	if err != nil && !errors.As(err, &apiErr) {
		apiErr = &apiError{code: http.StatusInternalServerError, description: "Internal Server Error: " + err.Error()}
	}
	var (
		status int
		body   []byte
	)
	if apiErr == nil {
		status, body, apiErr = encodeResult(result)
	}
	if apiErr != nil {
		status, body = encodeError(apiErr)
		call.Status, call.Description = apiErr.code, apiErr.description
	} else {
		call.Status = http.StatusOK
	}
	// The call is recorded before the bot can read the answer, so a test
	// sees it in Calls as soon as the bot's request returned.
	s.mu.Lock()
	s.calls = append(s.calls, call)
	if s.cfg.noHistory {
		s.calls = trimHistory(s.calls)
	}
	s.notifyLocked()
	s.mu.Unlock()
	if hook := s.cfg.callHook; hook != nil {
		call.Params = maps.Clone(call.Params)
		hook(call)
	}
	writeBody(w, status, body)
}

// trimHistory drops the oldest entries of a record WithoutHistory bounds,
// once it holds twice as many as it reports.
func trimHistory[T any](xs []T) []T {
	if len(xs) <= 2*historyLimit {
		return xs
	}
	return slices.Clone(xs[len(xs)-historyLimit:])
}

// lastHistory is what a bounded record reports: its last historyLimit
// entries.
func lastHistory[T any](xs []T) []T {
	return xs[max(0, len(xs)-historyLimit):]
}

// call checks the token and the method, parses the parameters, applies a
// fault if one is set and runs the method.
func (s *Server) call(r *http.Request, token, name string, call *Call) (any, error) {
	if token != s.token {
		return nil, errUnauthorized
	}
	m, ok := methods[strings.ToLower(name)]
	if !ok || (r.Method != http.MethodPost && r.Method != http.MethodGet) {
		return nil, errNotFound
	}
	call.Method = m.name
	req, err := parseRequest(r)
	if err != nil {
		return nil, err
	}
	req.method = m.name
	req.chatID = s.chatOf(req)
	call.Params, call.ChatID = req.params, req.chatID
	if f := s.faultFor(m.name, req.chatID); f != nil {
		call.Fault = f
		return nil, f.apiError()
	}
	return m.fn(s, req)
}

// chatOf is the chat a call concerns, for faults and Calls.
func (s *Server) chatOf(r *request) int64 {
	if id, err := strconv.ParseInt(strings.TrimSpace(r.params["chat_id"]), 10, 64); err == nil {
		return id
	}
	if qid := r.params["callback_query_id"]; qid != "" {
		s.mu.Lock()
		defer s.mu.Unlock()
		if q := s.callbacks[qid]; q != nil {
			return q.chatID
		}
	}
	return 0
}

// parseRequest reads the parameters of a call from the query string and from
// a multipart/form-data, JSON or URL-encoded body. File parts go to files and
// show in params as "@<file name>".
func parseRequest(r *http.Request) (*request, error) {
	req := &request{ctx: r.Context(), params: make(map[string]string), files: make(map[string]upload)}
	for k, v := range r.URL.Query() {
		req.params[k] = v[0]
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		return nil, badRequest("can't read request body")
	}
	if len(body) > maxRequestBody {
		return nil, errTooLarge
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return req, nil
	}
	ct, ctParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		if err := parseMultipart(req, body, ctParams["boundary"]); err != nil {
			return nil, badRequest("can't parse multipart/form-data: %v", err)
		}
	case "application/json":
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(body, &fields); err != nil {
			return nil, badRequest("can't parse JSON object")
		}
		for k, v := range fields {
			var str string
			switch {
			case string(v) == "null":
				continue
			case json.Unmarshal(v, &str) == nil:
				req.params[k] = str
			default:
				req.params[k] = string(v)
			}
		}
	default:
		values, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, badRequest("can't parse request parameters")
		}
		for k, v := range values {
			req.params[k] = v[0]
		}
	}
	return req, nil
}

func parseMultipart(req *request, body []byte, boundary string) error {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return err
		}
		name := part.FormName()
		if fileName := part.FileName(); fileName != "" {
			req.files[name] = upload{name: fileName, contentType: part.Header.Get("Content-Type"), data: data}
			req.params[name] = "@" + fileName
			continue
		}
		req.params[name] = string(data)
	}
}

// method is one Bot API method; fn returns the result or an error, an
// *apiError for the answers Telegram gives.
type method struct {
	name string
	fn   func(*Server, *request) (any, error)
}

// methods maps lower-case method names, as Telegram's are case-insensitive.
var methods = func() map[string]method {
	all := []method{
		{"getMe", getMe},
		{"getUpdates", getUpdates},
		{"setWebhook", setWebhook},
		{"deleteWebhook", deleteWebhook},
		{"getWebhookInfo", getWebhookInfo},
		{"sendMessage", sendMessage},
		{"editMessageText", editMessageText},
		{"editMessageReplyMarkup", editMessageReplyMarkup},
		{"deleteMessage", deleteMessage},
		{"answerCallbackQuery", answerCallbackQuery},
		{"sendPhoto", sendPhoto},
		{"sendDocument", sendDocument},
		{"sendMediaGroup", sendMediaGroup},
		{"sendChatAction", sendChatAction},
		{"setMyCommands", setMyCommands},
		{"getMyCommands", getMyCommands},
		{"deleteMyCommands", deleteMyCommands},
		{"getFile", getFile},
	}
	m := make(map[string]method, len(all))
	for _, x := range all {
		m[strings.ToLower(x.name)] = x
	}
	return m
}()
