package runner

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

// However many conversations wait for a worker, submitting never blocks:
// a webhook handler or the poller hands an input over and goes on.
func TestManyWaitingConversationsNeverBlockSubmit(t *testing.T) {
	t.Parallel()
	p := newPool(context.Background(), 1, slog.New(slog.DiscardHandler))
	release := make(chan struct{})
	var done atomic.Int64
	finish := func(error) { done.Add(1) }
	p.submit(job{conv: conv(0), run: func(context.Context) error { <-release; return nil }, done: finish}, false)
	const waiting = 70_000 // more than any fixed buffer we once had
	submitted := make(chan struct{})
	go func() {
		defer close(submitted)
		for i := range waiting {
			p.submit(job{conv: conv(int64(i + 1)), run: func(context.Context) error { return nil }, done: finish}, false)
		}
	}()
	select {
	case <-submitted:
	case <-time.After(10 * time.Second):
		t.Fatal("submitting blocked while the only worker was busy")
	}
	close(release)
	p.close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p.wait(ctx, func() {})
	if got := done.Load(); got != waiting+1 {
		t.Errorf("%d jobs finished, want %d", got, waiting+1)
	}
}
