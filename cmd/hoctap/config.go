package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"hoctap/blob"
	"hoctap/flows"
	"hoctap/metric"
	"hoctap/scoring"
	"hoctap/session"
	"hoctap/store"
)

// config is what the bot reads from the environment.
type config struct {
	token         string
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
}

var secretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// loadConfig reads and checks the configuration; every problem is named,
// and no value of a secret shows in the errors.
func loadConfig(getenv func(string) string) (config, error) {
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
	if _, err := redis.ParseURL(c.redisURL); err != nil {
		errs = append(errs, errors.New("REDIS_URL is not a redis:// URL"))
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

// parts are the pieces every conversation needs, wired together.
type parts struct {
	db      *store.DB
	rdb     *redis.Client
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

// openParts connects to PostgreSQL (migrating it and loading the sample
// areas on an empty database) and Redis, and loads the criteria sets.
func openParts(ctx context.Context, c config, log *slog.Logger) (*parts, error) {
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
	opt, _ := redis.ParseURL(c.redisURL) // checked by loadConfig
	p.rdb = redis.NewClient(opt)
	p.rdb.AddHook(p.metrics.RedisHook())
	if err := p.rdb.Ping(pingCtx).Err(); err != nil {
		p.close()
		return nil, fmt.Errorf("Redis is not reachable at REDIS_URL: %w", err)
	}
	if err := p.db.Migrate(ctx); err != nil {
		p.close()
		return nil, err
	}
	if seeded, err := p.db.SeedSampleAreas(ctx); err != nil {
		p.close()
		return nil, err
	} else if seeded {
		log.Info("the database had no areas: the sample area list was loaded")
	}
	p.session = session.New(p.rdb, c.redisPrefix)
	if p.blobs, err = blob.NewDir(c.evidenceDir, flows.MaxPhotoSize); err != nil {
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

// engine makes the conversation engine for a channel.
func (p *parts) engine(channel string, files flows.Files, c config) *flows.Engine {
	return &flows.Engine{
		Channel: channel, Sets: p.sets, Store: p.db, States: p.session, Files: files, Blobs: p.blobs,
		DefaultLang: c.defaultLang,
	}
}
