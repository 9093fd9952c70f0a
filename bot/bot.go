// Package bot is hoctap's Telegram channel: it takes updates by long
// polling or through its own webhook handler, skips duplicates, runs each
// chat's updates one at a time and in order (chats in parallel on a bounded
// pool), decodes them into flows inputs, and renders the outputs as Bot API
// calls. It knows Telegram and nothing of the conversations.
//
// It uses github.com/go-telegram/bot as a Bot API client only: that
// library's own intake acknowledges updates before they are handled, runs
// every handler in a goroutine of its own, and logs whole updates, so the
// intake here is ours.
package bot

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"hoctap/flows"
	"hoctap/locales"
	"hoctap/metric"
	"hoctap/session"
)

// Config is the bot's configuration.
type Config struct {
	Token         string
	APIURL        string        // the Bot API root; also serves files
	WebhookURL    string        // the full public URL; empty for long polling
	WebhookSecret string        // checked on every webhook request
	Workers       int           // chats handled at once
	UpdateTimeout time.Duration // the deadline of one update
	PollTimeout   time.Duration // how long one getUpdates waits
	AlbumQuiet    time.Duration // how long an album's confirmation waits for more photos
	Metrics       *metric.Metrics
}

func (c *Config) defaults() {
	if c.APIURL == "" {
		c.APIURL = "https://api.telegram.org"
	}
	c.APIURL = strings.TrimSuffix(c.APIURL, "/")
	if c.Workers <= 0 {
		c.Workers = 64
	}
	if c.UpdateTimeout <= 0 {
		c.UpdateTimeout = 30 * time.Second
	}
	if c.PollTimeout <= 0 {
		c.PollTimeout = 25 * time.Second
	}
	if c.AlbumQuiet <= 0 {
		c.AlbumQuiet = 1500 * time.Millisecond
	}
	if c.Metrics == nil {
		c.Metrics = metric.New()
	}
}

// Sessions is what the bot needs of Redis, in as few round trips as it
// can: a per-chat lock so that replicas handle one chat's updates one at a
// time, which updates were taken, and the conversation states.
type Sessions interface {
	Begin(ctx context.Context, chat int64, key string, ttl, wait time.Duration) (*session.Turn, error)
	// Hold and Latest let replicas agree on which held-back output (an
	// album's confirmation, whose photos may reach different replicas) is
	// the last and goes out.
	Hold(ctx context.Context, key string) (int64, error)
	Latest(ctx context.Context, key string, n int64) (bool, error)
}

// Bot is the Telegram channel of one replica.
type Bot struct {
	cfg       Config
	api       *tg.Bot  // setup calls and files
	fast      *fastAPI // the calls on the hot path
	http      *http.Client
	engine    *flows.Engine
	sessions  Sessions
	log       *slog.Logger
	inactive  func(ctx context.Context, chat int64)
	dispatch  *dispatcher
	coalescer coalescer
	metrics   *metric.Metrics
}

// New makes the bot. inactive is called for a chat whose person blocked it.
func New(cfg Config, engine *flows.Engine, sessions Sessions, inactive func(ctx context.Context, chat int64), log *slog.Logger) (*Bot, error) {
	cfg.defaults()
	if cfg.Token == "" {
		return nil, errors.New("no Telegram bot token")
	}
	b := &Bot{cfg: cfg, engine: engine, sessions: sessions, inactive: inactive, log: log, metrics: cfg.Metrics,
		http: &http.Client{Timeout: cfg.PollTimeout + 10*time.Second}}
	b.coalescer = coalescer{quiet: cfg.AlbumQuiet, timers: map[string]*time.Timer{}}
	api, err := tg.New(cfg.Token,
		tg.WithServerURL(cfg.APIURL),
		tg.WithSkipGetMe(),
		tg.WithHTTPClient(cfg.PollTimeout, &http.Client{Timeout: 30 * time.Second, Transport: transport(cfg.Workers)}),
		tg.WithDefaultHandler(func(context.Context, *tg.Bot, *models.Update) {}),
		tg.WithErrorsHandler(func(err error) { log.Warn("Bot API client", "error", b.redact(err)) }),
	)
	if err != nil {
		return nil, fmt.Errorf("make Bot API client: %s", b.redact(err))
	}
	b.api = api
	b.fast = &fastAPI{base: cfg.APIURL + "/bot" + cfg.Token + "/", http: &http.Client{Timeout: 30 * time.Second, Transport: transport(cfg.Workers)}}
	b.dispatch = newDispatcher(cfg.Workers, log)
	return b, nil
}

// transport keeps a connection to the Bot API open for every worker, as
// the default keeps only two and would open and close the others on every call.
func transport(workers int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = workers + 8
	t.MaxIdleConnsPerHost = workers + 8
	return t
}

// redact removes the token from an error's text.
func (b *Bot) redact(err error) string {
	if err == nil {
		return ""
	}
	return strings.ReplaceAll(err.Error(), b.cfg.Token, "<token>")
}

// Setup registers the commands in every language and sets or deletes the
// webhook, as the configuration says.
func (b *Bot) Setup(ctx context.Context) error {
	for _, lang := range locales.Languages {
		p := locales.For(lang)
		var cmds []models.BotCommand
		for _, c := range []string{"start", "help", "language", "privacy", "cancel"} {
			cmds = append(cmds, models.BotCommand{Command: c, Description: p.T("cmd." + c)})
		}
		params := &tg.SetMyCommandsParams{Commands: cmds, LanguageCode: lang}
		if lang == locales.Default {
			params.LanguageCode = "" // the default for every other language
		}
		if _, err := b.api.SetMyCommands(ctx, params); err != nil {
			return fmt.Errorf("set commands (%s): %s", lang, b.redact(err))
		}
	}
	if b.cfg.WebhookURL != "" {
		_, err := b.api.SetWebhook(ctx, &tg.SetWebhookParams{URL: b.cfg.WebhookURL, SecretToken: b.cfg.WebhookSecret,
			MaxConnections: b.cfg.Workers, AllowedUpdates: allowedUpdates})
		if err != nil {
			return fmt.Errorf("set webhook: %s", b.redact(err))
		}
		return nil
	}
	if _, err := b.api.DeleteWebhook(ctx, &tg.DeleteWebhookParams{}); err != nil {
		return fmt.Errorf("delete webhook: %s", b.redact(err))
	}
	return nil
}

var allowedUpdates = []string{"message", "callback_query", "my_chat_member"}

// take handles one update through the dispatcher and calls done once its
// effects are stored, or it failed and may be delivered again.
func (b *Bot) take(u *update, done func(err error)) bool {
	inc, ok := decode(u)
	if !ok {
		done(nil)
		return true
	}
	inc.taken = time.Now()
	b.metrics.Queue.Inc()
	finish := func(err error) {
		b.metrics.Queue.Dec()
		b.metrics.Handling.Observe(time.Since(inc.taken).Seconds())
		done(err)
	}
	return b.dispatch.submit(job{chat: inc.in.Chat, done: finish, run: func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, b.cfg.UpdateTimeout)
		defer cancel()
		return b.handle(ctx, inc)
	}})
}

// handle runs one update under its chat's lock: skip it if it was taken
// before, hand it to the conversation, show the outputs. A failure forgets
// the update, so a new delivery is taken again, and tells the person to try
// again.
func (b *Bot) handle(ctx context.Context, inc incoming) error {
	if inc.in.Kind == 0 { // a press on a message the bot cannot read: only answer it
		b.render(ctx, inc, nil)
		return nil
	}
	turn, err := b.sessions.Begin(ctx, inc.in.Chat, inc.in.Key, b.cfg.UpdateTimeout, b.cfg.UpdateTimeout)
	if err != nil {
		b.fail("redis", inc)
		b.sorry(ctx, inc)
		return fmt.Errorf("begin update: %w", err)
	}
	if turn.Duplicate {
		b.metrics.Updates.WithLabelValues("duplicate").Inc()
		return nil
	}
	st := turn.State
	outs, err := b.engine.Step(ctx, inc.in, &st, turn.Found)
	if err == nil {
		err = turn.Finish(ctx, &st)
	}
	if err != nil {
		b.fail("step", inc)
		b.log.Error("update failed", "update", inc.in.Key, "error", b.redact(err))
		turn.Abort(ctx) // a new delivery is taken again
		b.sorry(ctx, inc)
		return err
	}
	b.metrics.Updates.WithLabelValues("ok").Inc()
	b.metrics.Steps.Inc()
	b.render(ctx, inc, outs)
	return nil
}

// fail counts a failed update.
func (b *Bot) fail(kind string, inc incoming) {
	b.metrics.Updates.WithLabelValues("failed").Inc()
	b.metrics.Errors.WithLabelValues(kind).Inc()
}

// sorry tells the person to try again in a moment.
func (b *Bot) sorry(ctx context.Context, inc incoming) {
	lang := locales.Match(inc.in.Lang)
	o := flows.Sorry(lang)
	if inc.callback != "" {
		b.render(ctx, inc, []flows.Output{{Notice: o.Notice}})
		return
	}
	b.render(ctx, inc, []flows.Output{{Text: o.Text}})
}

// WebhookHandler serves Telegram's webhook requests: 401 for a wrong
// secret, 200 once the update's effects are stored, 503 when it failed or
// the bot is stopping, so that Telegram delivers it again.
func (b *Bot) WebhookHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		if subtle.ConstantTimeCompare([]byte(got), []byte(b.cfg.WebhookSecret)) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var u update
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&u); err != nil {
			http.Error(w, "bad update", http.StatusBadRequest) // never logged: it holds people's words
			return
		}
		result := make(chan error, 1)
		if !b.take(&u, func(err error) { result <- err }) {
			http.Error(w, "stopping", http.StatusServiceUnavailable)
			return
		}
		if err := <-result; err != nil {
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// Stop stops taking updates, waits for those taken to finish and sends
// what was held back.
func (b *Bot) Stop() {
	b.dispatch.close()
	b.coalescer.flush(b)
}

// Fetch downloads a file a person sent, through getFile; it implements
// flows.Files. The download URL holds the token: it is never logged.
func (b *Bot) Fetch(ctx context.Context, p flows.Photo) (io.ReadCloser, error) {
	f, err := b.api.GetFile(ctx, &tg.GetFileParams{FileID: p.FileID})
	if err != nil {
		return nil, fmt.Errorf("get file: %s", b.redact(err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.api.FileDownloadLink(f), nil)
	if err != nil {
		return nil, errors.New("make file request")
	}
	resp, err := b.http.Do(req)
	if err != nil {
		var uerr interface{ Unwrap() error }
		if errors.As(err, &uerr) {
			err = uerr.Unwrap()
		}
		return nil, fmt.Errorf("download file: %s", b.redact(err))
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("download file: HTTP %d", resp.StatusCode)
	}
	return resp.Body, nil
}
