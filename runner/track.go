package runner

import (
	"context"
	"sync"
)

// tracker follows what one delivered input's turn showed until every
// message of it has left the outbox, and then tells the deliverer how it
// went. It holds one count for the turn itself, settled when the turn has
// run, and one for each message the turn handed to the outbox.
type tracker struct {
	ctx  context.Context // once it ends, what has not gone yet is withdrawn
	mu   sync.Mutex
	left int
	err  error // the first failure
	done func(error)
}

func newTracker(ctx context.Context, done func(error)) *tracker {
	return &tracker{ctx: ctx, left: 1, done: done}
}

// withdrawn returns why a tracked message is no longer to be sent (its
// deliverer gave up waiting), or nil.
func (t *tracker) withdrawn() error {
	if t == nil {
		return nil
	}
	return t.ctx.Err()
}

// add counts n more messages to wait for.
func (t *tracker) add(n int) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.left += n
	t.mu.Unlock()
}

// settle counts one message (or the turn) as done with err, and calls done
// once the last is.
func (t *tracker) settle(err error) {
	if t == nil {
		return
	}
	t.mu.Lock()
	if t.err == nil {
		t.err = err
	}
	t.left--
	last, err := t.left == 0, t.err
	t.mu.Unlock()
	if last {
		t.done(err)
	}
}
