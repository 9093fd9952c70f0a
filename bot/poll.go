package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Poll takes updates by long polling until ctx ends, then finishes those
// it took.
//
// Telegram confirms every update below the offset of a getUpdates, so an
// update cannot stay unconfirmed while later ones are fetched: waiting for
// the slowest update before fetching the next would stall every chat behind
// it. Updates are therefore confirmed as they are taken. A graceful stop
// (SIGTERM) finishes every update taken; a crash loses the few in flight,
// which their people see unanswered and send again, and nothing the bot
// acknowledged to anyone is lost.
func (b *Bot) Poll(ctx context.Context) error {
	var offset int64
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
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
		for _, u := range updates {
			if !b.take(u, func(error) {}) {
				break
			}
			offset = u.ID + 1
		}
	}
	b.Stop()
	if offset > 0 {
		// Confirm the last updates taken, so that the next replica does not
		// fetch them again (it would skip them as duplicates anyway).
		confirm, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := b.getUpdates(confirm, offset, 0); err != nil {
			b.log.Warn("could not confirm the last updates; they will be skipped as duplicates", "error", b.redact(err))
		}
	}
	return nil
}

// getUpdates asks for updates from offset on, waiting up to timeout.
func (b *Bot) getUpdates(ctx context.Context, offset int64, timeout time.Duration) ([]*update, error) {
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
		OK          bool      `json:"ok"`
		Result      []*update `json:"result"`
		ErrorCode   int       `json:"error_code"`
		Description string    `json:"description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, fmt.Errorf("getUpdates: read answer: %w", err)
	}
	if !r.OK {
		return nil, fmt.Errorf("getUpdates: %d %s", r.ErrorCode, r.Description)
	}
	return r.Result, nil
}
