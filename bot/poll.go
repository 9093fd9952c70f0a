package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"sync"
	"time"

	"hoctap/runner"
)

// maxLag is how many updates the poller may leave unconfirmed behind the
// newest it took. getUpdates returns at most 100 updates from its offset
// and confirms every update below it, so an update cannot stay unconfirmed
// while more than 100 come after it: past maxLag the oldest unfinished ones
// are confirmed, so that a slow update or a flood from one chat never keeps
// the others' updates from being fetched — each getUpdates still shows at
// least 20 new ones.
const maxLag = 80

// Poll takes updates by long polling until ctx ends, then stops within the
// stop timeout.
//
// An update is confirmed to Telegram (by the offset of a later getUpdates)
// only once it is finished, as long as fewer than maxLag updates came after
// it. So a stop, which finishes what it can in the stop timeout and then
// gives the rest up, leaves the updates it did not finish to be delivered
// again to the next replica, and a SIGKILL after the timeout loses nothing
// confirmed. Updates fetched again that the poller took already are
// skipped without a round trip; the next replica skips those it finished
// by their keys in Redis.
func (b *Bot) Poll(ctx context.Context) error {
	t := &taken{unfinished: map[int64]bool{}, changed: make(chan struct{})}
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		offset, waiting := t.offset()
		timeout := b.cfg.PollTimeout
		if waiting {
			timeout = 0 // Telegram answers at once: it holds updates we have not confirmed
		}
		updates, err := b.getUpdates(ctx, offset, timeout, 100, t.newestTaken())
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			b.log.Warn("getUpdates failed", "error", err)
			sleepFor(ctx, backoff)
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		fresh := 0
		for _, u := range updates {
			if !t.take(u.ID) {
				continue
			}
			fresh++
			in, ok := decode(u)
			if !ok {
				t.finish(u.ID, nil)
				continue
			}
			in.Taken = time.Now()
			id := u.ID
			if !b.run.Submit(in, func(err error) { t.finish(id, err) }) {
				break
			}
		}
		if fresh == 0 && waiting {
			t.wait(ctx, offset, 25*time.Millisecond) // for the oldest to finish, before asking again
		}
	}
	b.Stop()
	// Confirm what was finished, so that the next replica does not fetch
	// it again (it would skip it by its key anyway); what the stop gave up
	// stays to be delivered again, however far behind.
	offset := t.oldest()
	confirm, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := b.getUpdates(confirm, offset, 0, 1, math.MaxInt64); err != nil {
		b.log.Warn("could not confirm the last updates; the next replica will skip them by their keys", "error", err)
	}
	return nil
}

// getUpdates asks for updates from offset on, waiting up to timeout, and
// returns those after the update after.
func (b *Bot) getUpdates(ctx context.Context, offset int64, timeout time.Duration, limit int, after int64) ([]*update, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout+10*time.Second)
	defer cancel()
	updates := &newUpdates{after: after}
	err := b.client.call(ctx, "getUpdates", map[string]any{
		"offset": offset, "timeout": int(timeout.Seconds()), "allowed_updates": allowedUpdates, "limit": limit,
	}, updates)
	return updates.list, err
}

// newUpdates decodes the updates after an update id. The poller fetches
// again the updates it took and has not confirmed yet, often many times
// each: those are skipped without being decoded.
type newUpdates struct {
	after int64
	list  []*update
}

func (n *newUpdates) UnmarshalJSON(data []byte) error { return n.readRaw(data) }

func (n *newUpdates) readRaw(result []byte) error {
	n.list = n.list[:0]
	return eachObject(result, func(raw []byte) error {
		if id, ok := updateID(raw); ok && id <= n.after {
			return nil
		}
		u := &update{}
		if err := json.Unmarshal(raw, u); err != nil {
			return err
		}
		if u.ID > n.after {
			n.list = append(n.list, u)
		}
		return nil
	})
}

// eachObject calls each with every object of a JSON array of objects: it
// finds where each ends by its brackets outside strings, and decodes
// nothing. It rejects a list whose brackets or strings do not close, and
// anything but objects in it; each decodes what it is given.
func eachObject(data []byte, each func([]byte) error) error {
	data = bytes.TrimSpace(data)
	if len(data) < 2 || data[0] != '[' || data[len(data)-1] != ']' {
		return errNotObjects
	}
	depth, start := 0, 0
	inString, escaped := false, false
	for i, c := range data[1 : len(data)-1] {
		i++ // in data
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			if depth == 0 {
				return errNotObjects
			}
			inString = true
		case c == '{' || c == '[':
			if depth == 0 {
				if c != '{' {
					return errNotObjects
				}
				start = i
			}
			depth++
		case c == '}' || c == ']':
			depth--
			if depth < 0 {
				return errNotObjects
			}
			if depth == 0 {
				if c != '}' {
					return errNotObjects
				}
				if err := each(data[start : i+1]); err != nil {
					return err
				}
			}
		case depth == 0 && c != ',' && c != ' ' && c != '\t' && c != '\n' && c != '\r':
			return errNotObjects
		}
	}
	if depth != 0 || inString {
		return errNotObjects
	}
	return nil
}

var errNotObjects = errors.New("not a list of objects")

// updateID reads an update's id where Telegram writes it, first; false
// when it is not there.
func updateID(raw []byte) (int64, bool) {
	const prefix = `{"update_id":`
	if !bytes.HasPrefix(raw, []byte(prefix)) {
		return 0, false
	}
	digits := raw[len(prefix):]
	n := 0
	for n < len(digits) && digits[n] >= '0' && digits[n] <= '9' {
		n++
	}
	id, err := strconv.ParseInt(string(digits[:n]), 10, 64)
	return id, err == nil
}

// taken follows the updates the poller took until they are finished.
type taken struct {
	mu         sync.Mutex
	unfinished map[int64]bool // true for those a stop gave up: never finished
	newest     int64
	changed    chan struct{} // closed and replaced when one finishes
}

// take reports whether an update is new, and takes it.
func (t *taken) take(id int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if id <= t.newest {
		return false
	}
	t.newest = id
	t.unfinished[id] = false
	return true
}

// finish marks an update finished, unless the stop gave it up.
func (t *taken) finish(id int64, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if errors.Is(err, runner.ErrStopped) {
		t.unfinished[id] = true
		return
	}
	delete(t.unfinished, id)
	close(t.changed)
	t.changed = make(chan struct{})
}

// newestTaken is the id of the newest update taken.
func (t *taken) newestTaken() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.newest
}

// oldest is the oldest update not finished, or the one after the newest.
func (t *taken) oldest() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.oldestLocked()
}

func (t *taken) oldestLocked() int64 {
	oldest := t.newest + 1
	for id := range t.unfinished {
		oldest = min(oldest, id)
	}
	return oldest
}

// offset is the offset of the next getUpdates: the oldest update not
// finished, at most maxLag behind the newest; waiting is true while some
// at or above it are not finished.
func (t *taken) offset() (offset int64, waiting bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	offset = max(t.oldestLocked(), t.newest+1-maxLag)
	for id := range t.unfinished {
		if id >= offset {
			return offset, true
		}
	}
	return offset, false
}

// wait waits until the next getUpdates would ask from past offset, at
// most d: asking again before that would fetch only what was taken.
func (t *taken) wait(ctx context.Context, offset int64, d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		t.mu.Lock()
		changed := t.changed
		t.mu.Unlock()
		if next, _ := t.offset(); next != offset {
			return
		}
		select {
		case <-changed:
		case <-timer.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

func sleepFor(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
