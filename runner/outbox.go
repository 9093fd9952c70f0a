package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"hoctap/flows"
	"hoctap/metric"
)

// Lane says how urgent a message is.
type Lane uint8

// The lanes of the outbox.
const (
	// LaneReply: the answer to a person's own action, sent at once and
	// before anything else; beyond ReplyBurst messages for one action the
	// rest are paced as notices are.
	LaneReply Lane = iota
	// LaneNotice: a message nobody asked for just now (a decision, a
	// reminder), paced by the global rate and at most one per ChatEvery in
	// a conversation.
	LaneNotice
	// LaneBulk: a broadcast, paced as notices are, after them.
	LaneBulk
)

// Pacing of messages nobody asked for just now, as Telegram tolerates them.
const (
	ReplyBurst = 3           // messages that answer one action at once
	ChatEvery  = time.Second // between two unsolicited messages in a conversation
)

// Message is one thing for the channel to show.
type Message struct {
	Conv   flows.Conv
	User   int64  // the person, marked inactive when they blocked the bot
	Origin Origin // the input it answers, for a reply; nil otherwise
	// Ack asks to answer the origin — a button press — with Out.Notice as
	// its toast (or none). A reply to a press starts with one.
	Ack bool
	Out flows.Output
}

// Sender shows messages on a channel. It tells what went wrong with the
// errors below; any other error is a passing failure, tried again.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// What a Sender's errors mean; the outbox alone decides what to do with
// them.
var (
	ErrBlocked     = errors.New("the person blocked the bot")          // stop sending to them
	ErrTooOld      = errors.New("the press can no longer be answered") // done: the press was handled anyway
	ErrNotModified = errors.New("the message shows that already")      // done
	ErrNoTarget    = errors.New("the message to replace is not there") // send it as a new one
)

// Throttled is a Sender's error for "too many requests": its scope (the
// conversation) waits After.
type Throttled struct{ After time.Duration }

func (e *Throttled) Error() string { return fmt.Sprintf("throttled for %v", e.After) }

// Refused is a Sender's error for a message the channel will never take
// as it is (a bad request): it is dropped, not tried again.
type Refused struct{ Reason string }

func (e *Refused) Error() string { return "refused: " + e.Reason }

// Pacer keeps the pace of unsolicited messages, shared by every replica.
type Pacer interface {
	// Gate takes a conversation's slot for one unsolicited message, free
	// again after every; it returns 0 when taken, else how long until it
	// frees.
	Gate(ctx context.Context, conv flows.Conv, every time.Duration) (time.Duration, error)
	// Pause keeps a conversation's slot taken for d (after a 429).
	Pause(ctx context.Context, conv flows.Conv, d time.Duration) error
	// Take takes one message of the global rate (per second): 0 when
	// taken, else how long to wait before asking again.
	Take(ctx context.Context, rate float64) (time.Duration, error)
	// Slow halves the global rate for d, for every replica.
	Slow(ctx context.Context, d time.Duration) error
}

// Retries of a passing failure: the first waits retryFirst, each next
// twice as long, and the message is dropped after maxAttempts.
const (
	retryFirst  = 200 * time.Millisecond
	maxAttempts = 6
)

// Throttles that slow the global rate: this many 429s within throttleSpan
// halve it for slowFor.
const (
	throttleBurst = 3
	throttleSpan  = 10 * time.Second
	slowFor       = 30 * time.Second
)

// outbox is the one way out for everything a runner sends: replies at
// once on the caller's goroutine; anything that must wait (a 429, a
// passing failure, a reply's overflow, notices, broadcasts) in a queue per
// conversation, kept in order behind what waits already.
type outbox struct {
	sender  Sender
	pacer   Pacer
	rate    float64
	blocked func(ctx context.Context, channel string, user int64)
	metrics *metric.Metrics
	log     *slog.Logger
	ctx     context.Context // ends when the outbox stops: nothing more is sent
	cancel  context.CancelFunc

	mu        sync.Mutex
	chats     map[flows.Conv]*chatQueue
	drains    sync.WaitGroup
	empty     chan struct{}  // closed and replaced when the last queue empties
	waiters   [3][]chan bool // for a token of the global rate, by lane
	tokens    bool           // the token loop is running
	throttles []time.Time    // recent 429s
	seq       uint64         // ids of queued messages
}

// chatQueue is what waits to be sent in one conversation.
type chatQueue struct {
	msgs        []queued
	pausedUntil time.Time     // after a 429: nothing goes before
	sending     bool          // the head is being sent
	wake        chan struct{} // a reply came to the head
}

type queued struct {
	id        uint64 // the outbox's count, to know the head again
	m         Message
	lane      Lane
	paced     bool // takes the conversation's slot and a token of the global rate
	attempt   int
	notBefore time.Time // backing off after a passing failure, or waiting for the slot
	track     *tracker  // told once it leaves the outbox; nil for replies
}

func newOutbox(cfg Config) *outbox {
	ctx, cancel := context.WithCancel(context.Background())
	pacer := cfg.Pacer
	if pacer == nil {
		pacer = NewLocalPacer()
	}
	rate := cfg.Rate
	if rate <= 0 {
		rate = 25
	}
	return &outbox{sender: cfg.Sender, pacer: pacer, rate: rate, blocked: cfg.Blocked, metrics: cfg.Metrics, log: cfg.Log,
		ctx: ctx, cancel: cancel, chats: map[flows.Conv]*chatQueue{}, empty: make(chan struct{})}
}

// send hands messages of one conversation to the outbox. Replies go out at
// once on the caller's goroutine, unless the conversation is paused (a 429
// any replica got) or has replies waiting, which they then queue behind;
// from the ReplyBurst-th message on, and for the other lanes, they are
// paced.
//
// Messages of the other lanes may carry a tracker, told how each of them
// left the outbox: shown, refused, the person blocked the bot, taken back
// after a 429 (to be delivered again later), or the outbox stopped first.
func (o *outbox) send(ctx context.Context, lane Lane, taken time.Time, paused time.Duration, msgs []Message, track *tracker) {
	if len(msgs) == 0 {
		return
	}
	if lane != LaneReply {
		track.add(len(msgs))
		o.enqueue(msgs, lane, true, 0, nil, track)
		return
	}
	o.mu.Lock()
	_, waiting := o.chats[msgs[0].Conv]
	o.mu.Unlock()
	if waiting || paused > 0 {
		o.enqueue(msgs, lane, false, paused, nil, nil)
		return
	}
	texts := 0
	for i, m := range msgs {
		if !m.Ack {
			if texts == ReplyBurst {
				o.enqueue(msgs[i:], lane, true, 0, nil, nil)
				return
			}
			texts++
		}
		if i == 0 && !taken.IsZero() {
			o.metrics.Latency.Observe(time.Since(taken).Seconds())
		}
		switch err := o.deliver(ctx, m); {
		case err == nil:
		case errors.Is(err, ErrBlocked):
			return
		case o.permanent(err):
		default: // a 429 or a passing failure: the rest waits its turn in the queue
			o.enqueue(msgs[i:], lane, false, 0, err, nil)
			return
		}
	}
}

// deliver sends one message and settles what its error means: nil when
// it is shown (or needs no showing any more).
func (o *outbox) deliver(ctx context.Context, m Message) error {
	err := o.sender.Send(ctx, m)
	if errors.Is(err, ErrNoTarget) && m.Out.Replace {
		m.Out.Replace = false
		err = o.sender.Send(ctx, m)
	}
	var throttled *Throttled
	switch {
	case err == nil, errors.Is(err, ErrNotModified), errors.Is(err, ErrTooOld):
		return nil
	case errors.Is(err, ErrBlocked):
		if o.blocked != nil {
			o.blocked(ctx, m.Conv.Channel, m.User)
		}
		o.drop(m.Conv)
	case errors.As(err, &throttled):
		o.metrics.TooMany.Inc()
	}
	return err
}

// permanent reports whether an error drops the message rather than trying
// it again; it logs why.
func (o *outbox) permanent(err error) bool {
	var refused *Refused
	if errors.As(err, &refused) || errors.Is(err, ErrNoTarget) {
		o.log.Warn("a message was refused and dropped", "error", err)
		return true
	}
	return false
}

// enqueue puts messages in their conversation's queue — replies ahead of
// the notices and broadcasts that wait there, else behind what waits — and
// makes sure a drain is on it. A queue it starts waits first for wait, and
// as setBack says for failed, why the first message could not go just now.
func (o *outbox) enqueue(msgs []Message, lane Lane, paced bool, wait time.Duration, failed error, track *tracker) {
	if len(msgs) == 0 {
		return
	}
	conv := msgs[0].Conv
	o.mu.Lock()
	if o.ctx.Err() != nil {
		o.mu.Unlock()
		for range msgs {
			track.settle(ErrStopped)
		}
		return
	}
	q, ok := o.chats[conv]
	if !ok {
		q = &chatQueue{pausedUntil: time.Now().Add(wait), wake: make(chan struct{}, 1)}
		o.chats[conv] = q
		o.drains.Add(1)
	}
	at := len(q.msgs)
	if lane == LaneReply {
		at = 0
		if q.sending {
			at = 1 // the head is on its way
		}
		for at < len(q.msgs) && q.msgs[at].lane == LaneReply {
			at++
		}
	}
	add := make([]queued, len(msgs))
	for i, m := range msgs {
		o.seq++
		add[i] = queued{id: o.seq, m: m, lane: lane, paced: paced || lane != LaneReply, track: track}
	}
	q.msgs = slices.Insert(q.msgs, at, add...)
	if at == 0 && ok {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	o.mu.Unlock()
	if ok {
		return // its drain is on it
	}
	if failed != nil {
		o.setBack(conv, q, 0, failed)
	}
	go o.drain(conv, q)
}

// setBack makes the head of a queue wait after a failure: a 429's time for
// the conversation (and a slower global rate when 429s come together), a
// growing pause for a passing failure, until it is dropped.
func (o *outbox) setBack(conv flows.Conv, q *chatQueue, id uint64, err error) {
	var throttled *Throttled
	if errors.As(err, &throttled) {
		now := time.Now()
		o.mu.Lock()
		q.pausedUntil = now.Add(throttled.After)
		o.throttles = append(o.throttles, now)
		for now.Sub(o.throttles[0]) > throttleSpan {
			o.throttles = o.throttles[1:]
		}
		slow := len(o.throttles) >= throttleBurst
		if slow {
			o.throttles = nil
		}
		o.mu.Unlock()
		if err := o.pacer.Pause(o.ctx, conv, throttled.After); err != nil {
			o.log.Warn("could not share a conversation's pause", "error", err)
		}
		if slow {
			o.log.Warn("several 429s together: the global rate is halved for a while", "for", slowFor)
			if err := o.pacer.Slow(o.ctx, slowFor); err != nil {
				o.log.Warn("could not slow the global rate", "error", err)
			}
		}
		return
	}
	o.mu.Lock()
	if len(q.msgs) == 0 || (id != 0 && q.msgs[0].id != id) { // a reply came ahead meanwhile: the failed one waits behind it
		o.mu.Unlock()
		return
	}
	head := &q.msgs[0]
	head.attempt++
	if head.attempt < maxAttempts {
		head.notBefore = time.Now().Add(retryFirst << (head.attempt - 1))
		o.mu.Unlock()
		return
	}
	dropped := *head
	q.msgs = q.msgs[1:]
	o.mu.Unlock()
	o.log.Warn("a message could not be sent and is dropped", "conv", conv.String(), "error", err)
	dropped.track.settle(err)
}

// drop forgets what waits in a conversation (the person blocked the bot).
func (o *outbox) drop(conv flows.Conv) {
	o.mu.Lock()
	var dropped []queued
	if q := o.chats[conv]; q != nil {
		dropped, q.msgs = q.msgs, nil
	}
	o.mu.Unlock()
	for _, m := range dropped {
		m.track.settle(ErrBlocked)
	}
}

// pop takes a conversation's head off its queue, if it is still the
// message id, and tells its tracker err.
func (o *outbox) pop(q *chatQueue, id uint64, err error) {
	o.mu.Lock()
	var head queued
	popped := len(q.msgs) > 0 && q.msgs[0].id == id
	if popped {
		head, q.msgs = q.msgs[0], q.msgs[1:]
	}
	o.mu.Unlock()
	if popped {
		head.track.settle(err)
	}
}

// takeBack takes the messages of a tracker off a queue after a 429, and
// tells the tracker: its deliverer tries again after the pause.
func (o *outbox) takeBack(q *chatQueue, track *tracker, err error) {
	o.mu.Lock()
	n := len(q.msgs)
	q.msgs = slices.DeleteFunc(q.msgs, func(m queued) bool { return m.track == track })
	n -= len(q.msgs)
	o.mu.Unlock()
	for range n {
		track.settle(err)
	}
}

// drain sends a conversation's queue in order, until it is empty.
func (o *outbox) drain(conv flows.Conv, q *chatQueue) {
	defer o.drains.Done()
	for {
		o.mu.Lock()
		if len(q.msgs) == 0 || o.ctx.Err() != nil {
			left := q.msgs
			delete(o.chats, conv)
			if len(o.chats) == 0 {
				close(o.empty)
				o.empty = make(chan struct{})
			}
			o.mu.Unlock()
			for _, m := range left {
				m.track.settle(ErrStopped)
			}
			return
		}
		head := q.msgs[0]
		wait := time.Until(q.pausedUntil)
		wait = max(wait, time.Until(head.notBefore))
		o.mu.Unlock()
		if err := head.track.withdrawn(); err != nil { // before it waits for a slot it no longer needs
			o.pop(q, head.id, err)
			continue
		}
		if !o.sleep(q, wait) {
			continue
		}
		if head.paced && !o.pace(conv, q, head) {
			continue
		}
		if err := head.track.withdrawn(); err != nil {
			o.pop(q, head.id, err)
			continue
		}
		o.mu.Lock()
		if len(q.msgs) == 0 || q.msgs[0].id != head.id { // a reply came ahead meanwhile
			o.mu.Unlock()
			continue
		}
		q.sending = true
		o.mu.Unlock()
		err := o.deliver(o.ctx, head.m)
		o.mu.Lock()
		q.sending = false
		o.mu.Unlock()
		var throttled *Throttled
		switch {
		case err == nil:
			o.pop(q, head.id, nil)
		case errors.Is(err, ErrBlocked): // drop told its tracker
		case o.permanent(err):
			o.pop(q, head.id, err)
		case o.ctx.Err() != nil:
		case errors.As(err, &throttled) && head.track != nil:
			o.takeBack(q, head.track, err)
			o.setBack(conv, q, head.id, err)
		default:
			o.setBack(conv, q, head.id, err)
		}
	}
}

// sleep waits d, or until a reply comes to the head of the queue; false
// when it did not wait the whole time.
func (o *outbox) sleep(q *chatQueue, d time.Duration) bool {
	if d <= 0 {
		return o.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-o.ctx.Done():
		return false
	case <-q.wake:
		return false
	case <-t.C:
		return true
	}
}

// pace takes the conversation's slot and a token of the global rate for an
// unsolicited message; false when the queue must wait first.
func (o *outbox) pace(conv flows.Conv, q *chatQueue, head queued) bool {
	wait, err := o.pacer.Gate(o.ctx, conv, ChatEvery)
	if err != nil {
		wait = ChatEvery // the shared pace cannot be read: keep to it locally
		o.log.Warn("could not take a conversation's send slot", "error", err)
	}
	if wait > 0 {
		o.mu.Lock()
		if len(q.msgs) > 0 && q.msgs[0].id == head.id {
			q.msgs[0].notBefore = time.Now().Add(wait)
		}
		o.mu.Unlock()
		return false
	}
	return o.token(head.lane)
}

// token waits for a message of the global rate; notices are served before
// broadcasts. False when the outbox stopped.
func (o *outbox) token(lane Lane) bool {
	ch := make(chan bool, 1)
	o.mu.Lock()
	o.waiters[lane] = append(o.waiters[lane], ch)
	if !o.tokens {
		o.tokens = true
		go o.tokenLoop()
	}
	o.mu.Unlock()
	return <-ch
}

// tokenLoop hands out the global rate's tokens while anyone waits.
func (o *outbox) tokenLoop() {
	for {
		o.mu.Lock()
		lane := -1
		for l := range o.waiters {
			if len(o.waiters[l]) > 0 {
				lane = l
				break
			}
		}
		if lane < 0 || o.ctx.Err() != nil {
			for l := range o.waiters {
				for _, ch := range o.waiters[l] {
					ch <- false
				}
				o.waiters[l] = nil
			}
			o.tokens = false
			o.mu.Unlock()
			return
		}
		o.mu.Unlock()
		wait, err := o.pacer.Take(o.ctx, o.rate)
		if err != nil {
			o.log.Warn("could not take from the global send rate", "error", err)
			wait = time.Duration(float64(time.Second) / o.rate)
		}
		if wait > 0 {
			sleep(o.ctx, wait)
			continue
		}
		o.mu.Lock()
		if ws := o.waiters[lane]; len(ws) > 0 {
			ws[0] <- true
			o.waiters[lane] = ws[1:]
		}
		o.mu.Unlock()
	}
}

// stop lets the queues drain until ctx ends, then drops what is left and
// sends nothing more.
func (o *outbox) stop(ctx context.Context) {
	for ctx.Err() == nil {
		o.mu.Lock()
		n, empty := len(o.chats), o.empty
		o.mu.Unlock()
		if n == 0 {
			break
		}
		select {
		case <-empty:
		case <-ctx.Done():
		}
	}
	o.cancel()
	o.drains.Wait()
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
