package runner

import (
	"context"
	"sync"
	"time"

	"hoctap/flows"
)

// LocalPacer keeps the pace of unsolicited messages in one process: for
// the playground, and for a single replica without a shared Redis.
type LocalPacer struct {
	mu    sync.Mutex
	gates map[flows.Conv]time.Time // when each conversation's slot frees
	next  time.Time                // when the global rate gives the next message
	slow  time.Time                // the global rate is halved until then
}

// NewLocalPacer makes one.
func NewLocalPacer() *LocalPacer { return &LocalPacer{gates: map[flows.Conv]time.Time{}} }

func (p *LocalPacer) Gate(_ context.Context, conv flows.Conv, every time.Duration) (time.Duration, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	for c, t := range p.gates { // keep the map to the conversations in flight
		if !t.After(now) {
			delete(p.gates, c)
		}
	}
	if free := p.gates[conv]; free.After(now) {
		return free.Sub(now), nil
	}
	p.gates[conv] = now.Add(every)
	return 0, nil
}

func (p *LocalPacer) Pause(_ context.Context, conv flows.Conv, d time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if free := time.Now().Add(d); free.After(p.gates[conv]) {
		p.gates[conv] = free
	}
	return nil
}

func (p *LocalPacer) Take(_ context.Context, rate float64) (time.Duration, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Before(p.slow) {
		rate /= 2
	}
	if p.next.After(now) {
		return p.next.Sub(now), nil
	}
	p.next = now.Add(time.Duration(float64(time.Second) / rate))
	return 0, nil
}

func (p *LocalPacer) Slow(_ context.Context, d time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.slow = time.Now().Add(d)
	return nil
}
