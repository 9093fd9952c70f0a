package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"

	"hoctap/flows"
)

// ErrStopped is what a job gets that the runner did not run because it
// was stopping.
var ErrStopped = errors.New("runner stopped before the input was run")

// job is one input to run; done is called once its effects are stored
// (err nil) or it failed or was not run.
type job struct {
	conv flows.Conv
	run  func(ctx context.Context) error
	done func(err error)
}

// pool runs the jobs of one conversation one at a time and in order, and
// different conversations in parallel on a bounded number of workers. A
// panic in a job is recovered and logged, never fatal.
type pool struct {
	log     *slog.Logger
	ctx     context.Context // every job runs under it; cancelled at the end of a stop
	mu      sync.Mutex
	work    *sync.Cond           // signalled when ready gets a conversation, or the pool ends
	queues  map[flows.Conv][]job // waiting jobs by conversation; present while it has work
	ready   []flows.Conv         // conversations with a job to run and no worker on them, in turn
	wg      sync.WaitGroup       // workers
	pending sync.WaitGroup       // jobs submitted and not finished
	closed  bool                 // takes no more jobs but its own
	dropped bool                 // jobs not yet started are dropped
	ended   bool                 // the workers leave
}

func newPool(ctx context.Context, workers int, log *slog.Logger) *pool {
	p := &pool{log: log, ctx: ctx, queues: map[flows.Conv][]job{}}
	p.work = sync.NewCond(&p.mu)
	for range workers {
		p.wg.Add(1)
		go p.worker()
	}
	return p
}

// submit queues a job behind the conversation's earlier ones. It returns
// false once the pool is closing, unless internal: the runner's own timers
// still run while it drains.
func (p *pool) submit(j job, internal bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if (p.closed && !internal) || p.dropped {
		return false
	}
	p.pending.Add(1)
	q, busy := p.queues[j.conv]
	p.queues[j.conv] = append(q, j)
	if !busy {
		p.ready = append(p.ready, j.conv)
		p.work.Signal()
	}
	return true
}

func (p *pool) worker() {
	defer p.wg.Done()
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		for len(p.ready) == 0 && !p.ended {
			p.work.Wait()
		}
		if len(p.ready) == 0 {
			return
		}
		conv := p.ready[0]
		p.ready = p.ready[1:]
		j := p.queues[conv][0]
		drop := p.dropped
		p.mu.Unlock()

		err := ErrStopped
		if !drop {
			err = p.safeRun(j)
		}
		j.done(err)
		p.pending.Done()

		p.mu.Lock()
		q := p.queues[conv][1:]
		if len(q) == 0 {
			delete(p.queues, conv)
		} else {
			p.queues[conv] = q
			p.ready = append(p.ready, conv) // behind the other conversations that wait
			p.work.Signal()
		}
	}
}

func (p *pool) safeRun(j job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("a turn panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	err = j.run(p.ctx)
	if err != nil && p.ctx.Err() != nil {
		err = fmt.Errorf("%w: %w", ErrStopped, err) // cut short by the stop: to be delivered again
	}
	return err
}

// close stops taking jobs from outside.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
}

// wait waits until every job taken is finished, or ctx ends; then the jobs
// not started are dropped (done with ErrStopped) and the running ones see
// their context cancelled by the caller. It stops the workers.
func (p *pool) wait(ctx context.Context, cancelRunning func()) {
	finished := make(chan struct{})
	go func() { p.pending.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-ctx.Done():
		p.mu.Lock()
		p.dropped = true
		p.mu.Unlock()
		cancelRunning()
		<-finished
	}
	// No job is taken from here on; one taken just before has its place in
	// pending, so the workers leave only once it ran.
	p.mu.Lock()
	p.dropped = true
	p.mu.Unlock()
	p.pending.Wait()
	p.mu.Lock()
	p.ended = true
	p.work.Broadcast()
	p.mu.Unlock()
	p.wg.Wait()
}
