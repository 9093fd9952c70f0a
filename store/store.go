// Package store keeps everything that must last in PostgreSQL, through pgx:
// the schema's migrations, areas, people, subjects, assessments pinned to
// their criteria set version, every answer, evidence records, the inputs
// already applied, and an append-only audit log. It implements flows.Store.
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is hoctap's PostgreSQL.
type DB struct {
	pool *pgxpool.Pool
}

// Open connects to the database at url (a postgres:// URL or DSN); the
// configure functions may change the pool's configuration first.
func Open(ctx context.Context, url string, configure ...func(*pgxpool.Config)) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", redact(err))
	}
	for _, f := range configure {
		f(cfg)
	}
	return OpenConfig(ctx, cfg)
}

// OpenConfig connects with a parsed configuration. PostgreSQL's JIT is
// off: its compiling takes longer than hoctap's queries run (a second for
// the roll-ups' check), and a state change must not pay it.
func OpenConfig(ctx context.Context, cfg *pgxpool.Config) (*DB, error) {
	if _, set := cfg.ConnConfig.RuntimeParams["jit"]; !set {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", redact(err))
	}
	return &DB{pool: pool}, nil
}

// redact drops a connection string's password from an error, if it shows.
func redact(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "password="); i >= 0 {
		end := strings.IndexAny(msg[i:], " '\"")
		if end < 0 {
			end = len(msg) - i
		}
		return errors.New(msg[:i] + "password=***" + msg[i+end:])
	}
	return err
}

// Pool returns the connection pool, for tests and one-off tools.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Close closes the connections.
func (db *DB) Close() { db.pool.Close() }

// Ping checks PostgreSQL is reachable.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// ErrNotReady is a database whose schema is missing or older than this
// build's.
var ErrNotReady = errors.New("the database is not set up for this version of hoctap: run hoctap migrate (serve does it too)")

// Ready checks that every migration of this build has been applied,
// changing nothing.
func (db *DB) Ready(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	var applied int
	err = db.pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&applied)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42P01": // undefined_table
		return ErrNotReady
	case err != nil:
		return fmt.Errorf("read schema_migrations: %w", err)
	case applied < len(names):
		return ErrNotReady
	}
	migrator, err := db.riverMigrator()
	if err != nil {
		return err
	}
	res, err := migrator.Validate(ctx, nil)
	if err != nil {
		return fmt.Errorf("check river's migrations: %w", err)
	}
	if !res.OK {
		return ErrNotReady
	}
	return nil
}

// Migrate brings the schema up to date, makes the key that signs
// invitation links once and, on a database with no areas, loads the
// shipped area tree (package area); replicas starting together take turns
// through an advisory lock.
func (db *DB) Migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7210432)`); err != nil {
			return fmt.Errorf("lock migrations: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		for _, name := range names {
			base := strings.TrimPrefix(name, "migrations/")
			version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
			if err != nil {
				return fmt.Errorf("migration %s: name starts with its number", base)
			}
			var done bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, version).Scan(&done); err != nil {
				return fmt.Errorf("read schema_migrations: %w", err)
			}
			if done {
				continue
			}
			sql, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return fmt.Errorf("migration %s: %w", base, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, version); err != nil {
				return fmt.Errorf("record migration %s: %w", base, err)
			}
		}
		if err := foldAreaNames(ctx, tx); err != nil {
			return err
		}
		if err := ensureInviteKey(ctx, tx); err != nil {
			return err
		}
		if err := seedShippedAreas(ctx, tx); err != nil {
			return err
		}
		if err := seedTargets(ctx, tx); err != nil {
			return err
		}
		return fillRollups(ctx, tx)
	})
	if err != nil {
		return err
	}
	return db.migrateRiver(ctx)
}

// migrateRiver brings River's tables, for the durable jobs, up to date in
// the same database. River's migrations cannot share one transaction (one
// adds an enum value and uses it), so they run on their own, one replica
// at a time under a session lock.
func (db *DB) migrateRiver(ctx context.Context) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(7210433)`); err != nil {
		return fmt.Errorf("lock river migrations: %w", err)
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7210433)`) }() // else released with the session
	migrator, err := db.riverMigrator()
	if err != nil {
		return err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	return nil
}

// riverMigrator returns River's migrator on the database, logging only its
// warnings to nowhere: its results are the migration's.
func (db *DB) riverMigrator() (*rivermigrate.Migrator[pgx.Tx], error) {
	m, err := rivermigrate.New(riverpgxv5.New(db.pool), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("river migrator: %w", err)
	}
	return m, nil
}
