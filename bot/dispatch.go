package bot

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
)

// job is one update to handle; done is called once its effects are stored
// (err nil) or it failed.
type job struct {
	chat int64
	run  func(ctx context.Context) error
	done func(err error)
}

// dispatcher runs the jobs of one chat one at a time and in order, and
// different chats in parallel on a bounded pool of workers. A panic in a job
// is recovered and logged, never fatal.
type dispatcher struct {
	log     *slog.Logger
	mu      sync.Mutex
	queues  map[int64][]job // waiting jobs by chat; a chat is present while it has work
	ready   chan int64      // chats with a job to run and no worker on them
	wg      sync.WaitGroup  // workers
	pending sync.WaitGroup  // jobs submitted and not finished
	closed  bool
}

func newDispatcher(workers int, log *slog.Logger) *dispatcher {
	d := &dispatcher{log: log, queues: map[int64][]job{}, ready: make(chan int64, 1<<16)}
	for i := 0; i < workers; i++ {
		d.wg.Add(1)
		go d.work()
	}
	return d
}

// submit queues a job behind the chat's earlier ones. It returns false once
// the dispatcher is closing.
func (d *dispatcher) submit(j job) bool {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return false
	}
	d.pending.Add(1)
	q, busy := d.queues[j.chat]
	d.queues[j.chat] = append(q, j)
	d.mu.Unlock()
	if !busy {
		d.ready <- j.chat
	}
	return true
}

func (d *dispatcher) work() {
	defer d.wg.Done()
	for chat := range d.ready {
		d.mu.Lock()
		j := d.queues[chat][0]
		d.mu.Unlock()

		err := d.safeRun(j)
		j.done(err)
		d.pending.Done()

		d.mu.Lock()
		q := d.queues[chat][1:]
		if len(q) == 0 {
			delete(d.queues, chat)
		} else {
			d.queues[chat] = q
		}
		d.mu.Unlock()
		if len(q) > 0 {
			d.ready <- chat // behind the other chats that wait
		}
	}
}

func (d *dispatcher) safeRun(j job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			d.log.Error("update handler panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return j.run(context.Background())
}

// close stops taking jobs, waits for every job taken to finish, and stops
// the workers.
func (d *dispatcher) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.pending.Wait()
	close(d.ready)
	d.wg.Wait()
}
