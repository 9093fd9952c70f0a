// Package notice delivers the notices the store keeps — written in the
// transaction of the change they tell of — once they fall due: each goes
// into its person's conversation as an event on the runner, in that
// conversation's order, and is marked sent when the turn has run. A
// replica claims a batch for a lease; one that stops midway leaves the
// rest to another once the lease has passed, and the event's input key
// keeps a notice delivered twice from being shown twice.
//
// The module the event names decides what to say and drops a notice whose
// object has moved on (package review's Tell).
package notice

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"hoctap/flows"
	"hoctap/runner"
	"hoctap/store"
)

// Store is where the notices are kept.
type Store interface {
	ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Notice, error)
	Sent(ctx context.Context, id int64, at time.Time) error
}

// Runner runs inputs in their conversations.
type Runner interface {
	Submit(in runner.Input, done func(error)) bool
}

// Config is what delivery is made of.
type Config struct {
	Store  Store
	Runner Runner
	Every  time.Duration    // between rounds; 5 s when 0
	Lease  time.Duration    // how long a claimed batch is this replica's; 1 min when 0
	Batch  int              // notices a round takes at most; 100 when 0
	Now    func() time.Time // the clock; time.Now when nil
	Log    *slog.Logger
}

func (c *Config) defaults() {
	if c.Every == 0 {
		c.Every = 5 * time.Second
	}
	if c.Lease == 0 {
		c.Lease = time.Minute
	}
	if c.Batch == 0 {
		c.Batch = 100
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// Run delivers what falls due, round after round, until ctx ends.
func Run(ctx context.Context, c Config) {
	c.defaults()
	tick := time.NewTicker(c.Every)
	defer tick.Stop()
	for {
		if _, err := Once(ctx, c); err != nil && ctx.Err() == nil {
			c.Log.Warn("could not deliver notices", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Once delivers one batch of what is due and returns how many were
// delivered, once their turns have run.
func Once(ctx context.Context, c Config) (int, error) {
	c.defaults()
	now := c.Now()
	due, err := c.Store.ClaimDue(ctx, now, c.Lease, c.Batch)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	sent := 0
	for _, n := range due {
		in := runner.Input{Input: flows.Input{
			Kind: flows.InputEvent, Conv: flows.Conv{Channel: n.Channel, ID: n.User}, User: n.User,
			Ref: &flows.Ref{Name: n.Name, ID: n.Object, Rev: n.Rev}, Key: "nt:" + strconv.FormatInt(n.ID, 10), At: now,
		}}
		wg.Add(1)
		ok := c.Runner.Submit(in, func(err error) {
			defer wg.Done()
			if err != nil {
				c.Log.Warn("a notice's turn failed; it is tried again after its lease", "notice", n.ID, "error", err)
				return
			}
			if err := c.Store.Sent(context.WithoutCancel(ctx), n.ID, c.Now()); err != nil {
				c.Log.Warn("could not mark a notice sent", "notice", n.ID, "error", err)
				return
			}
			mu.Lock()
			sent++
			mu.Unlock()
		})
		if !ok {
			wg.Done() // the runner is stopping: the lease gives it to another
		}
	}
	wg.Wait()
	return sent, nil
}
