package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// tracker keeps the getUpdates offset honest: an update is confirmed only
// once it and every update before it were handled, so a crash loses none.
type tracker struct {
	mu      sync.Mutex
	pending map[int64]bool // taken updates: true once handled
	last    int64          // the highest update id taken
	changed chan struct{}  // closed and replaced whenever an update is handled
}

func newTracker() *tracker {
	return &tracker{pending: map[int64]bool{}, changed: make(chan struct{})}
}

// add records an update as taken; false when it was taken already.
func (t *tracker) add(id int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.pending[id]; ok || id <= t.confirmedLocked() {
		return false
	}
	t.pending[id] = false
	t.last = max(t.last, id)
	return true
}

func (t *tracker) done(id int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending[id] = true
	close(t.changed)
	t.changed = make(chan struct{})
}

// confirmedLocked is the highest id below which everything was handled.
func (t *tracker) confirmedLocked() int64 {
	low := t.last
	for id, done := range t.pending {
		if !done && id-1 < low {
			low = id - 1
		}
	}
	return low
}

// offset returns the getUpdates offset, forgetting handled updates below it.
func (t *tracker) offset() (int64, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.confirmedLocked()
	for id := range t.pending {
		if id <= c {
			delete(t.pending, id)
		}
	}
	if t.last == 0 {
		return 0, t.changed
	}
	return c + 1, t.changed
}

// Poll takes updates by long polling until ctx ends. Each update is
// confirmed to Telegram only once it was handled; on the way out, after
// every update taken was handled, the last ones are confirmed too.
func (b *Bot) Poll(ctx context.Context) error {
	t := newTracker()
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		offset, changed := t.offset()
		updates, err := b.getUpdates(ctx, offset, b.cfg.PollTimeout)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			b.log.Warn("getUpdates failed", "error", b.redact(err))
			sleep(ctx, backoff)
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		fresh := 0
		for _, u := range updates {
			if !t.add(u.ID) {
				continue
			}
			fresh++
			id := u.ID
			if !b.take(u, func(error) { t.done(id) }) {
				break
			}
		}
		if fresh == 0 && len(updates) > 0 {
			// Only updates still being handled came back: wait for one to
			// finish rather than ask again at once.
			select {
			case <-ctx.Done():
			case <-changed:
			case <-time.After(time.Second):
			}
		}
	}
	b.Stop()
	offset, _ := t.offset()
	if offset > 0 {
		confirm, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := b.getUpdates(confirm, offset, 0); err != nil {
			b.log.Warn("could not confirm the last updates; they will be skipped as duplicates", "error", b.redact(err))
		}
	}
	return nil
}

// getUpdates asks for updates from offset on, waiting up to timeout.
func (b *Bot) getUpdates(ctx context.Context, offset int64, timeout time.Duration) ([]*models.Update, error) {
	body, _ := json.Marshal(map[string]any{
		"offset": offset, "timeout": int(timeout.Seconds()), "allowed_updates": allowedUpdates, "limit": 100,
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.cfg.APIURL+"/bot"+b.cfg.Token+"/getUpdates", bytes.NewReader(body))
	if err != nil {
		return nil, errors.New("make getUpdates request")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.http.Do(req)
	if err != nil {
		var uerr interface{ Unwrap() error }
		if errors.As(err, &uerr) {
			err = uerr.Unwrap() // the *url.Error's URL holds the token
		}
		return nil, fmt.Errorf("getUpdates: %w", err)
	}
	defer resp.Body.Close()
	var r struct {
		OK          bool             `json:"ok"`
		Result      []*models.Update `json:"result"`
		ErrorCode   int              `json:"error_code"`
		Description string           `json:"description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, fmt.Errorf("getUpdates: read answer: %w", err)
	}
	if !r.OK {
		return nil, fmt.Errorf("getUpdates: %d %s", r.ErrorCode, r.Description)
	}
	return r.Result, nil
}
