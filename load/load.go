// Package load measures the conversation core under load: it starts the
// in-repo fake Bot API, holding the bot to Telegram's limits, runs real `hoctap serve` replicas as child processes
// on a database and Redis prefix of their own, and lets simulated people walk
// the questionnaire at the same time — buttons, typed numbers, photos and
// albums, some Back and Edit — each thinking a while after the bot's reply.
// The bot's own cost (CPU, allocations, Redis and PostgreSQL round trips) is
// read from the replicas' /metrics, so the load generator's work is not
// counted.
package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"hoctap/bot/telegramtest"
)

// Options say what load to make.
type Options struct {
	People      int
	Think       time.Duration
	Duration    time.Duration
	Mode        string // "polling" or "webhook"
	Replicas    int
	Binary      string        // the hoctap binary the replicas run
	DatabaseURL string        // a PostgreSQL server where a load database is made and dropped
	RedisURL    string        // the Redis the replicas use, under a prefix of their own
	StallAfter  time.Duration // a step with no reply for this long is a stall
	Profile     string        // when set, a CPU profile of the first replica is written here (polling mode)
	// Broadcast, when above 0, runs the walk twice: once as it is, then
	// again, with other people, while a broadcast goes to this many more;
	// the report has the reply latency of both and the broadcast's rate.
	Broadcast int
	SendRate  float64 // the replicas' SEND_RATE; 25 when 0
	Log       *slog.Logger
}

const token = "424242:load-test-token"

// run is one load run.
type run struct {
	opt    Options
	api    *telegramtest.Server
	photos [][]byte

	mu        sync.Mutex
	latencies []time.Duration
	steps     int
	stalls    []string // person and what they did, for every step with no reply
	people    map[int64]*person

	botCalls atomic.Int64

	dbURL string // the replicas' DATABASE_URL

	bcMu            sync.Mutex
	bcSent          int // broadcast messages sent (to the broadcast's chats)
	bcFirst, bcLast time.Time
}

// The broadcast of Options.Broadcast: its recipients' first user id, and
// its text.
const (
	broadcastFrom = 900000
	broadcastText = "Thông báo của phép đo tải"
)

// startBroadcast makes the broadcast's recipients — people who agreed to
// use the bot and wrote to it before — and queues a broadcast to everyone
// with the hoctap binary, as an admin would.
func (r *run) startBroadcast(ctx context.Context, db *pgx.Conn) error {
	n := r.opt.Broadcast
	if _, err := db.Exec(ctx, `INSERT INTO people (channel, channel_user, lang, consent_at)
		SELECT 'telegram', $1 + g, 'vi', now() FROM generate_series(0, $2 - 1) g`, broadcastFrom, n); err != nil {
		return fmt.Errorf("make the broadcast's recipients: %w", err)
	}
	for i := range n {
		r.api.Open(telegramtest.User{ID: int64(broadcastFrom + i), FirstName: "Người nhận", LanguageCode: "vi"})
	}
	cmd := exec.CommandContext(ctx, r.opt.Binary, "broadcast", "--all", "--text", broadcastText, "--yes")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+r.dbURL)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("queue the broadcast: %w: %s", err, out)
	}
	return nil
}

// Report is what a run measured.
type Report struct {
	Options                     Options
	Steps                       int
	Stalls                      []string // every step with no reply: the person and what they did
	Elapsed                     time.Duration
	P50, P90, P99, Max          time.Duration
	BotSteps                    float64 // steps the replicas counted
	CPUPerStep                  time.Duration
	AllocsPerStep, BytesPerStep float64
	RedisPerStep, PGPerStep     float64
	BotAPIPerStep               float64
	RedisPerConversation        float64 // bytes
	Conversations               int
	HeapStart, HeapEnd, HeapMax float64
	Submitted                   int
	Errors                      float64
	Throttled                   int // 429s the fake answered for Telegram's limits
	// FirstSubmissions is how many people reached a submission, and
	// ActionsToSubmit how many actions the first took them: the median and
	// the most.
	FirstSubmissions                     int
	ActionsToSubmit, MostActionsToSubmit int
	Walkers                              int // people who walked, in both walks with Options.Broadcast
	// With Options.Broadcast: the walk without it (the figures above are
	// the walk during it), and the broadcast messages sent during the walk.
	AlonePeople                   int
	AloneP50, AloneP99            time.Duration
	BroadcastSent                 int
	BroadcastFirst, BroadcastLast time.Time
}

// Run makes the load and returns what it measured.
func Run(ctx context.Context, opt Options) (*Report, error) {
	if opt.Mode == "polling" && opt.Replicas > 1 {
		return nil, errors.New("polling takes one replica: Telegram ends a getUpdates when another starts; use --mode webhook for several")
	}
	r := &run{opt: opt, people: map[int64]*person{}, photos: photos(8)}
	r.api = telegramtest.New(token, telegramtest.WithoutHistory(), telegramtest.WithoutThumbnails(), telegramtest.WithLimits(),
		telegramtest.WithCallHook(r.onCall))
	defer r.api.Close()

	db, dropDB, err := makeDatabase(ctx, opt.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer dropDB()
	prefix := fmt.Sprintf("hoctap-load-%d:", time.Now().UnixNano())
	rdb, err := redisClient(opt.RedisURL)
	if err != nil {
		return nil, err
	}
	defer rdb.Close()
	defer deleteKeys(context.Background(), rdb, prefix)

	evidence, err := os.MkdirTemp("", "hoctap-load-evidence-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(evidence)

	reps, err := r.startReplicas(ctx, db, prefix, evidence)
	if err != nil {
		return nil, err
	}
	defer stopReplicas(reps)

	before := scrapeAll(reps)
	heap := &heapWatch{}
	heap.sample(reps)

	var alone *Report
	if opt.Broadcast > 0 {
		r.walk(ctx, 100000, reps, heap)
		alone = r.report(time.Second, nil, nil, heap)
		r.mu.Lock()
		r.latencies, r.steps, r.stalls = nil, 0, nil
		r.mu.Unlock()
		if err := r.startBroadcast(ctx, db); err != nil {
			return nil, err
		}
	}
	before = scrapeAll(reps)
	first := int64(100000)
	if alone != nil {
		first = 200000
	}
	elapsed := r.walk(ctx, first, reps, heap)
	time.Sleep(300 * time.Millisecond) // let the last replies land before reading the counters
	after := scrapeAll(reps)
	heap.sample(reps)

	rep := r.report(elapsed, before, after, heap)
	var actions []int
	for _, p := range r.people { // their goroutines have ended
		if p.firstSubmit > 0 {
			actions = append(actions, p.firstSubmit)
		}
	}
	rep.Walkers = len(r.people)
	if len(actions) > 0 {
		slices.Sort(actions)
		rep.FirstSubmissions = len(actions)
		rep.ActionsToSubmit, rep.MostActionsToSubmit = actions[len(actions)/2], actions[len(actions)-1]
	}
	rep.Throttled = r.api.Throttled()
	if alone != nil {
		rep.AlonePeople, rep.AloneP50, rep.AloneP99 = opt.People, alone.P50, alone.P99
		r.bcMu.Lock()
		rep.BroadcastSent, rep.BroadcastFirst, rep.BroadcastLast = r.bcSent, r.bcFirst, r.bcLast
		r.bcMu.Unlock()
	}
	rep.Conversations, rep.RedisPerConversation = redisPerConversation(context.Background(), rdb, prefix)
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM assessments WHERE status = 'submitted'`).Scan(&rep.Submitted); err != nil {
		return nil, fmt.Errorf("count submissions: %w", err)
	}
	return rep, nil
}

// walk runs the people, their ids from first on, for the run's duration,
// and returns how long it took.
func (r *run) walk(ctx context.Context, first int64, reps []*replica, heap *heapWatch) time.Duration {
	opt := r.opt
	runCtx, cancel := context.WithTimeout(ctx, opt.Duration)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < opt.People; i++ {
		p := &person{r: r, u: telegramtest.User{ID: first + int64(i), FirstName: "Người " + strconv.Itoa(i), LanguageCode: "vi"},
			rng: rand.New(rand.NewPCG(uint64(i), 7)), calls: make(chan telegramtest.Call, 64)}
		r.mu.Lock()
		r.people[p.u.ID] = p
		r.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Spread the first steps over the first think time.
			if opt.Think > 0 {
				time.Sleep(time.Duration(p.rng.Int64N(int64(opt.Think))))
			}
			p.live(runCtx)
		}()
	}
	if opt.Profile != "" && opt.Mode == "polling" {
		go profile(reps[0], opt.Duration*2/3, opt.Profile, opt.Log)
	}
	ticker := time.NewTicker(5 * time.Second)
	defer ticker.Stop()
watch:
	for {
		select {
		case <-runCtx.Done():
			break watch
		case <-ticker.C:
			heap.sample(reps)
		}
	}
	wg.Wait()
	return time.Since(start)
}

// onCall routes the bot's calls to the person whose chat they concern.
func (r *run) onCall(c telegramtest.Call) {
	switch c.Method {
	case "getUpdates", "setWebhook", "deleteWebhook", "setMyCommands", "getFile":
		if c.Method == "getFile" {
			r.botCalls.Add(1)
		}
		return
	}
	r.botCalls.Add(1)
	if c.Method == "sendMessage" && strings.Contains(c.Params["text"], broadcastText) {
		r.bcMu.Lock()
		if r.bcSent == 0 {
			r.bcFirst = time.Now()
		}
		r.bcSent++
		r.bcLast = time.Now()
		r.bcMu.Unlock()
		return
	}
	r.mu.Lock()
	p := r.people[c.ChatID]
	r.mu.Unlock()
	if p != nil {
		select {
		case p.calls <- c:
		default:
		}
	}
}

func (r *run) record(s step) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps++
	if s.stalled {
		r.stalls = append(r.stalls, fmt.Sprintf("person %d: %s", s.person, s.what))
		return
	}
	if s.timed {
		r.latencies = append(r.latencies, s.latency)
	}
}

func (r *run) report(elapsed time.Duration, before, after map[string]float64, heap *heapWatch) *Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := &Report{Options: r.opt, Steps: r.steps, Stalls: r.stalls, Elapsed: elapsed}
	sort.Slice(r.latencies, func(i, j int) bool { return r.latencies[i] < r.latencies[j] })
	q := func(f float64) time.Duration {
		if len(r.latencies) == 0 {
			return 0
		}
		return r.latencies[min(len(r.latencies)-1, int(f*float64(len(r.latencies))))]
	}
	rep.P50, rep.P90, rep.P99 = q(0.50), q(0.90), q(0.99)
	if len(r.latencies) > 0 {
		rep.Max = r.latencies[len(r.latencies)-1]
	}
	d := func(name string) float64 { return after[name] - before[name] }
	rep.BotSteps = d("hoctap_steps_total")
	if rep.BotSteps > 0 {
		rep.CPUPerStep = time.Duration(d("process_cpu_seconds_total") / rep.BotSteps * float64(time.Second))
		rep.AllocsPerStep = d("go_memstats_mallocs_total") / rep.BotSteps
		rep.BytesPerStep = d("go_memstats_alloc_bytes_total") / rep.BotSteps
		rep.RedisPerStep = d("hoctap_redis_roundtrips_total") / rep.BotSteps
		rep.PGPerStep = d("hoctap_pg_roundtrips_total") / rep.BotSteps
		rep.BotAPIPerStep = float64(r.botCalls.Load()) / rep.BotSteps
	}
	rep.Errors = d("hoctap_errors_total")
	rep.HeapStart, rep.HeapEnd, rep.HeapMax = heap.first, heap.last, heap.max
	return rep
}

// Print writes the report for a person to read.
func (rep *Report) Print(w io.Writer) {
	o := rep.Options
	fmt.Fprintf(w, "hoctap loadtest: %d people, think %v, %v, %s, %d replica(s)\n", o.People, o.Think, o.Duration, o.Mode, o.Replicas)
	fmt.Fprintf(w, "steps                 %d (%.0f/s), %d submitted assessments\n", rep.Steps, float64(rep.Steps)/rep.Elapsed.Seconds(), rep.Submitted)
	fmt.Fprintf(w, "reply latency         p50 %v  p90 %v  p99 %v  max %v  (update available → first Bot API call)\n",
		round(rep.P50), round(rep.P90), round(rep.P99), round(rep.Max))
	if o.Broadcast > 0 {
		rate := o.SendRate
		if rate <= 0 {
			rate = 25
		}
		achieved := 0.0
		if span := rep.BroadcastLast.Sub(rep.BroadcastFirst).Seconds(); rep.BroadcastSent > 1 && span > 0 {
			achieved = float64(rep.BroadcastSent-1) / span
		}
		fmt.Fprintf(w, "  without a broadcast p50 %v  p99 %v  (the same walk, other people, before it)\n", round(rep.AloneP50), round(rep.AloneP99))
		fmt.Fprintf(w, "  p99 difference      %v  (aim: within 50ms)\n", round(rep.P99-rep.AloneP99))
		fmt.Fprintf(w, "broadcast             %d messages sent during the walk (to %d people and the first walk's %d), %.1f/s of SEND_RATE %.0f/s (%.0f%%; aim: at least 95%%)\n",
			rep.BroadcastSent, o.Broadcast, o.People, achieved, rate, 100*achieved/rate)
	}
	fmt.Fprintf(w, "first submission      %d of %d people, after %d actions (median), %d at most\n",
		rep.FirstSubmissions, rep.Walkers, rep.ActionsToSubmit, rep.MostActionsToSubmit)
	fmt.Fprintf(w, "stalls                %d (no reply within %v)\n", len(rep.Stalls), o.StallAfter)
	for _, s := range rep.Stalls {
		fmt.Fprintf(w, "  stalled: %s\n", s)
	}
	fmt.Fprintf(w, "bot CPU per step      %v\n", rep.CPUPerStep.Round(time.Microsecond))
	fmt.Fprintf(w, "allocations per step  %.0f (%.1f KB)\n", rep.AllocsPerStep, rep.BytesPerStep/1024)
	fmt.Fprintf(w, "Redis round trips     %.2f per step\n", rep.RedisPerStep)
	fmt.Fprintf(w, "PostgreSQL round trips %.2f per step\n", rep.PGPerStep)
	fmt.Fprintf(w, "Bot API calls         %.2f per step\n", rep.BotAPIPerStep)
	fmt.Fprintf(w, "429s                  %d (the fake keeps Telegram's limits)\n", rep.Throttled)
	fmt.Fprintf(w, "Redis per conversation %.0f bytes (%d conversations)\n", rep.RedisPerConversation, rep.Conversations)
	fmt.Fprintf(w, "bot heap in use       %.1f MB at start, %.1f MB at end, %.1f MB at most\n", rep.HeapStart/1e6, rep.HeapEnd/1e6, rep.HeapMax/1e6)
	fmt.Fprintf(w, "bot errors            %.0f\n", rep.Errors)
}

func round(d time.Duration) time.Duration {
	switch {
	case d > 100*time.Millisecond:
		return d.Round(time.Millisecond)
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// photos makes n small, different JPEGs.
func photos(n int) [][]byte {
	var out [][]byte
	for i := 0; i < n; i++ {
		img := image.NewRGBA(image.Rect(0, 0, 64, 48))
		for x := 0; x < 64; x++ {
			for y := 0; y < 48; y++ {
				img.Set(x, y, color.RGBA{uint8(i * 30), uint8(x * 4), uint8(y * 5), 255})
			}
		}
		var b bytes.Buffer
		jpeg.Encode(&b, img, nil)
		out = append(out, b.Bytes())
	}
	return out
}

// makeDatabase creates a database of the run's own on the server and
// returns a connection to it and a function that drops it.
func makeDatabase(ctx context.Context, serverURL string) (*pgx.Conn, func(), error) {
	admin, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	name := fmt.Sprintf("hoctap_load_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close(ctx)
		return nil, nil, fmt.Errorf("create the load database: %w", err)
	}
	cfg := admin.Config().Copy()
	cfg.Database = name
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		admin.Close(ctx)
		return nil, nil, err
	}
	drop := func() {
		conn.Close(context.Background())
		admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close(context.Background())
	}
	return conn, drop, nil
}

func redisClient(u string) (*redis.Client, error) {
	opt, err := redis.ParseURL(u)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	return redis.NewClient(opt), nil
}

func deleteKeys(ctx context.Context, rdb *redis.Client, prefix string) {
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == 500 {
			rdb.Del(ctx, keys...)
			keys = keys[:0]
		}
	}
	if len(keys) > 0 {
		rdb.Del(ctx, keys...)
	}
}

// redisPerConversation is the mean memory of a conversation's keys.
func redisPerConversation(ctx context.Context, rdb *redis.Client, prefix string) (int, float64) {
	iter := rdb.Scan(ctx, 0, prefix+"{*}:st", 1000).Iterator()
	n, total := 0, int64(0)
	for iter.Next(ctx) {
		if size, err := rdb.MemoryUsage(ctx, iter.Val()).Result(); err == nil {
			n++
			total += size
		}
	}
	if n == 0 {
		return 0, 0
	}
	return n, float64(total) / float64(n)
}

// replica is one `hoctap serve` child process.
type replica struct {
	cmd     *exec.Cmd
	metrics string // base URL of its /metrics
	stderr  *bytes.Buffer
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startReplicas starts the replicas and, in webhook mode, a round-robin
// balancer in front of them; it waits until each is ready.
func (r *run) startReplicas(ctx context.Context, db *pgx.Conn, prefix, evidence string) ([]*replica, error) {
	cfg := db.Config()
	dbURL := (&url.URL{Scheme: "postgres", User: url.UserPassword(cfg.User, cfg.Password),
		Host: net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), Path: "/" + cfg.Database, RawQuery: "sslmode=disable"}).String()
	if cfg.Password == "" {
		dbURL = strings.Replace(dbURL, cfg.User+":@", cfg.User+"@", 1)
	}
	r.dbURL = dbURL
	rate := r.opt.SendRate
	if rate <= 0 {
		rate = 25
	}
	var reps []*replica
	var targets []*url.URL
	var hook string
	if r.opt.Mode == "webhook" {
		lbAddr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		hook = "http://" + lbAddr + "/hook"
		defer func() { go balance(lbAddr, targets) }()
	}
	for i := 0; i < r.opt.Replicas; i++ {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		env := append(os.Environ(),
			"TELEGRAM_BOT_TOKEN="+token, "TELEGRAM_API_URL="+r.api.URL(), "DATABASE_URL="+dbURL,
			"REDIS_URL="+r.opt.RedisURL, "REDIS_PREFIX="+prefix, "EVIDENCE_DIR="+evidence, "LOG_FORMAT=json",
			"SEND_RATE="+strconv.FormatFloat(rate, 'f', -1, 64))
		if r.opt.Mode == "webhook" {
			env = append(env, "WEBHOOK_URL="+hook, "WEBHOOK_SECRET=load-secret", "LISTEN_ADDR="+addr)
			targets = append(targets, &url.URL{Scheme: "http", Host: addr})
		} else {
			env = append(env, "METRICS_ADDR="+addr)
		}
		cmd := exec.CommandContext(ctx, r.opt.Binary, "serve")
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &lockedWriter{w: &stderr}
		if err := cmd.Start(); err != nil {
			stopReplicas(reps)
			return nil, fmt.Errorf("start a replica: %w", err)
		}
		rep := &replica{cmd: cmd, metrics: "http://" + addr, stderr: &stderr}
		reps = append(reps, rep)
		if err := waitReady(ctx, rep); err != nil {
			stopReplicas(reps)
			return nil, err
		}
	}
	return reps, nil
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// balance is a round-robin reverse proxy: one chat's updates may land on
// any replica, as behind a real load balancer.
func balance(addr string, targets []*url.URL) {
	var next atomic.Uint64
	proxies := make([]*httputil.ReverseProxy, len(targets))
	for i, t := range targets {
		proxies[i] = httputil.NewSingleHostReverseProxy(t)
	}
	http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		proxies[next.Add(1)%uint64(len(proxies))].ServeHTTP(w, req)
	}))
}

func waitReady(ctx context.Context, rep *replica) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(rep.metrics + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if rep.cmd.ProcessState != nil {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("a replica did not get ready:\n%s", rep.stderr.String())
}

func stopReplicas(reps []*replica) {
	for _, rep := range reps {
		rep.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, rep := range reps {
		rep.cmd.Wait()
	}
}

// scrapeAll sums the metrics of every replica by name.
func scrapeAll(reps []*replica) map[string]float64 {
	sum := map[string]float64{}
	for _, rep := range reps {
		for k, v := range scrape(rep.metrics + "/metrics") {
			sum[k] += v
		}
	}
	return sum
}

// scrape reads a Prometheus text page into name → value, labels summed.
func scrape(u string) map[string]float64 {
	out := map[string]float64{}
	resp, err := http.Get(u)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		line := lines.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		name := line[:sp]
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err == nil {
			out[name] += v
		}
	}
	return out
}

// profile writes a CPU profile of a replica, taken over d.
func profile(rep *replica, d time.Duration, path string, log *slog.Logger) {
	time.Sleep(d / 4)
	resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", rep.metrics, max(1, int(d.Seconds()/2))))
	if err != nil {
		log.Warn("no profile", "error", err)
		return
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		log.Warn("no profile", "error", err)
		return
	}
	defer f.Close()
	io.Copy(f, resp.Body)
}

// heapWatch follows the replicas' heap in use, summed.
type heapWatch struct{ first, last, max float64 }

func (h *heapWatch) sample(reps []*replica) {
	v := scrapeAll(reps)["go_memstats_heap_inuse_bytes"]
	if h.first == 0 {
		h.first = v
	}
	h.last = v
	h.max = max(h.max, v)
}
