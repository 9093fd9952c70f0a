// Package sessiontest gives tests a session store on the real Redis named by
// TEST_REDIS_URL (default redis://127.0.0.1:6379/0), with a key prefix of
// their own that is deleted when the test ends. It never flushes Redis:
// other packages' tests share it.
package sessiontest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

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

// StartServer runs a redis-server of the test's own on a free port, with
// extra arguments (such as "--cluster-enabled", "yes"), until the test
// ends, and returns its address. The shared Redis is never restarted; a
// test that needs a Redis of another kind starts its own.
func StartServer(t testing.TB, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server is not installed (.ci/run installs it): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	dir := t.TempDir()
	cmd := exec.Command("redis-server", append([]string{"--port", port, "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", dir}, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := "127.0.0.1:" + port
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("the redis-server on %s does not answer after 10 s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return addr
}
