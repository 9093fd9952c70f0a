// Package runner runs every input of every channel through one turn: lock
// the conversation, skip an input seen before, load the state, step the
// conversation (package flows), save the state with its revision check — or
// abort — and hand what to show to the outbox. Telegram (polling and
// webhook), the terminal playground, timers and a future web channel all
// call it; no channel has a sequence of its own, and nothing is sent for a
// turn whose save failed.
//
// Conversations run in parallel on a bounded pool of workers, the inputs
// of one conversation one at a time and in order (across replicas too:
// the lock is in Redis). The outbox sends what the turns produce through
// the channel's Sender: replies to a person's own action first and at
// once, notices and bulk messages paced.
package runner

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"hoctap/flows"
	"hoctap/locales"
	"hoctap/metric"
)

// Origin is the channel's handle of what a person acted on — on Telegram,
// the button press to answer and the message to edit. The runner and the
// outbox hand it to the channel's Sender as it is.
type Origin any

// Input is an input as a channel takes it: what happened, and the handle
// to answer it.
type Input struct {
	flows.Input
	Origin Origin    // nil for timers and events
	Taken  time.Time // when the channel took it, for the reply latency
	lane   Lane      // a delivered input's lane (Deliver)
	track  *tracker  // told how its messages left the outbox (Deliver)
}

// Sessions is the runner's hot state (Redis): per-conversation locks,
// the keys of inputs seen, and the conversation states.
type Sessions interface {
	// Begin takes the conversation's lock (waiting up to wait; the lock
	// frees itself after ttl), records the input's key and loads the state,
	// in one round trip when the lock is free.
	Begin(ctx context.Context, conv flows.Conv, key string, ttl, wait time.Duration) (Begun, error)
}

// Begun is a turn that has the conversation's lock, or a duplicate input.
type Begun struct {
	Duplicate bool           // the input was taken before: nothing to do, no lock is held
	Found     bool           // State was stored and could be read
	State     flows.Envelope // the conversation's state, when Found
	Lock      Lock           // the lock held, unless Duplicate
	// Paused is how long the conversation's sending is still paused after a
	// 429 that any replica got: its replies wait as long.
	Paused time.Duration
}

// Lock ends a turn.
type Lock interface {
	// Finish saves the state if the stored one is still at env.Rev (bumping
	// env.Rev) and frees the lock, in one round trip; flows.ErrConflict
	// when another writer won.
	Finish(ctx context.Context, env *flows.Envelope) error
	// Abort frees the lock and forgets the input's key, so that the input
	// is taken again when it is delivered again.
	Abort(ctx context.Context)
	// Release frees the lock of a turn that changed nothing: the state
	// keeps its revision, the input stays taken.
	Release(ctx context.Context)
}

// Config is what a runner is made of.
type Config struct {
	Engine   *flows.Engine
	Sessions Sessions
	Sender   Sender
	// Pacer keeps the pace of unsolicited messages across replicas; nil
	// keeps it in this process only.
	Pacer Pacer
	Rate  float64 // unsolicited messages per second in all; 25 when 0
	// Blocked is told of a person who blocked the bot (a send answered
	// ErrBlocked); it marks them inactive.
	Blocked func(ctx context.Context, channel string, user int64)
	Workers int           // conversations run at once; 64 when 0
	Turn    time.Duration // the longest a turn may take, and its lock's TTL; 30 s when 0
	// Quiet is how long an output that settles is held (an album's
	// confirmation); 0 sends it at once.
	Quiet   time.Duration
	Metrics *metric.Metrics
	Log     *slog.Logger
}

// Runner runs the inputs of one channel.
type Runner struct {
	cfg    Config
	pool   *pool
	out    *outbox
	cancel context.CancelFunc // ends the pool's context: running turns fail
	stop   sync.Once

	mu       sync.Mutex
	held     map[heldKey]*held // outputs that settle, by conversation and state revision
	stopping bool              // what settles from now on goes out at once
}

// New makes a runner and starts its workers.
func New(cfg Config) *Runner {
	if cfg.Workers <= 0 {
		cfg.Workers = 64
	}
	if cfg.Turn <= 0 {
		cfg.Turn = 30 * time.Second
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metric.New()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{cfg: cfg, cancel: cancel, held: map[heldKey]*held{}}
	r.pool = newPool(ctx, cfg.Workers, cfg.Log)
	r.out = newOutbox(cfg)
	return r
}

// Submit queues an input behind the earlier ones of its conversation and
// calls done once its effects are stored (nil), or it failed or was not run
// (ErrStopped); done is called after the replies were handed to the
// outbox. It returns false, without calling done, once the runner stops.
func (r *Runner) Submit(in Input, done func(error)) bool {
	return r.submit(in, done, false)
}

// Deliver runs an input nobody sent just now — a notice, a reminder, a
// broadcast, as an event — in its conversation's order like Submit, its
// messages on lane, and calls done once every message its turn showed has
// left the outbox: nil when they were shown (or the turn showed nothing),
// ErrBlocked when the person blocked the bot, a *Throttled when Telegram
// asked to wait (what was not shown is taken back: deliver the input again
// after the pause, as a new input), a *Refused when the channel refused
// one, ErrStopped when the runner stopped first, ctx's error when ctx
// ended before they went (what had not gone is withdrawn), or the turn's
// error. It returns false, without calling done, once the runner stops.
func (r *Runner) Deliver(ctx context.Context, in Input, lane Lane, done func(error)) bool {
	in.lane, in.track = lane, newTracker(ctx, done)
	return r.submit(in, in.track.settle, false)
}

func (r *Runner) submit(in Input, done func(error), internal bool) bool {
	r.cfg.Metrics.Queue.Inc()
	ok := r.pool.submit(job{conv: in.Conv, done: func(err error) {
		r.cfg.Metrics.Queue.Dec()
		if !in.Taken.IsZero() {
			r.cfg.Metrics.Handling.Observe(time.Since(in.Taken).Seconds())
		}
		done(err)
	}, run: func(ctx context.Context) error { return r.Run(ctx, in) }}, internal)
	if !ok {
		r.cfg.Metrics.Queue.Dec()
	}
	return ok
}

// Run runs one input to the end of its turn and hands what it shows to the
// outbox: the same for every channel. It returns once the turn's effects
// are stored (nil) or it failed, in which case nothing of the turn is shown
// but a "please try again" and the input is taken again when delivered
// again.
//
// A delivered input's messages are told to its tracker (Deliver).
func (r *Runner) Run(ctx context.Context, in Input) error {
	if isSettle(in) {
		return r.settled(ctx, in)
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Turn)
	defer cancel()
	b, err := r.cfg.Sessions.Begin(ctx, in.Conv, in.Key, r.cfg.Turn, r.cfg.Turn)
	if err != nil {
		r.failed(parent, "session", in, "", err)
		return fmt.Errorf("begin turn: %w", err)
	}
	if b.Duplicate {
		r.cfg.Metrics.Updates.WithLabelValues("duplicate").Inc()
		return nil
	}
	env := b.State
	outs, err := r.cfg.Engine.Step(ctx, in.Input, &env, b.Found)
	switch {
	case err != nil:
	case b.Found && env.Same(&b.State):
		b.Lock.Release(ctx) // nothing to save: the state keeps its revision
	default:
		err = b.Lock.Finish(ctx, &env)
	}
	if err != nil {
		b.Lock.Abort(ctx) // a new delivery is taken again
		r.failed(parent, "step", in, env.Lang, err)
		return err
	}
	r.cfg.Metrics.Updates.WithLabelValues("ok").Inc()
	r.cfg.Metrics.Steps.Inc()
	r.reply(ctx, in, env.Rev, b.Paused, outs)
	return nil
}

// failed counts and logs a failed turn and tells the person to try again,
// unless the runner is stopping (ctx, the turn's parent, ended): the input
// is then left to be delivered again, and the next replica answers it.
// Logs name the input and the error, never what the person wrote.
func (r *Runner) failed(ctx context.Context, kind string, in Input, lang string, err error) {
	r.cfg.Metrics.Updates.WithLabelValues("failed").Inc()
	r.cfg.Metrics.Errors.WithLabelValues(kind).Inc()
	r.cfg.Log.Error("turn failed", "conv", in.Conv.String(), "input", in.Key, "error", err)
	if !in.Kind.FromPerson() || ctx.Err() != nil {
		return
	}
	if lang == "" {
		lang = locales.Match(in.Lang)
	}
	sorry := flows.Sorry(lang)
	if in.Kind == flows.InputButton {
		sorry.Text = ""
	} else {
		sorry.Notice = ""
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	r.reply(ctx, in, 0, 0, []flows.Output{sorry})
}

// reply hands a turn's outputs to the outbox as the reply to its input,
// to wait while the conversation is paused; those that settle are held for
// the quiet time, under the state revision the turn saved. A delivered
// input's outputs go on its lane, told to its tracker, and never settle.
func (r *Runner) reply(ctx context.Context, in Input, rev int, paused time.Duration, outs []flows.Output) {
	msgs := make([]Message, 0, len(outs)+1)
	if in.Kind == flows.InputButton {
		ack := Message{Conv: in.Conv, User: in.User, Origin: in.Origin, Ack: true}
		for _, o := range outs {
			if o.Notice != "" {
				ack.Out.Notice = o.Notice
				break
			}
		}
		msgs = append(msgs, ack)
	}
	var settle []Message
	for _, o := range outs {
		if o.Text == "" {
			continue
		}
		m := Message{Conv: in.Conv, User: in.User, Origin: in.Origin, Out: o}
		if o.Settle && r.cfg.Quiet > 0 && rev > 0 && in.track == nil {
			settle = append(settle, m)
			continue
		}
		msgs = append(msgs, m)
	}
	lane := LaneReply
	switch {
	case in.track != nil:
		lane = in.lane
	case !in.Kind.FromPerson():
		lane = LaneNotice
	}
	r.out.send(ctx, lane, in.Taken, paused, msgs, in.track)
	if len(settle) > 0 {
		r.hold(in, rev, settle)
	}
}

// settleName names the runner's own timers, which let out what settles.
const settleName = "settle"

// isSettle reports whether an input is one of the runner's settle timers:
// their Ref names no module.
func isSettle(in Input) bool {
	return in.Kind == flows.InputTimer && in.Ref != nil && in.Ref.Module == "" && in.Ref.Name == settleName
}

// heldKey names what a turn held: its conversation and the state revision
// it saved.
type heldKey struct {
	conv flows.Conv
	rev  int
}

type held struct {
	msgs  []Message
	timer Input       // the settle timer that lets them out
	after *time.Timer // fires it after the quiet time
	taken time.Time
}

// hold keeps outputs that settle until the quiet time has passed; then a
// timer input of the conversation, set for the state revision the turn
// saved, goes through the conversation's order like any input and lets them
// out only if no other turn of the conversation came meanwhile.
func (r *Runner) hold(in Input, rev int, msgs []Message) {
	k := heldKey{in.Conv, rev}
	h := &held{msgs: msgs, taken: in.Taken, timer: Input{Input: flows.Input{Kind: flows.InputTimer, Conv: in.Conv,
		User: in.User, Ref: &flows.Ref{Name: settleName, Rev: rev}, Key: settleName + ":" + strconv.Itoa(rev)}}}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.held[k] = h
	if r.stopping { // no quiet time left: it goes through the conversation now
		if !r.fire(h) {
			delete(r.held, k)
		}
		return
	}
	h.after = time.AfterFunc(r.cfg.Quiet, func() {
		if !r.fire(h) {
			r.take(k)
		}
	})
}

// fire submits a settle timer to its conversation's order; false when the
// runner takes it no more (what it held is then not sent).
func (r *Runner) fire(h *held) bool { return r.submit(h.timer, func(error) {}, true) }

func (r *Runner) take(k heldKey) *held {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.held[k]
	delete(r.held, k)
	return h
}

// settled runs a settle timer: under the conversation's lock, what was
// held goes out if the state is still at the revision it was held for.
func (r *Runner) settled(ctx context.Context, in Input) error {
	h := r.take(heldKey{in.Conv, in.Ref.Rev})
	if h == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Turn)
	defer cancel()
	b, err := r.cfg.Sessions.Begin(ctx, in.Conv, in.Key, r.cfg.Turn, r.cfg.Turn)
	if err != nil {
		return fmt.Errorf("begin settle timer: %w", err)
	}
	if b.Duplicate {
		return nil
	}
	defer b.Lock.Release(ctx)
	if !b.Found || b.State.Rev != in.Ref.Rev {
		return nil // a newer screen was shown meanwhile
	}
	r.out.send(ctx, LaneReply, h.taken, b.Paused, h.msgs, nil)
	return nil
}

// Stop stops taking inputs and finishes those taken, until ctx ends: what
// is held goes through its conversation now, the outbox keeps sending and
// retrying until then. Once ctx ends, the turns still running fail, the
// inputs not started are dropped (their done gets ErrStopped, so that the
// channel leaves them to be delivered again), and nothing more is sent.
// Stopping again does nothing.
func (r *Runner) Stop(ctx context.Context) {
	r.stop.Do(func() { r.stopOnce(ctx) })
}

func (r *Runner) stopOnce(ctx context.Context) {
	r.pool.close()
	r.mu.Lock()
	r.stopping = true
	for k, h := range r.held {
		if h.after.Stop() && !r.fire(h) { // a timer that did not stop fired already
			delete(r.held, k)
		}
	}
	r.mu.Unlock()
	r.pool.wait(ctx, r.cancel)
	r.out.stop(ctx)
	r.cancel()
}
