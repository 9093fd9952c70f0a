package metric_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"hoctap/metric"
	"hoctap/session/sessiontest"
	"hoctap/store"
	"hoctap/store/storetest"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

func TestEndpoints(t *testing.T) {
	m := metric.New()
	m.Steps.Add(3)
	var down error
	h := m.Handler(func(context.Context) error { return down })
	if code, _ := get(t, h, "/healthz"); code != 200 {
		t.Errorf("/healthz: %d", code)
	}
	if code, _ := get(t, h, "/readyz"); code != 200 {
		t.Errorf("/readyz while ready: %d", code)
	}
	down = errors.New("Redis does not answer")
	if code, body := get(t, h, "/readyz"); code != 503 || !strings.Contains(body, "Redis does not answer") {
		t.Errorf("/readyz while Redis is down: %d %q", code, body)
	}
	code, body := get(t, h, "/metrics")
	for _, want := range []string{"hoctap_steps_total 3", "process_cpu_seconds_total", "go_memstats_mallocs_total", "hoctap_reply_latency_seconds_bucket"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestRoundTripCounters(t *testing.T) {
	m := metric.New()
	rdb := sessiontest.Client(t)
	rdb.AddHook(m.RedisHook())
	prefix := sessiontest.Prefix(t, rdb)
	ctx := context.Background()
	both := func() {
		rdb.Get(ctx, prefix+"a")
		pipe := rdb.Pipeline()
		pipe.Get(ctx, prefix+"a")
		pipe.Get(ctx, prefix+"b")
		pipe.Exec(ctx)
	}
	both() // the first time sets up connections, which costs round trips of its own
	before := testutil.ToFloat64(m.RedisTrips)
	both()
	if got := testutil.ToFloat64(m.RedisTrips) - before; got != 2 {
		t.Errorf("%v Redis round trips for a command and a pipeline, want 2", got)
	}

	_, cfg := storetest.Schema(t)
	db, err := store.OpenConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg.ConnConfig.Tracer = m.PGTracer()
	traced, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer traced.Close()
	traced.Exec(ctx, "SELECT 1")
	traced.QueryRow(ctx, "SELECT 2").Scan(new(int))
	if got := testutil.ToFloat64(m.PGTrips); got != 2 {
		t.Errorf("%v PostgreSQL round trips for two queries, want 2", got)
	}
}
