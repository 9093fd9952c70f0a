package bot

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"hoctap/flows"
)

// keyboard turns rows of buttons into an inline keyboard; nil for none.
func keyboard(rows [][]flows.Button) *inlineKeyboard {
	if len(rows) == 0 {
		return nil
	}
	kb := make([][]inlineButton, len(rows))
	for i, row := range rows {
		kb[i] = make([]inlineButton, len(row))
		for j, b := range row {
			kb[i][j] = inlineButton{Text: b.Label, CallbackData: b.Token}
		}
	}
	return &inlineKeyboard{InlineKeyboard: kb}
}

// render answers the button press first, then shows the outputs: a screen
// that replaces the pressed message is an edit of it, the rest are sent; an
// output to coalesce waits for a quiet time.
func (b *Bot) render(ctx context.Context, inc incoming, outs []flows.Output) {
	first := true
	latency := func() {
		if first && !inc.taken.IsZero() {
			b.metrics.Latency.Observe(time.Since(inc.taken).Seconds())
		}
		first = false
	}
	if inc.callback != "" {
		latency()
		notice := ""
		for _, o := range outs {
			if o.Notice != "" {
				notice = o.Notice
				break
			}
		}
		b.call(ctx, "answerCallbackQuery", inc.in.Chat, func(ctx context.Context) error {
			err := b.fast.do(ctx, "answerCallbackQuery", answerCallbackQuery{CallbackQueryID: inc.callback, Text: notice})
			if err != nil && strings.Contains(err.Error(), "query is too old") {
				return nil // the press is still handled; only its spinner timed out
			}
			return err
		})
	}
	for _, o := range outs {
		if o.Text == "" {
			continue
		}
		if o.Coalesce != "" {
			b.coalesce(ctx, inc.in.Chat, o)
			continue
		}
		latency()
		if o.Replace && inc.message != 0 && b.edit(ctx, inc.in.Chat, inc.message, o) {
			continue
		}
		b.send(ctx, inc.in.Chat, o)
	}
}

// edit shows o in place of a message; false when it must be sent instead.
func (b *Bot) edit(ctx context.Context, chat int64, message int, o flows.Output) bool {
	err := b.call(ctx, "editMessageText", chat, func(ctx context.Context) error {
		err := b.fast.do(ctx, "editMessageText", editMessageText{
			ChatID: chat, MessageID: message, Text: o.Text, ParseMode: "HTML", ReplyMarkup: keyboard(o.Buttons),
		})
		if err != nil && strings.Contains(err.Error(), "message is not modified") {
			return nil
		}
		return err
	})
	return err == nil
}

func (b *Bot) send(ctx context.Context, chat int64, o flows.Output) {
	b.call(ctx, "sendMessage", chat, func(ctx context.Context) error {
		return b.fast.do(ctx, "sendMessage", sendMessage{
			ChatID: chat, Text: o.Text, ParseMode: "HTML", ReplyMarkup: keyboard(o.Buttons),
		})
	})
}

// call makes a Bot API call, waiting out a 429's retry_after and retrying a
// passing failure a few times. A 403 (the person blocked the bot) marks them
// inactive. Errors are logged without the token, texts or names.
func (b *Bot) call(ctx context.Context, method string, chat int64, f func(context.Context) error) error {
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		err = f(ctx)
		var refused *apiError
		b.metrics.BotAPI.WithLabelValues(method, outcome(err)).Inc()
		switch {
		case err == nil:
			return nil
		case errors.As(err, &refused) && refused.Code == http.StatusForbidden:
			if b.inactive != nil {
				b.inactive(ctx, chat)
			}
			return err
		case errors.As(err, &refused) && refused.Code == http.StatusTooManyRequests:
			b.metrics.TooMany.Inc()
			if !sleep(ctx, time.Duration(max(refused.RetryAfter, 1))*time.Second) {
				return err
			}
		case errors.As(err, &refused) && refused.Code < 500:
			b.log.Warn("Bot API refused a call", "method", method, "error", b.redact(err))
			return err
		default:
			if !sleep(ctx, time.Duration(100<<attempt)*time.Millisecond) {
				return err
			}
		}
	}
	b.log.Warn("Bot API call failed", "error", b.redact(err))
	return err
}

// outcome names the result of a Bot API call for the metrics.
func outcome(err error) string {
	var refused *apiError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &refused):
		return strconv.Itoa(refused.Code)
	}
	return "error"
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// coalescer holds back outputs that a later one with the same key replaces:
// the confirmation of an album goes out once, after its last photo. The
// photos of one album may reach different replicas, so the replicas number
// their holds in Redis and only the last one sends.
type coalescer struct {
	mu     sync.Mutex
	quiet  time.Duration
	timers map[string]*time.Timer
	wg     sync.WaitGroup
}

func (b *Bot) coalesce(ctx context.Context, chat int64, o flows.Output) {
	c := &b.coalescer
	key := strconv.FormatInt(chat, 10) + ":" + o.Coalesce
	n, err := b.sessions.Hold(ctx, key)
	if err != nil {
		b.log.Warn("could not hold an album's confirmation; it may go out twice", "error", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.timers[key]; ok && t.Stop() {
		c.wg.Done()
	}
	c.wg.Add(1)
	c.timers[key] = time.AfterFunc(c.quiet, func() {
		defer c.wg.Done()
		c.mu.Lock()
		delete(c.timers, key)
		c.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), b.cfg.UpdateTimeout)
		defer cancel()
		if last, err := b.sessions.Latest(ctx, key, n); err == nil && !last {
			return // another replica holds a later one
		}
		b.send(ctx, chat, o)
	})
}

// flush sends every output held back, at once.
func (c *coalescer) flush(b *Bot) {
	c.mu.Lock()
	for _, t := range c.timers {
		t.Reset(0)
	}
	c.mu.Unlock()
	c.wg.Wait()
}
