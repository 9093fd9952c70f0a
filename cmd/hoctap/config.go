package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"hoctap/blob"
	"hoctap/deliver"
	"hoctap/flows"
	"hoctap/flows/app"
	"hoctap/flows/assess"
	"hoctap/metric"
	"hoctap/runner"
	"hoctap/scoring"
	"hoctap/session"
	"hoctap/store"
)

// config is what the bot reads from the environment.
type config struct {
	token         string
	botUsername   string // learnt from getMe by serve; the playground has none
	apiURL        string
	databaseURL   string
	redisURL      string
	redisPrefix   string
	evidenceDir   string
	criteriaDir   string
	defaultLang   string
	webhookURL    string
	webhookSecret string
	listenAddr    string
	metricsAddr   string
	stopTimeout   time.Duration
	sendRate      float64
	jobRescue     time.Duration
	quiet         deliver.Quiet
	remindAfter   []int
}

var secretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// loadConfig reads and checks the configuration; every problem is named,
// and no value of a secret shows in the errors.
func loadConfig(lookup func(string) (string, bool)) (config, error) {
	getenv := func(key string) string {
		v, _ := lookup(key)
		return v
	}
	or := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	c := config{
		token:         getenv("TELEGRAM_BOT_TOKEN"),
		apiURL:        or("TELEGRAM_API_URL", "https://api.telegram.org"),
		databaseURL:   or("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		redisURL:      or("REDIS_URL", "redis://127.0.0.1:6379/0"),
		redisPrefix:   or("REDIS_PREFIX", "hoctap:"),
		evidenceDir:   or("EVIDENCE_DIR", "evidence"),
		criteriaDir:   getenv("CRITERIA_DIR"),
		defaultLang:   or("DEFAULT_LANGUAGE", "vi"),
		webhookURL:    getenv("WEBHOOK_URL"),
		webhookSecret: getenv("WEBHOOK_SECRET"),
		listenAddr:    or("LISTEN_ADDR", ":8080"),
		metricsAddr:   getenv("METRICS_ADDR"),
	}
	var errs []error
	if u, err := url.Parse(c.apiURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, errors.New("TELEGRAM_API_URL is not an http(s) URL"))
	}
	if c.defaultLang != "vi" && c.defaultLang != "en" {
		errs = append(errs, fmt.Errorf("DEFAULT_LANGUAGE is vi or en, not %q", c.defaultLang))
	}
	if err := session.CheckURL(c.redisURL); err != nil {
		errs = append(errs, fmt.Errorf("REDIS_URL is %w", err))
	}
	if strings.ContainsAny(c.redisPrefix, "{}") {
		errs = append(errs, errors.New("REDIS_PREFIX must not contain { or }: they make Redis Cluster's hash tags"))
	}
	var err error
	if c.stopTimeout, err = time.ParseDuration(or("STOP_TIMEOUT", "10s")); err != nil || c.stopTimeout <= 0 {
		errs = append(errs, errors.New("STOP_TIMEOUT is a duration above zero, such as 10s"))
	}
	if c.jobRescue, err = time.ParseDuration(or("JOB_RESCUE_AFTER", "2m")); err != nil || c.jobRescue < 2*time.Second {
		errs = append(errs, errors.New("JOB_RESCUE_AFTER is a duration of at least 2s, such as 2m"))
	}
	c.quiet = deliver.DefaultQuiet
	if v, set := lookup("QUIET_HOURS"); set {
		if c.quiet, err = deliver.ParseQuiet(v); err != nil {
			errs = append(errs, fmt.Errorf("QUIET_HOURS: %w (empty for none)", err))
		}
	}
	if c.remindAfter, err = parseDaysList(or("REMINDER_DAYS", "1,3,7")); err != nil {
		errs = append(errs, fmt.Errorf("REMINDER_DAYS: %w", err))
	}
	if c.sendRate, err = strconv.ParseFloat(or("SEND_RATE", "25"), 64); err != nil || c.sendRate <= 0 || c.sendRate > 1000 {
		errs = append(errs, errors.New("SEND_RATE is messages per second, above 0 and at most 1000"))
	}
	if c.webhookURL != "" {
		if u, err := url.Parse(c.webhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("WEBHOOK_URL is not a full http(s) URL"))
		}
		if !secretPattern.MatchString(c.webhookSecret) {
			errs = append(errs, errors.New("WEBHOOK_SECRET must be set with WEBHOOK_URL: 1 to 256 of A-Z, a-z, 0-9, _ and -"))
		}
	}
	return c, errors.Join(errs...)
}

// parseDaysList reads days after which to remind: "1,3,7", each from 1 to
// 90, rising.
func parseDaysList(s string) ([]int, error) {
	var days []int
	for _, part := range strings.Split(s, ",") {
		d, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || d < 1 || d > 90 || (len(days) > 0 && d <= days[len(days)-1]) {
			return nil, fmt.Errorf("days from 1 to 90, rising, separated by commas (1,3,7), not %q", s)
		}
		days = append(days, d)
	}
	return days, nil
}

// parts are the pieces every conversation needs, wired together.
type parts struct {
	db      *store.DB
	rdb     redis.UniversalClient
	session *session.Store
	blobs   *blob.Dir
	sets    *scoring.Catalog
	metrics *metric.Metrics
}

// ready checks what the bot depends on answers.
func (p *parts) ready(ctx context.Context) error {
	if err := p.db.Ping(ctx); err != nil {
		return errors.New("PostgreSQL does not answer")
	}
	if err := p.rdb.Ping(ctx).Err(); err != nil {
		return errors.New("Redis does not answer")
	}
	return nil
}

func (p *parts) close() {
	if p.rdb != nil {
		p.rdb.Close()
	}
	if p.db != nil {
		p.db.Close()
	}
}

// openParts connects to PostgreSQL (migrating it, which loads the shipped
// area tree on an empty database, and adding the sample villages on a new
// installation when sample is set, for the playground) and Redis, and
// loads the criteria sets.
func openParts(ctx context.Context, c config, log *slog.Logger, sample bool) (*parts, error) {
	p := &parts{metrics: metric.New()}
	var err error
	if p.db, err = store.Open(ctx, c.databaseURL, func(cfg *pgxpool.Config) { cfg.ConnConfig.Tracer = p.metrics.PGTracer() }); err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.db.Ping(pingCtx); err != nil {
		p.close()
		return nil, fmt.Errorf("PostgreSQL is not reachable at DATABASE_URL: %w", err)
	}
	p.rdb, _ = session.Connect(c.redisURL) // checked by loadConfig
	p.rdb.AddHook(p.metrics.RedisHook())
	if err := p.rdb.Ping(pingCtx).Err(); err != nil {
		p.close()
		return nil, fmt.Errorf("Redis is not reachable at REDIS_URL: %w", err)
	}
	if err := p.db.Migrate(ctx); err != nil {
		p.close()
		return nil, err
	}
	if sample {
		if seeded, err := p.db.SeedSample(ctx); err != nil {
			p.close()
			return nil, err
		} else if seeded {
			log.Info("a new installation: the sample villages were added for the playground")
		}
	}
	p.session, _ = session.New(p.rdb, c.redisPrefix) // the prefix is checked by loadConfig
	if p.blobs, err = blob.NewDir(c.evidenceDir, assess.MaxPhotoSize); err != nil {
		p.close()
		return nil, fmt.Errorf("EVIDENCE_DIR: %w", err)
	}
	p.sets, err = scoring.LoadCatalog(c.criteriaDir)
	if p.sets == nil {
		p.close()
		return nil, err
	}
	if err != nil {
		log.Warn("some criteria sets were left out; run 'hoctap criteria lint' to see why", "problems", len(flatten(err)))
	}
	return p, nil
}

// engine makes the conversation engine on a channel's files.
func (p *parts) engine(files flows.Files, c config) *flows.Engine {
	return app.New(app.Config{Store: p.db, Sets: p.sets, Files: files, Blobs: p.blobs, DefaultLang: c.defaultLang, BotUsername: c.botUsername})
}

// runner makes a channel's runner: the engine, the sessions and the shared
// pace in Redis, and the channel's sender.
func (p *parts) runner(engine *flows.Engine, sender runner.Sender, quiet time.Duration, c config, log *slog.Logger) *runner.Runner {
	return runner.New(runner.Config{
		Engine: engine, Sessions: p.session, Sender: sender, Pacer: p.session, Rate: c.sendRate, Quiet: quiet,
		Blocked: func(ctx context.Context, channel string, user int64) {
			if err := p.db.SetInactiveByChannel(ctx, channel, user, true); err != nil {
				log.Warn("could not mark a person inactive", "error", err)
			}
		},
		Metrics: p.metrics, Log: log,
	})
}
