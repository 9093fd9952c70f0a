// Package deliver brings what nobody asked for just now — notices of
// decisions, reminders, broadcasts — into people's conversations, as
// River's durable jobs on the same PostgreSQL. The store writes a notice's
// job in the transaction of the change it tells of, a reminder's with its
// key when a periodic tick plans it, and a broadcast's jobs, one per
// recipient, with the broadcast. A job runs on one replica at a time,
// survives restarts and retries with backoff; a reminder falling in quiet
// hours snoozes until they end.
//
// A job hands an event to the runner, which runs it in the conversation's
// order and shows what the turn says on the outbox's notice or bulk lane;
// the job waits there until the message has left the outbox. Pacing —
// SEND_RATE shared by every replica, one unsolicited message a second in
// a chat — is the outbox's, in this waiting worker, so that the rate stays
// steady; only a pause of seconds (a 429's retry_after) snoozes the job,
// and the 429 concerns only its chat. A person who blocked the bot is
// marked inactive by the outbox, and their job is done.
//
// The same jobs keep the roll-ups of progress figures (package store): the
// tick keeps their counts as each month begins, and a nightly job checks
// them against the facts, rebuilding them when they drifted.
//
// A job's event carries a key of its own attempt: a replica killed while a
// message was in flight leaves the job to be run again, which shows that
// message a second time at most — Telegram has no idempotency key.
package deliver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"hoctap/flows"
	"hoctap/flows/broadcast"
	"hoctap/runner"
	"hoctap/store"
)

// Runner runs the events the jobs deliver.
type Runner interface {
	Deliver(ctx context.Context, in runner.Input, lane runner.Lane, done func(error)) bool
}

// Config is what delivery is made of.
type Config struct {
	DB     *store.DB
	Runner Runner
	// Workers of each queue on this replica: a job waiting for a send slot
	// holds one, so the bulk workers bound what of a broadcast is in
	// flight — what still goes once it is paused or cancelled, and how
	// long a job waits: a second of Rate for each replica. 20 notices when
	// 0, and for broadcasts a second of Rate (between 5 and 100).
	NoticeWorkers int
	BulkWorkers   int
	Rate          float64 // the unsolicited messages a second of every replica together; 25 when 0
	// JobTimeout is the longest a job waits for its message to go; 1 min
	// when 0. Rescue is how long a job may run before River takes it for
	// lost (its replica died) and runs it again; 2 min when 0.
	JobTimeout time.Duration
	Rescue     time.Duration
	// Tick is how often the reminders due are planned and the notices
	// without a job get one; 5 min when 0. RemindAfter are the days after
	// which an unfinished questionnaire is reminded; 1, 3 and 7 when nil.
	Tick        time.Duration
	RemindAfter []int
	// Quiet holds reminders until its window ends (broadcasts and notices
	// of decisions go at any hour).
	Quiet Quiet
	// Poll is how often a replica looks for jobs when PostgreSQL's
	// notifications do not tell it; River's default when 0.
	Poll time.Duration
	Now  func() time.Time
	Log  *slog.Logger
}

// New makes the River client that works the delivery jobs; Start it once
// the runner runs, and Stop it before the runner stops.
func New(c Config) (*river.Client[pgx.Tx], error) {
	if c.NoticeWorkers == 0 {
		c.NoticeWorkers = 20
	}
	if c.Rate <= 0 {
		c.Rate = 25
	}
	if c.BulkWorkers == 0 {
		c.BulkWorkers = min(max(int(c.Rate), 5), 100)
	}
	if c.JobTimeout == 0 {
		c.JobTimeout = time.Minute
	}
	if c.Rescue == 0 {
		c.Rescue = 2 * time.Minute
	}
	if c.Tick == 0 {
		c.Tick = 5 * time.Minute
	}
	if c.RemindAfter == nil {
		c.RemindAfter = []int{1, 3, 7}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	d := &deliverer{db: c.DB, runner: c.Runner, now: c.Now}
	workers := river.NewWorkers()
	river.AddWorker(workers, &noticeWorker{deliverer: d})
	river.AddWorker(workers, &broadcastWorker{deliverer: d, hold: c.JobTimeout})
	river.AddWorker(workers, &reminderWorker{deliverer: d, quiet: c.Quiet})
	river.AddWorker(workers, &tickWorker{db: c.DB, days: c.RemindAfter, now: c.Now})
	river.AddWorker(workers, &checkWorker{db: c.DB, log: c.Log})
	cfg := &river.Config{
		Queues: map[string]river.QueueConfig{
			store.QueueNotice: {MaxWorkers: c.NoticeWorkers},
			store.QueueBulk:   {MaxWorkers: c.BulkWorkers},
		},
		Workers:              workers,
		JobTimeout:           c.JobTimeout,
		RescueStuckJobsAfter: c.Rescue,
		FetchPollInterval:    c.Poll,
		Logger:               c.Log,
		PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(c.Tick),
				func() (river.JobArgs, *river.InsertOpts) { return tickJob{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(nightly{hour: checkHour},
				func() (river.JobArgs, *river.InsertOpts) { return checkJob{}, nil }, nil),
		},
	}
	if c.Poll != 0 {
		cfg.FetchCooldown = min(c.Poll, 100*time.Millisecond)
	}
	client, err := river.NewClient(riverpgxv5.New(c.DB.Pool()), cfg)
	if err != nil {
		return nil, fmt.Errorf("make the job client: %w", err)
	}
	return client, nil
}

// deliverer hands events to the runner for the workers.
type deliverer struct {
	db     *store.DB
	runner Runner
	now    func() time.Time
}

// deliver runs an event on the runner and waits until what it showed has
// left the outbox; it says how that went as runner.Deliver does.
func (d *deliverer) deliver(ctx context.Context, in runner.Input, lane runner.Lane) error {
	told := make(chan error, 1)
	if !d.runner.Deliver(ctx, in, lane, func(err error) { told <- err }) {
		return runner.ErrStopped
	}
	select {
	case err := <-told:
		return err
	case <-ctx.Done(): // the outbox withdraws what has not gone yet
		return ctx.Err()
	}
}

// event is the input a job delivers to a person, keyed by the job's
// attempt: a job run again after a lost replica runs its turn again.
func event(kind string, job *rivertype.JobRow, channel string, user int64, ref flows.Ref, at time.Time) runner.Input {
	return runner.Input{Input: flows.Input{
		Kind: flows.InputEvent, Conv: flows.Conv{Channel: channel, ID: user}, User: user, Ref: &ref,
		Key: fmt.Sprintf("%s:%d:%d", kind, job.ID, attemptOf(job)), At: at,
	}}
}

// attemptOf tells one run of a job from another: River sets AttemptedAt
// anew each time it hands the job out, snoozes included.
func attemptOf(job *rivertype.JobRow) int64 {
	if job.AttemptedAt == nil {
		return 0
	}
	return job.AttemptedAt.UnixNano()
}

// outcome reads how a delivery went: shown, or given up (the person
// blocked the bot, or Telegram refused the message) — the job is done —
// or what River is to do with the job: snooze it for a 429's pause or a
// stopping runner, or retry it after a failure.
func outcome(err error) (shown bool, jobErr error) {
	var throttled *runner.Throttled
	var refused *runner.Refused
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, runner.ErrBlocked), errors.As(err, &refused):
		return false, nil
	case errors.As(err, &throttled):
		return false, river.JobSnooze(throttled.After)
	case errors.Is(err, runner.ErrStopped), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		// The runner stopped, or the job's time ran out waiting for its
		// send slot: another replica, or this one, tries again soon,
		// without counting it as a failed attempt.
		return false, river.JobSnooze(time.Second)
	}
	return false, err
}

type noticeWorker struct {
	river.WorkerDefaults[store.NoticeJob]
	*deliverer
}

// Work brings one notice, unless it was delivered already; one that an
// earlier notice to the same person has yet to go before waits its turn.
func (w *noticeWorker) Work(ctx context.Context, job *river.Job[store.NoticeJob]) error {
	n, found, err := w.db.NoticeOf(ctx, job.Args.Notice)
	if err != nil || !found || n.Sent {
		return err
	}
	if n.Behind {
		return river.JobSnooze(5 * time.Second)
	}
	in := event("nt", job.JobRow, n.Channel, n.User, flows.Ref{Name: n.Name, ID: n.Object, Rev: n.Rev}, w.now())
	if _, err := outcome(w.deliver(ctx, in, runner.LaneNotice)); err != nil {
		return err
	}
	return w.db.Sent(ctx, n.ID, w.now())
}

type broadcastWorker struct {
	river.WorkerDefaults[store.BroadcastJob]
	*deliverer
	hold time.Duration // how long a job holds its recipient at most: its timeout
}

// Work brings a broadcast to one recipient, unless the broadcast was
// paused or cancelled, the job is of a generation before a resume, or the
// recipient has it already; a recipient who blocked the bot since counts
// as failed. While a job of an earlier generation still holds the
// recipient (it was waiting to send at a pause), the job waits for it.
func (w *broadcastWorker) Work(ctx context.Context, job *river.Job[store.BroadcastJob]) error {
	d, err := w.db.BroadcastFor(ctx, job.Args, w.now(), w.hold)
	switch {
	case err != nil:
		return err
	case d.Busy:
		return river.JobSnooze(2 * time.Second)
	case !d.Send:
		return nil
	}
	shown := false
	if !d.Inactive {
		in := event("bc", job.JobRow, d.Channel, d.User, flows.Ref{Name: broadcast.Event, ID: job.Args.Broadcast}, w.now())
		if shown, err = outcome(w.deliver(ctx, in, runner.LaneBulk)); err != nil {
			if rerr := w.db.BroadcastRelease(context.WithoutCancel(ctx), job.Args); rerr != nil {
				return errors.Join(err, rerr)
			}
			return err
		}
	}
	return w.db.BroadcastSent(context.WithoutCancel(ctx), job.Args, shown, w.now())
}

// tickJob keeps what is periodic: it gives a job to the notices that have
// none (package store's EnqueueNotices) and plans the reminders due
// (PlanReminders). River's periodic jobs live in each replica's memory, so
// both are idempotent: notice jobs are unique by notice, reminders by key.
type tickJob struct{}

func (tickJob) Kind() string { return "deliver.tick" }

func (tickJob) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: store.QueueNotice, UniqueOpts: river.UniqueOpts{ByPeriod: time.Minute}}
}

type tickWorker struct {
	river.WorkerDefaults[tickJob]
	db   *store.DB
	days []int
	now  func() time.Time
}

func (w *tickWorker) Work(ctx context.Context, _ *river.Job[tickJob]) error {
	if _, err := w.db.EnqueueNotices(ctx); err != nil {
		return err
	}
	if _, err := w.db.PlanReminders(ctx, w.now(), w.days); err != nil {
		return err
	}
	_, err := w.db.TakeMonth(ctx, store.MonthOf(w.now()))
	return err
}

// checkHour is the hour, in Vietnam's time, of the nightly check of the
// roll-ups.
const checkHour = 2

// nightly is a schedule of once a day at an hour, in Vietnam's time.
type nightly struct{ hour int }

func (n nightly) Next(t time.Time) time.Time {
	v := t.In(store.Vietnam)
	next := time.Date(v.Year(), v.Month(), v.Day(), n.hour, 0, 0, 0, store.Vietnam)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// checkJob is the nightly count of the missed indicators and check of
// the roll-ups against the facts.
type checkJob struct{}

func (checkJob) Kind() string { return "rollup.check" }

func (checkJob) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: store.QueueNotice, UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
}

type checkWorker struct {
	river.WorkerDefaults[checkJob]
	db  *store.DB
	log *slog.Logger
}

// Timeout gives the check the time a large database takes.
func (*checkWorker) Timeout(*river.Job[checkJob]) time.Duration { return 10 * time.Minute }

// Work counts the missed indicators again, then checks the roll-ups and,
// when they drifted — a bug, or a change made behind the store's back —
// logs how and rebuilds them.
func (w *checkWorker) Work(ctx context.Context, _ *river.Job[checkJob]) error {
	start := time.Now()
	if err := w.db.RebuildMisses(ctx); err != nil {
		return err
	}
	w.log.Info("missed indicators counted", "took", time.Since(start).Round(time.Millisecond))
	checked, err := w.db.CheckRollups(ctx)
	if err != nil {
		return err
	}
	if len(checked.Drifts) == 0 && checked.Standings == 0 {
		w.log.Info("roll-ups checked", "counts", checked.Counts)
		return nil
	}
	for i, d := range checked.Drifts {
		if i == 20 {
			break
		}
		w.log.Error("roll-up drift", "area", d.Area, "year", d.Year, "kind", d.Kind, "state", d.State, "kept", d.Kept, "facts", d.Facts)
	}
	w.log.Error("roll-ups drifted: rebuilding them", "drifts", len(checked.Drifts), "standings", checked.Standings)
	return w.db.RebuildRollups(ctx)
}

type reminderWorker struct {
	river.WorkerDefaults[store.ReminderJob]
	*deliverer
	quiet Quiet
}

// Work brings one reminder, unless it went already; one for a person who
// switched reminders off or blocked the bot since is skipped, and one that
// falls in quiet hours waits for their end. The event's module drops a
// reminder whose object moved on (package assess's Remind).
func (w *reminderWorker) Work(ctx context.Context, job *river.Job[store.ReminderJob]) error {
	r, found, err := w.db.ReminderOf(ctx, job.Args)
	if err != nil || !found || r.Done {
		return err
	}
	if r.Off {
		return w.db.Reminded(ctx, job.Args, false, w.now())
	}
	if wait := w.quiet.Wait(w.now()); wait > 0 {
		return river.JobSnooze(wait)
	}
	in := event("rm", job.JobRow, r.Channel, r.User, flows.Ref{Name: flows.RemindEvent + r.About, ID: r.Object, Rev: r.Rev}, w.now())
	shown, err := outcome(w.deliver(ctx, in, runner.LaneNotice))
	if err != nil {
		return err
	}
	return w.db.Reminded(ctx, job.Args, shown, w.now())
}
