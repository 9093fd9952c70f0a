// Package sessiontest gives tests a session store on the real Redis named by
// TEST_REDIS_URL (default redis://127.0.0.1:6379/0), with a key prefix of
// their own that is deleted when the test ends. It never flushes Redis:
// other packages' tests share it.
package sessiontest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"hoctap/session"
)

// URL returns the Redis URL for tests.
func URL() string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// Client connects to the test Redis.
func Client(t testing.TB) redis.UniversalClient {
	t.Helper()
	opt, err := redis.ParseURL(URL())
	if err != nil {
		t.Fatalf("TEST_REDIS_URL: %v", err)
	}
	rdb := redis.NewClient(opt)
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Redis at %s is not reachable (start it, or run .ci/run): %v", URL(), err)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// Prefix returns a fresh key prefix whose keys are deleted when the test ends.
func Prefix(t testing.TB, rdb redis.UniversalClient) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	prefix := "test:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() { DeleteAll(context.Background(), rdb, prefix) })
	return prefix
}

// DeleteAll deletes every key with the prefix, as if Redis lost them.
func DeleteAll(ctx context.Context, rdb redis.UniversalClient, prefix string) {
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if len(keys) > 0 {
		rdb.Del(ctx, keys...)
	}
}

// New returns a session store with its own prefix, its client and prefix.
func New(t testing.TB) (*session.Store, redis.UniversalClient, string) {
	t.Helper()
	rdb := Client(t)
	prefix := Prefix(t, rdb)
	s, err := session.New(rdb, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return s, rdb, prefix
}
