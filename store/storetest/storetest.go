// Package storetest gives tests a migrated database of their own: a fresh
// schema in the PostgreSQL named by TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/test), dropped when the test ends. It
// never touches other schemas: other packages' tests share the server.
package storetest

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"hoctap/store"
)

// URL returns the database URL for tests.
func URL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Schema creates a schema of the test's own and returns its name and a
// connection configuration whose search_path is that schema.
func Schema(t testing.TB) (string, *pgxpool.Config) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, URL())
	if err != nil {
		t.Fatalf("PostgreSQL at TEST_DATABASE_URL is not reachable (start it, or run .ci/run): %v", err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), URL())
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	cfg, err := pgxpool.ParseConfig(URL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	return schema, cfg
}

// New returns a migrated database (with the shipped area tree) in a schema
// of the test's own, with the sample villages added.
func New(t testing.TB) *store.DB {
	t.Helper()
	db := Migrated(t)
	if _, err := db.SeedSample(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// Migrated returns a migrated database, as a new installation has it, in a
// schema of the test's own.
func Migrated(t testing.TB) *store.DB {
	t.Helper()
	_, cfg := Schema(t)
	ctx := context.Background()
	db, err := store.OpenConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// TakeDue returns the notices due at at and not delivered yet, in the
// order they fell due, and marks them delivered, as package deliver's jobs
// would: a test reads what the people are told without running the jobs.
func TakeDue(t testing.TB, db *store.DB, at time.Time) []store.Notice {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Pool().Query(ctx, `
		UPDATE notices n SET sent_at = $1 FROM people p
		WHERE p.id = n.person_id AND n.sent_at IS NULL AND n.due_at <= $1
		RETURNING n.id, n.person_id, p.channel, p.channel_user, n.name, n.object_id, n.rev, false, n.due_at`, at)
	if err != nil {
		t.Fatal(err)
	}
	type due struct {
		store.Notice
		at time.Time
	}
	var out []due
	var d due
	if _, err := pgx.ForEachRow(rows, []any{&d.ID, &d.Person, &d.Channel, &d.User, &d.Name, &d.Object, &d.Rev, &d.Sent, &d.at}, func() error {
		out = append(out, d)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(out, func(a, b due) int { return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.ID, b.ID)) })
	notices := make([]store.Notice, len(out))
	for i, d := range out {
		notices[i] = d.Notice
	}
	return notices
}
