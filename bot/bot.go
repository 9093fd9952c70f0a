// Package bot is hoctap's Telegram channel: it takes updates by long
// polling or through its own webhook handler, decodes them into the
// runner's inputs, and shows the runner's messages as Bot API calls through
// its one client. It knows Telegram and nothing of the conversations; the
// sequence of a turn is the runner's.
package bot

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"hoctap/locales"
	"hoctap/runner"
)

// Config is the bot's configuration.
type Config struct {
	WebhookURL    string        // the full public URL; empty for long polling
	WebhookSecret string        // checked on every webhook request
	Connections   int           // the webhook's max_connections
	PollTimeout   time.Duration // how long one getUpdates waits; 25 s when 0
	// StopTimeout bounds a stop: what was taken and not finished by then is
	// left to be delivered again. 10 s when 0.
	StopTimeout time.Duration
	Log         *slog.Logger
}

// Bot is the Telegram channel of one replica.
type Bot struct {
	cfg    Config
	client *Client
	run    *runner.Runner
	log    *slog.Logger
}

// New makes the bot on a client and the runner it feeds.
func New(cfg Config, c *Client, r *runner.Runner) *Bot {
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = 25 * time.Second
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = 10 * time.Second
	}
	if cfg.Connections <= 0 {
		cfg.Connections = 40
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Bot{cfg: cfg, client: c, run: r, log: cfg.Log}
}

var allowedUpdates = []string{"message", "callback_query", "my_chat_member"}

type botCommand struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

// Setup registers the commands in every language and sets or deletes the
// webhook, as the configuration says.
func (b *Bot) Setup(ctx context.Context) error {
	for _, lang := range locales.Languages {
		p := locales.For(lang)
		var cmds []botCommand
		for _, c := range []string{"start", "status", "help", "language", "privacy", "cancel"} {
			cmds = append(cmds, botCommand{Command: c, Description: p.T("cmd." + c)})
		}
		params := map[string]any{"commands": cmds}
		if lang != locales.Default { // the default's are every other language's
			params["language_code"] = lang
		}
		if err := b.client.call(ctx, "setMyCommands", params, nil); err != nil {
			return wrap("set commands ("+lang+")", err)
		}
	}
	if b.cfg.WebhookURL != "" {
		err := b.client.call(ctx, "setWebhook", map[string]any{"url": b.cfg.WebhookURL, "secret_token": b.cfg.WebhookSecret,
			"max_connections": b.cfg.Connections, "allowed_updates": allowedUpdates}, nil)
		return wrap("set webhook", err)
	}
	return wrap("delete webhook", b.client.call(ctx, "deleteWebhook", map[string]any{}, nil))
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
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
		in, ok := decode(&u)
		if !ok {
			w.WriteHeader(http.StatusOK)
			return
		}
		in.Taken = time.Now()
		result := make(chan error, 1)
		if !b.run.Submit(in, func(err error) { result <- err }) {
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

// Stop stops the runner within the stop timeout: the webhook's requests
// still waiting then are answered 503.
func (b *Bot) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.StopTimeout)
	defer cancel()
	b.run.Stop(ctx)
}

// StopTimeout is how long a stop may take.
func (b *Bot) StopTimeout() time.Duration { return b.cfg.StopTimeout }
