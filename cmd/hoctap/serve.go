package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"hoctap/bot"
	"hoctap/deliver"
)

// contextOf returns a context that ends on SIGTERM or SIGINT.
func contextOf() context.Context {
	ctx, _ := serveContext()
	return ctx
}

// The channel's workers (conversations at once, and the webhook's
// max_connections) and how long an album's confirmation waits for more
// photos.
const (
	workers    = 64
	albumQuiet = 1500 * time.Millisecond
)

// serveContext ends on SIGTERM or SIGINT; tests give their own.
var serveContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
}

func runServe(e *env, args []string) error {
	fs := bareFlags(e, "hoctap serve", "")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	c, err := loadConfig(e.lookup)
	if err != nil {
		return err
	}
	if c.token == "" {
		return errors.New("TELEGRAM_BOT_TOKEN is not set (without it, 'hoctap chat' is the terminal playground)")
	}
	ctx, stop := serveContext()
	defer stop()
	p, err := openParts(ctx, c, e.log, false)
	if err != nil {
		return err
	}
	defer p.close()

	client, err := bot.NewClient(c.token, c.apiURL, workers, p.metrics)
	if err != nil {
		return err
	}
	setupCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// The bot's username, which invitation links made in the bot name.
	if c.botUsername, err = client.Username(setupCtx); err != nil {
		return fmt.Errorf("ask the Bot API who the bot is (getMe): %w", err)
	}
	run := p.runner(p.engine(client, c), bot.NewSender(client), albumQuiet, c, e.log)
	b := bot.New(bot.Config{WebhookURL: c.webhookURL, WebhookSecret: c.webhookSecret, Connections: workers,
		StopTimeout: c.stopTimeout, Log: e.log}, client, run)
	if err := b.Setup(setupCtx); err != nil {
		b.Stop()
		return err
	}
	// Notices, reminders and broadcasts go out as events on the same
	// runner, by River's jobs. When the bot stops, the jobs stop first —
	// no job is taken once the runner no longer takes inputs — and before
	// the database closes; a job cut short is snoozed for the next replica.
	jobs, err := deliver.New(deliver.Config{DB: p.db, Runner: run, Rate: c.sendRate, Rescue: c.jobRescue, JobTimeout: c.jobRescue / 2,
		Quiet: c.quiet, RemindAfter: c.remindAfter, Log: e.log})
	if err != nil {
		b.Stop()
		return err
	}
	if err := jobs.Start(context.WithoutCancel(ctx)); err != nil { // stopped below, softly
		b.Stop()
		return fmt.Errorf("start the jobs: %w", err)
	}
	jobsStopped := make(chan struct{})
	go func() {
		defer close(jobsStopped)
		<-ctx.Done()
		stopCtx, cancel := context.WithTimeout(context.Background(), c.stopTimeout)
		defer cancel()
		if err := jobs.Stop(stopCtx); err != nil {
			e.log.Warn("the jobs did not stop in time", "error", err)
		}
	}()
	defer func() {
		stop() // serve may return before its context ends (a listener that failed)
		<-jobsStopped
	}()

	if c.webhookURL == "" {
		if c.metricsAddr != "" {
			stopMetrics, err := serveMetrics(e, c.metricsAddr, p)
			if err != nil {
				return err
			}
			defer stopMetrics()
		}
		e.log.Info("serving by long polling")
		err := b.Poll(ctx)
		e.log.Info("stopped")
		return err
	}
	return serveWebhook(ctx, e, c, b, p)
}

// serveMetrics serves /metrics, /healthz and /readyz on addr.
func serveMetrics(e *env, addr string, p *parts) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on METRICS_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	p.metrics.Register(mux, p.ready)
	// Profiles for the load command's analysis; METRICS_ADDR is private,
	// unlike LISTEN_ADDR in webhook mode, which never serves them.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	e.log.Info("serving metrics", "addr", ln.Addr().String())
	return func() { srv.Close() }, nil
}

// serveWebhook serves the webhook URL's path on LISTEN_ADDR until ctx ends,
// then stops taking requests and finishes the updates taken.
func serveWebhook(ctx context.Context, e *env, c config, b *bot.Bot, p *parts) error {
	u, _ := url.Parse(c.webhookURL) // checked by loadConfig
	path := u.Path
	if path == "" {
		path = "/"
	}
	mux := http.NewServeMux()
	mux.Handle(path, b.WebhookHandler())
	p.metrics.Register(mux, p.ready) // /metrics, /healthz and /readyz share LISTEN_ADDR
	ln, err := net.Listen("tcp", c.listenAddr)
	if err != nil {
		return fmt.Errorf("listen on LISTEN_ADDR: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	e.log.Info("serving the webhook", "addr", ln.Addr().String(), "path", path)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("webhook server: %w", err)
	case <-ctx.Done():
	}
	// The runner finishes what it took within the stop timeout and then
	// fails the rest, whose requests are answered 503; Shutdown waits for
	// those answers, and what is still open after a second more is closed.
	shutdown, cancel := context.WithTimeout(context.Background(), b.StopTimeout()+time.Second)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(shutdown) }()
	b.Stop()
	if err := <-shut; err != nil {
		srv.Close()
	}
	e.log.Info("stopped")
	return nil
}
