package telegramtest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// Webhook delivery: the longest pause between two attempts, and how long
// the server waits for the bot's answer.
const (
	maxWebhookRetry = time.Second
	webhookTimeout  = 30 * time.Second
)

// pendingUpdate is an update waiting to be confirmed (getUpdates) or
// delivered (webhook).
type pendingUpdate struct {
	id   int64
	raw  json.RawMessage
	kind string // the allowed_updates name: message, callback_query, ...
	chat int64  // the chat it comes from; 0 if none

	// held is set until the enqueue hook has returned: the update and those
	// behind it are not handed out before.
	held bool

	// redelivery marks a copy queued again by Redeliver: it is handed out
	// once whatever the offset, and dropped at the next getUpdates.
	redelivery bool
	handedOut  bool
}

// enqueued is an update just queued, for publish.
type enqueued struct {
	p      *pendingUpdate
	update models.Update // as the bot will decode it
	at     time.Time
}

// enqueueLocked numbers an update and queues it. The caller must pass the
// result to publish once it has released the lock.
func (s *Server) enqueueLocked(u *models.Update, kind string) enqueued {
	s.lastUpdateID++
	u.ID = s.lastUpdateID
	raw, err := json.Marshal(u)
	if err != nil {
		panic(fmt.Sprintf("telegramtest: marshal update: %v", err))
	}
	p := &pendingUpdate{id: u.ID, raw: raw, kind: kind, chat: updateChat(u), held: s.cfg.enqueueHook != nil}
	if !s.cfg.noHistory {
		s.history[p.id] = p
	}
	s.queue = append(s.queue, p)
	if kind == models.AllowedUpdateMessage || kind == models.AllowedUpdateCallbackQuery {
		s.creditLocked(p.chat)
	}
	s.notifyLocked()
	s.kickWebhookLocked()
	e := enqueued{p: p, at: s.now()}
	if err := json.Unmarshal(raw, &e.update); err != nil {
		panic(fmt.Sprintf("telegramtest: unmarshal update: %v", err))
	}
	return e
}

// publish calls the enqueue hook for an update enqueueLocked queued, then
// lets the bot have it. It must be called without the lock held.
func (s *Server) publish(e enqueued) models.Update {
	hook := s.cfg.enqueueHook
	if hook == nil {
		return e.update
	}
	defer func() {
		s.mu.Lock()
		e.p.held = false
		s.notifyLocked()
		s.kickWebhookLocked()
		s.mu.Unlock()
	}()
	var own models.Update
	if err := json.Unmarshal(e.p.raw, &own); err != nil {
		panic(fmt.Sprintf("telegramtest: unmarshal update: %v", err))
	}
	hook(own, e.at)
	return e.update
}

// updateChat is the chat an update comes from.
func updateChat(u *models.Update) int64 {
	switch {
	case u.Message != nil:
		return u.Message.Chat.ID
	case u.CallbackQuery != nil:
		if m := u.CallbackQuery.Message.Message; m != nil {
			return m.Chat.ID
		}
		if m := u.CallbackQuery.Message.InaccessibleMessage; m != nil {
			return m.Chat.ID
		}
		return u.CallbackQuery.From.ID
	case u.MyChatMember != nil:
		return u.MyChatMember.Chat.ID
	}
	return 0
}

// Redeliver queues the update updateID again, with the same update_id, as
// Telegram does when it is not sure the bot got it: the next getUpdates
// returns it whatever its offset, or the webhook receives it again. With
// WithoutHistory only an update still queued can be redelivered.
func (s *Server) Redeliver(updateID int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.history[updateID]
	if s.cfg.noHistory {
		if i := slices.IndexFunc(s.queue, func(q *pendingUpdate) bool { return q.id == updateID }); i >= 0 {
			p = s.queue[i]
		}
	}
	if p == nil {
		return fmt.Errorf("telegramtest: no update %d", updateID)
	}
	again := &pendingUpdate{id: p.id, raw: p.raw, kind: p.kind, chat: p.chat, redelivery: true}
	i, _ := slices.BinarySearchFunc(s.queue, again.id, func(q *pendingUpdate, id int64) int {
		return cmp.Compare(q.id, id)
	})
	s.queue = slices.Insert(s.queue, i, again)
	s.notifyLocked()
	s.kickWebhookLocked()
	return nil
}

// allowedLocked reports whether updates of kind are delivered under the
// current allowed_updates: by default all but chat_member and reactions.
func (s *Server) allowedLocked(kind string) bool {
	if len(s.allowed) == 0 {
		switch kind {
		case models.AllowedUpdateChatMember, models.AllowedUpdateMessageReaction, models.AllowedUpdateMessageReactionCount:
			return false
		}
		return true
	}
	return slices.Contains(s.allowed, kind)
}

// confirmLocked applies a getUpdates offset: updates below it are confirmed
// and forgotten; a negative offset keeps only the last -offset updates.
// Redelivered copies already handed out are dropped too.
func (s *Server) confirmLocked(offset int64) {
	if offset < 0 && int64(len(s.queue)) > -offset {
		s.queue = slices.Clone(s.queue[int64(len(s.queue))+offset:])
	}
	s.queue = slices.DeleteFunc(s.queue, func(p *pendingUpdate) bool {
		if p.redelivery {
			return p.handedOut
		}
		return offset > 0 && p.id < offset
	})
}

// takeLocked returns up to limit queued updates for getUpdates, dropping
// those allowed_updates excludes. It stops at an update still held for its
// enqueue hook, so that updates are handed out in order.
func (s *Server) takeLocked(limit int) []*pendingUpdate {
	s.queue = slices.DeleteFunc(s.queue, func(p *pendingUpdate) bool { return !s.allowedLocked(p.kind) })
	n := 0
	for n < min(limit, len(s.queue)) && !s.queue[n].held {
		n++
	}
	out := s.queue[:n]
	for _, p := range out {
		if p.redelivery {
			p.handedOut = true
		}
	}
	return slices.Clone(out)
}

func rawArray(ps []*pendingUpdate) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(p.raw)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// setAllowedLocked applies an allowed_updates parameter, when given.
func (s *Server) setAllowedLocked(r *request) error {
	if !r.has("allowed_updates") {
		return nil
	}
	var allowed []string
	if err := json.Unmarshal([]byte(r.str("allowed_updates")), &allowed); err != nil {
		return badRequest("can't parse allowed updates JSON array")
	}
	s.allowed = allowed
	return nil
}

var (
	errWebhookActive = conflict("can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
	errTerminated    = conflict("terminated by other getUpdates request; make sure that only one bot instance is running")
)

// getUpdates answers https://core.telegram.org/bots/api#getupdates: it
// confirms the updates below offset, then returns the queued ones or, with a
// timeout (in seconds), waits for one. A newer getUpdates ends a waiting one
// with 409, as on Telegram.
func getUpdates(s *Server, r *request) (any, error) {
	offset, err := r.int64("offset")
	if err != nil {
		return nil, err
	}
	limit, err := r.int("limit")
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, err := r.int("timeout")
	if err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.webhook != nil {
		return nil, errWebhookActive
	}
	if err := s.setAllowedLocked(r); err != nil {
		return nil, err
	}
	s.confirmLocked(offset)
	s.pollGen++
	gen := s.pollGen
	s.notifyLocked() // ends an older poll still waiting

	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(time.Duration(timeout) * time.Second)
		defer t.Stop()
		expired = t.C
	}
	for {
		if ps := s.takeLocked(limit); len(ps) > 0 || expired == nil {
			return rawArray(ps), nil
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-expired:
			expired = nil
		case <-r.ctx.Done():
			expired = nil
		case <-s.closed:
			expired = nil
		}
		s.mu.Lock()
		switch {
		case s.pollGen != gen:
			return nil, errTerminated
		case s.webhook != nil:
			return nil, errWebhookActive
		}
	}
}

// webhook is a webhook set with setWebhook, and its delivery goroutines.
// Its fields below done are guarded by the server's lock.
type webhook struct {
	url, secret    string
	maxConnections int
	lastErrorDate  int
	lastError      string
	cancel         context.CancelFunc
	client         *http.Client
	kick           chan struct{} // wakes the dispatcher: an update to deliver, or room for one
	done           chan struct{} // closed once no delivery runs any more

	running  sync.WaitGroup         // deliveries
	inFlight int                    // deliveries waiting for the webhook's answer
	busy     map[lane]bool          // lanes with an update in flight or waiting to be retried
	attempts map[*pendingUpdate]int // attempts so far at updates not yet delivered
	seen     map[lane]bool          // scratch for startLocked
}

// lane is a sequence of updates delivered one at a time and in order: those
// of one chat, or, with max_connections 1, all of them.
type lane struct{ chat, update int64 }

func (wh *webhook) laneOf(p *pendingUpdate) lane {
	switch {
	case wh.maxConnections == 1:
		return lane{}
	case p.chat == 0:
		return lane{update: p.id}
	}
	return lane{chat: p.chat}
}

// wake wakes the dispatcher, if it is not already awake.
func (wh *webhook) wake() {
	select {
	case wh.kick <- struct{}{}:
	default:
	}
}

func (s *Server) kickWebhookLocked() {
	if s.webhook != nil {
		s.webhook.wake()
	}
}

var secretToken = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// setWebhook answers https://core.telegram.org/bots/api#setwebhook. Unlike
// Telegram it accepts plain http URLs on any port, such as an httptest
// server's. An empty url removes the webhook.
func setWebhook(s *Server, r *request) (any, error) {
	if r.str("url") == "" {
		return deleteWebhook(s, r)
	}
	u, err := url.Parse(r.str("url"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, badRequest("bad webhook: invalid webhook URL specified")
	}
	secret := r.str("secret_token")
	if secret != "" && !secretToken.MatchString(secret) {
		return nil, badRequest("secret token contains unallowed characters")
	}
	maxConns, err := r.int("max_connections")
	if err != nil {
		return nil, err
	}
	if maxConns <= 0 {
		maxConns = 40
	}
	maxConns = min(maxConns, 100)

	s.mu.Lock()
	if err := s.setAllowedLocked(r); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if r.bool("drop_pending_updates") {
		s.queue = nil
	}
	if wh := s.webhook; wh != nil && wh.url == u.String() && wh.secret == secret && wh.maxConnections == maxConns {
		s.mu.Unlock()
		return described{true, "Webhook is already set"}, nil
	}
	old := s.stopWebhookLocked()
	ctx, cancel := context.WithCancel(context.Background())
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = maxConns, maxConns
	wh := &webhook{
		url: u.String(), secret: secret, maxConnections: maxConns, cancel: cancel,
		client: &http.Client{Timeout: webhookTimeout, Transport: tr},
		kick:   make(chan struct{}, 1), done: make(chan struct{}),
		busy: make(map[lane]bool), attempts: make(map[*pendingUpdate]int), seen: make(map[lane]bool),
	}
	s.webhook = wh
	s.notifyLocked()
	s.mu.Unlock()
	if old != nil {
		<-old.done
	}
	go s.deliver(ctx, wh)
	return described{true, "Webhook was set"}, nil
}

// deleteWebhook answers https://core.telegram.org/bots/api#deletewebhook.
// It returns once no delivery is running any more.
func deleteWebhook(s *Server, r *request) (any, error) {
	s.mu.Lock()
	if r.bool("drop_pending_updates") {
		s.queue = nil
	}
	old := s.stopWebhookLocked()
	s.notifyLocked()
	s.mu.Unlock()
	if old == nil {
		return described{true, "Webhook is already deleted"}, nil
	}
	<-old.done
	return described{true, "Webhook was deleted"}, nil
}

// stopWebhookLocked removes the webhook and stops its delivery; the caller
// waits for the returned webhook's done after unlocking.
func (s *Server) stopWebhookLocked() *webhook {
	wh := s.webhook
	if wh != nil {
		wh.cancel()
		s.webhook = nil
	}
	return wh
}

// getWebhookInfo answers https://core.telegram.org/bots/api#getwebhookinfo.
func getWebhookInfo(s *Server, _ *request) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := models.WebhookInfo{PendingUpdateCount: len(s.queue), AllowedUpdates: s.allowed}
	if wh := s.webhook; wh != nil {
		info.URL, info.MaxConnections = wh.url, wh.maxConnections
		info.LastErrorDate, info.LastErrorMessage = wh.lastErrorDate, wh.lastError
	}
	return info, nil
}

// deliver posts queued updates to the webhook until ctx ends, up to
// max_connections at a time: updates of different chats concurrently, those
// of one chat one at a time and in order (with max_connections 1, all of
// them one at a time and in order). An update is dropped from the queue once
// the bot answered it with a 2xx status; otherwise it is tried again after a
// pause that doubles up to maxWebhookRetry, and the updates of its chat wait
// until it is delivered.
func (s *Server) deliver(ctx context.Context, wh *webhook) {
	defer close(wh.done)
	defer wh.client.CloseIdleConnections()
	defer wh.running.Wait()
	for {
		s.mu.Lock()
		if ctx.Err() != nil {
			s.mu.Unlock()
			return
		}
		s.startLocked(ctx, wh)
		s.mu.Unlock()
		select {
		case <-wh.kick:
		case <-ctx.Done():
			return
		}
	}
}

// startLocked starts delivering the first queued update of every lane that
// is idle, in queue order, while there is room.
func (s *Server) startLocked(ctx context.Context, wh *webhook) {
	s.queue = slices.DeleteFunc(s.queue, func(p *pendingUpdate) bool { return !s.allowedLocked(p.kind) })
	if wh.inFlight >= wh.maxConnections {
		return
	}
	clear(wh.seen)
	for _, p := range s.queue {
		l := wh.laneOf(p)
		if wh.seen[l] {
			continue // behind an earlier update of its lane
		}
		wh.seen[l] = true
		if p.held || wh.busy[l] {
			continue
		}
		wh.busy[l] = true
		wh.inFlight++
		wh.attempts[p]++
		wh.running.Add(1)
		go s.deliverOne(ctx, wh, p, l, wh.attempts[p])
		if wh.inFlight >= wh.maxConnections {
			return
		}
	}
}

// deliverOne makes one attempt at delivering p, records it and, when it
// failed, keeps p's lane busy for the pause before the next attempt.
func (s *Server) deliverOne(ctx context.Context, wh *webhook, p *pendingUpdate, l lane, attempt int) {
	defer wh.running.Done()
	status, err := post(ctx, wh, p.raw)
	if ctx.Err() != nil {
		return // the webhook was removed: the update stays queued
	}
	d := Delivery{UpdateID: p.id, Attempt: attempt, Time: s.now(), Status: status}
	ok := err == nil && status >= 200 && status < 300
	s.mu.Lock()
	wh.inFlight--
	switch {
	case ok:
		s.queue = slices.DeleteFunc(s.queue, func(q *pendingUpdate) bool { return q == p })
		delete(wh.attempts, p)
		delete(wh.busy, l)
	case err != nil:
		d.Err = err.Error()
		wh.lastErrorDate, wh.lastError = int(d.Time.Unix()), "Connection failed: "+err.Error()
	default:
		wh.lastErrorDate, wh.lastError = int(d.Time.Unix()), fmt.Sprintf("Wrong response from the webhook: %d %s", status, http.StatusText(status))
	}
	s.deliveries = append(s.deliveries, d)
	if s.cfg.noHistory {
		s.deliveries = trimHistory(s.deliveries)
	}
	s.notifyLocked()
	wh.wake()
	s.mu.Unlock()
	if ok {
		return
	}

	pause := s.cfg.webhookRetry
	for range attempt - 1 {
		if pause >= maxWebhookRetry {
			break
		}
		pause *= 2
	}
	t := time.NewTimer(min(pause, maxWebhookRetry))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return
	}
	s.mu.Lock()
	delete(wh.busy, l)
	if !slices.Contains(s.queue, p) { // dropped meanwhile
		delete(wh.attempts, p)
	}
	wh.wake()
	s.mu.Unlock()
}

// post sends one update to the webhook and returns the HTTP status.
func post(ctx context.Context, wh *webhook, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, wh.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if wh.secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", wh.secret)
	}
	resp, err := wh.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}
