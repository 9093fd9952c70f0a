// Package metric holds hoctap's Prometheus metrics and the endpoints that
// serve them: /metrics, /healthz (the process is up) and /readyz (Redis and
// PostgreSQL answer). It also counts the round trips to Redis and
// PostgreSQL, through a go-redis hook and a pgx tracer, so that the cost of
// a step can be measured.
package metric

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
)

// Metrics are one process's metrics.
type Metrics struct {
	reg *prometheus.Registry

	Updates    *prometheus.CounterVec // updates taken, by result: ok, duplicate, failed
	Steps      prometheus.Counter     // inputs the conversation handled
	Latency    prometheus.Histogram   // from taking an update to its first Bot API call
	Handling   prometheus.Histogram   // from taking an update to its effects stored and shown
	Queue      prometheus.Gauge       // updates taken and not yet handled
	BotAPI     *prometheus.CounterVec // Bot API calls, by method and outcome
	TooMany    prometheus.Counter     // 429 answers
	Errors     *prometheus.CounterVec // errors, by kind
	RedisTrips prometheus.Counter     // round trips to Redis
	PGTrips    prometheus.Counter     // round trips to PostgreSQL
}

// New makes the metrics with the Go runtime and process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg:     reg,
		Updates: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hoctap_updates_total", Help: "Updates taken, by result."}, []string{"result"}),
		Steps:   prometheus.NewCounter(prometheus.CounterOpts{Name: "hoctap_steps_total", Help: "Inputs the conversation handled."}),
		Latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hoctap_reply_latency_seconds",
			Help: "From taking an update to its first Bot API call.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		Handling: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hoctap_update_seconds",
			Help: "From taking an update to its effects stored and shown.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		Queue:      prometheus.NewGauge(prometheus.GaugeOpts{Name: "hoctap_update_queue_length", Help: "Updates taken and not yet handled."}),
		BotAPI:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hoctap_botapi_calls_total", Help: "Bot API calls, by method and outcome."}, []string{"method", "outcome"}),
		TooMany:    prometheus.NewCounter(prometheus.CounterOpts{Name: "hoctap_botapi_429_total", Help: "429 Too Many Requests answers."}),
		Errors:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hoctap_errors_total", Help: "Errors, by kind."}, []string{"kind"}),
		RedisTrips: prometheus.NewCounter(prometheus.CounterOpts{Name: "hoctap_redis_roundtrips_total", Help: "Round trips to Redis."}),
		PGTrips:    prometheus.NewCounter(prometheus.CounterOpts{Name: "hoctap_pg_roundtrips_total", Help: "Round trips to PostgreSQL."}),
	}
	reg.MustRegister(m.Updates, m.Steps, m.Latency, m.Handling, m.Queue, m.BotAPI, m.TooMany, m.Errors, m.RedisTrips, m.PGTrips,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves /metrics, /healthz and /readyz; ready checks what the
// process depends on.
func (m *Metrics) Handler(ready func(ctx context.Context) error) http.Handler {
	mux := http.NewServeMux()
	m.Register(mux, ready)
	return mux
}

// Register adds /metrics, /healthz and /readyz to a mux.
func (m *Metrics) Register(mux *http.ServeMux, ready func(ctx context.Context) error) {
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
}

// RedisHook counts round trips: a command, or a whole pipeline.
func (m *Metrics) RedisHook() redis.Hook { return redisHook{m} }

type redisHook struct{ m *Metrics }

func (h redisHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.m.RedisTrips.Inc()
		return next(ctx, cmd)
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.m.RedisTrips.Inc()
		return next(ctx, cmds)
	}
}

// PGTracer counts round trips to PostgreSQL: each query, and each batch.
func (m *Metrics) PGTracer() pgx.QueryTracer { return pgTracer{m} }

type pgTracer struct{ m *Metrics }

func (t pgTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	t.m.PGTrips.Inc()
	return ctx
}

func (t pgTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
