package deliver_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"hoctap/area"
	"hoctap/bot"
	"hoctap/bot/telegramtest"
	"hoctap/deliver"
	"hoctap/flows"
	"hoctap/flows/app"
	"hoctap/metric"
	"hoctap/runner"
	"hoctap/scoring"
	"hoctap/session"
	"hoctap/session/sessiontest"
	"hoctap/store"
	"hoctap/store/storetest"
)

const token = "424242:DELIVER-token-never-in-logs"

// bundle is one installation: PostgreSQL, Redis and the fake Bot API,
// with as many replicas as a test starts.
type bundle struct {
	t      *testing.T
	ctx    context.Context
	db     *store.DB
	states *session.Store
	api    *telegramtest.Server
	sets   *scoring.Catalog
	logs   *strings.Builder
	logMu  sync.Mutex
}

func newBundle(t *testing.T, opts ...telegramtest.Option) *bundle {
	t.Helper()
	sets, err := scoring.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	states, _, _ := sessiontest.New(t)
	b := &bundle{t: t, ctx: context.Background(), db: storetest.New(t), states: states, api: telegramtest.New(token, opts...),
		sets: sets, logs: &strings.Builder{}}
	t.Cleanup(b.api.Close)
	t.Cleanup(func() {
		b.logMu.Lock()
		defer b.logMu.Unlock()
		if strings.Contains(b.logs.String(), token) {
			t.Errorf("the logs show the token:\n%s", b.logs.String())
		}
	})
	return b
}

func (b *bundle) Write(p []byte) (int, error) {
	b.logMu.Lock()
	defer b.logMu.Unlock()
	return b.logs.Write(p)
}

// replica is one hoctap serve: a runner on the fake API and the River
// client working the delivery jobs.
type replica struct {
	run  *runner.Runner
	stop func()
}

// replica starts a replica sending rate unsolicited messages a second,
// its delivery configured further by set, stopped when the test ends
// unless the test stops it first.
func (b *bundle) replica(rate float64, set ...func(*deliver.Config)) *replica {
	b.t.Helper()
	log := slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelInfo}))
	m := metric.New()
	client, err := bot.NewClient(token, b.api.URL(), 64, m)
	if err != nil {
		b.t.Fatal(err)
	}
	engine := app.New(app.Config{Store: b.db, Sets: b.sets, Files: client})
	run := runner.New(runner.Config{Engine: engine, Sessions: b.states, Sender: bot.NewSender(client), Pacer: b.states, Rate: rate,
		Metrics: m, Log: log, Blocked: func(ctx context.Context, channel string, user int64) {
			if err := b.db.SetInactiveByChannel(ctx, channel, user, true); err != nil {
				b.t.Errorf("mark inactive: %v", err)
			}
		}})
	cfg := deliver.Config{DB: b.db, Runner: run, Rate: rate, Poll: 50 * time.Millisecond, Log: log}
	for _, f := range set {
		f(&cfg)
	}
	jobs, err := deliver.New(cfg)
	if err != nil {
		b.t.Fatal(err)
	}
	if err := jobs.Start(b.ctx); err != nil {
		b.t.Fatal(err)
	}
	var once sync.Once
	r := &replica{run: run, stop: func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := jobs.Stop(ctx); err != nil {
				b.t.Errorf("stop the jobs: %v", err)
			}
			run.Stop(ctx)
		})
	}}
	b.t.Cleanup(r.stop)
	return r
}

// people makes n people who agreed to use the bot and wrote to it, and
// returns them.
func (b *bundle) people(n int) []telegramtest.User {
	b.t.Helper()
	users := make([]telegramtest.User, n)
	for i := range users {
		users[i] = telegramtest.User{ID: int64(500000 + i), FirstName: "Lê Thị Hoa", LanguageCode: "vi"}
		b.api.SendCommand(users[i], "/start") // the chat exists once they wrote
	}
	if _, err := b.db.Pool().Exec(b.ctx, `INSERT INTO people (channel, channel_user, lang, consent_at)
		SELECT 'telegram', 500000 + g, CASE WHEN g % 2 = 0 THEN 'vi' ELSE 'en' END, now() FROM generate_series(0, $1 - 1) g`, n); err != nil {
		b.t.Fatal(err)
	}
	return users
}

// broadcast queues a broadcast to everyone and returns its id.
func (b *bundle) broadcast(vi, en string) int64 {
	b.t.Helper()
	id, _, err := b.db.QueueBroadcast(b.ctx, flows.NewBroadcast{Audience: flows.Audience{Everyone: true}, TextVI: vi, TextEN: en}, time.Now())
	if err != nil {
		b.t.Fatal(err)
	}
	return id
}

// finished waits until nobody waits for a broadcast any more; it fails the
// test after within.
func (b *bundle) finished(id int64, within time.Duration) flows.BroadcastStatus {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for {
		s, err := b.db.BroadcastStatusOf(b.ctx, id, 0)
		if err != nil {
			b.t.Fatal(err)
		}
		if s.Pending == 0 {
			return s
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("after %v the broadcast is %+v", within, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// settled waits while what was in flight when a broadcast was paused or
// cancelled goes (at most a second of the rate), then checks that nothing
// more goes for two seconds, and returns the status then.
func (b *bundle) settled(id int64, how string) flows.BroadcastStatus {
	b.t.Helper()
	time.Sleep(3 * time.Second)
	then, _ := b.db.BroadcastStatusOf(b.ctx, id, 0)
	time.Sleep(2 * time.Second)
	if again, _ := b.db.BroadcastStatusOf(b.ctx, id, 0); again.Sent != then.Sent || again.Pending == 0 {
		b.t.Fatalf("sent when %s: %+v then %+v", how, then, again)
	}
	return then
}

// shown counts, per chat, the bot's messages that show text.
func (b *bundle) shown(users []telegramtest.User, text string) map[int64]int {
	out := map[int64]int{}
	for _, u := range users {
		for _, m := range b.api.Messages(u.ID) {
			if strings.Contains(m.Text, text) {
				out[u.ID]++
			}
		}
	}
	return out
}

// TestBroadcastByTwoReplicasOnceEach: 2,000 people, two replicas working
// the same broadcast at once under Telegram's limits (raised to stay
// short, the replicas' shared rate under the fake's): each person gets it
// once, in their language, and Telegram never answers 429.
func TestBroadcastByTwoReplicasOnceEach(t *testing.T) {
	t.Parallel()
	b := newBundle(t, telegramtest.WithGlobalRate(400))
	users := b.people(2000)
	b.replica(300)
	b.replica(300)
	id := b.broadcast("Mùa đánh giá năm 2026 đã mở.", "The 2026 assessment season is open.")
	s := b.finished(id, 60*time.Second)
	if s.Recipients != 2000 || s.Sent != 2000 || s.Failed != 0 || s.State != flows.BroadcastDone {
		t.Errorf("the broadcast ended %+v", s)
	}
	vi, en := b.shown(users, "Mùa đánh giá năm 2026 đã mở."), b.shown(users, "The 2026 assessment season is open.")
	for i, u := range users {
		got, other := vi[u.ID], en[u.ID]
		if i%2 == 1 {
			got, other = other, got
		}
		if got != 1 || other != 0 {
			t.Errorf("person %d was shown it %d times in their language, %d in the other", i, got, other)
		}
	}
	if n := b.api.Throttled(); n != 0 {
		t.Errorf("Telegram answered 429 %d times", n)
	}
}

// TestBlockedMarkedInactive: people who blocked the bot count as failed
// for the broadcast and are marked inactive; the next broadcast leaves
// them out.
func TestBlockedMarkedInactive(t *testing.T) {
	t.Parallel()
	b := newBundle(t, telegramtest.WithLimits())
	users := b.people(5)
	b.api.Block(users[1])
	b.api.Block(users[3])
	b.replica(25)
	s := b.finished(b.broadcast("Xin chào", "Hello"), 20*time.Second)
	if s.Sent != 3 || s.Failed != 2 {
		t.Errorf("the broadcast ended %+v, want 3 sent and 2 failed", s)
	}
	var inactive []int64
	rows, err := b.db.Pool().Query(b.ctx, `SELECT channel_user FROM people WHERE inactive ORDER BY channel_user`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var u int64
		if err := rows.Scan(&u); err != nil {
			t.Fatal(err)
		}
		inactive = append(inactive, u)
	}
	if len(inactive) != 2 || inactive[0] != users[1].ID || inactive[1] != users[3].ID {
		t.Errorf("inactive %v, want the two who blocked the bot", inactive)
	}
	if n, err := b.db.Recipients(b.ctx, flows.Audience{Everyone: true}); err != nil || n != 3 {
		t.Errorf("the next broadcast reaches %d %v, want 3", n, err)
	}
}

// TestReplyAheadOfBroadcast: while a broadcast to 40 people goes out at 5
// a second, a person of it presses /help: the answer goes out before the
// broadcast messages queued before it, theirs included.
func TestReplyAheadOfBroadcast(t *testing.T) {
	t.Parallel()
	b := newBundle(t, telegramtest.WithLimits())
	users := b.people(40)
	r := b.replica(5)
	id := b.broadcast("Thông báo dài", "A long announcement")
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if err := b.api.Wait(ctx, func(s *telegramtest.Server) bool { return len(b.shown(users, "A long announcement")) > 0 }); err != nil {
		t.Fatal("no broadcast message went in 10 s")
	}
	asker := users[39] // the broadcast goes in no set order: pick one by who has it not yet
	for _, u := range users {
		if len(b.shown([]telegramtest.User{u}, "announcement")) == 0 && len(b.shown([]telegramtest.User{u}, "Thông báo dài")) == 0 {
			asker = u
			break
		}
	}
	b.api.SendCommand(asker, "/help") // as the bot would take it
	done := make(chan error, 1)
	r.run.Submit(runner.Input{Input: flows.Input{Kind: flows.InputCommand, Conv: flows.Conv{Channel: "telegram", ID: asker.ID},
		User: asker.ID, Command: "help", Key: "help-1", Lang: "vi"}, Taken: time.Now()}, func(err error) { done <- err })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := b.api.WaitMessage(ctx, asker.ID, func(telegramtest.Message) bool { return true }); err != nil {
		t.Fatal("no answer to /help in 10 s")
	}
	before := len(b.shown(users, "Thông báo dài")) + len(b.shown(users, "A long announcement"))
	msgs := b.api.Messages(asker.ID)
	if strings.Contains(msgs[0].Text, "announcement") || strings.Contains(msgs[0].Text, "Thông báo dài") {
		t.Fatalf("the person was shown the broadcast before the answer to /help: %+v", msgs)
	}
	if before > 20 {
		t.Errorf("%d of the 40 broadcast messages queued before the reply went before it", before)
	}
	s := b.finished(id, 30*time.Second)
	if s.Sent != 40 {
		t.Errorf("the broadcast ended %+v", s)
	}
	if msgs := b.api.Messages(asker.ID); len(msgs) != 2 {
		t.Errorf("the person was shown %d messages, want the answer and the broadcast", len(msgs))
	}
	t.Logf("%d of 40 broadcast messages went before the reply", before)
}

// TestBroadcastPausedResumedCancelled: a paused broadcast sends nothing
// more once what was in flight went; resumed, it sends to those still
// pending — at once after the pause too, while jobs of before still wait
// to send — and nobody gets it twice; cancelled, it stops for good.
func TestBroadcastPausedResumedCancelled(t *testing.T) {
	t.Parallel()
	b := newBundle(t, telegramtest.WithLimits())
	users := b.people(30)
	b.replica(4)
	started := func(id int64, n int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		defer cancel()
		if err := b.api.Wait(ctx, func(*telegramtest.Server) bool {
			s, _ := b.db.BroadcastStatusOf(b.ctx, id, 0)
			return s.Sent >= n
		}); err != nil {
			t.Fatalf("%d of broadcast %d did not go in 10 s", n, id)
		}
	}
	set := func(id int64, state string) flows.BroadcastStatus {
		t.Helper()
		s, err := b.db.SetBroadcast(b.ctx, id, 0, state, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// Paused and resumed at once, twice.
	quick := b.broadcast("Tạm dừng rồi tiếp", "Paused and resumed")
	started(quick, 3)
	for range 2 {
		set(quick, flows.BroadcastPaused)
		set(quick, flows.BroadcastSending)
	}
	if s := b.finished(quick, 30*time.Second); s.Sent != 30 {
		t.Errorf("the broadcast paused and resumed ended %+v", s)
	}
	for _, text := range []string{"Paused and resumed", "Tạm dừng rồi tiếp"} {
		for u, n := range b.shown(users, text) {
			if n > 1 {
				t.Errorf("person %d was shown it %d times", u, n)
			}
		}
	}
	// Paused, it holds; cancelled, it stays so.
	id := b.broadcast("Tạm dừng", "Paused")
	started(id, 3)
	if s := set(id, flows.BroadcastPaused); s.State != flows.BroadcastPaused {
		t.Fatalf("paused: %+v", s)
	}
	paused := b.settled(id, "paused")
	set(id, flows.BroadcastSending)
	started(id, paused.Sent+2)
	if s := set(id, flows.BroadcastCancelled); s.State != flows.BroadcastCancelled {
		t.Fatalf("cancelled: %+v", s)
	}
	if s := set(id, flows.BroadcastSending); s.State != flows.BroadcastCancelled {
		t.Errorf("resumed after the cancel: %+v", s)
	}
	b.settled(id, "cancelled")
}

// unfinished gives each of the people (made by people, in order) a
// Learning Family questionnaire they started and left two days ago.
func (b *bundle) unfinished(n int) {
	b.t.Helper()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO subjects (kind, name, area_code, created_by)
			SELECT 'family', 'Nhà số ' || p.id, $1, p.id FROM people p WHERE p.channel_user >= 500000 ORDER BY p.id LIMIT $2`, []any{area.SampleCommune + ".01", n}},
		{`INSERT INTO representatives (subject_id, person_id) SELECT id, created_by FROM subjects WHERE name LIKE 'Nhà số %'`, nil},
		{`INSERT INTO assessments (subject_id, person_id, set_id, set_version, year, region, cursor, start_key, updated_at)
			SELECT id, created_by, 'family-2015', 2, 2026, 'normal', '1.1', 'k' || id, now() - interval '2 days'
			FROM subjects WHERE name LIKE 'Nhà số %'`, nil},
	} {
		if _, err := b.db.Pool().Exec(b.ctx, q.sql, q.args...); err != nil {
			b.t.Fatal(err)
		}
	}
}

// reminded waits until no reminder waits to be sent; it fails the test
// after within.
func (b *bundle) reminded(want int, within time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for {
		var sent, waiting int
		if err := b.db.Pool().QueryRow(b.ctx, `SELECT count(*) FILTER (WHERE sent_at IS NOT NULL), count(*) FILTER (WHERE sent_at IS NULL AND NOT skipped)
			FROM reminders`).Scan(&sent, &waiting); err != nil {
			b.t.Fatal(err)
		}
		if waiting == 0 && sent >= want {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("after %v %d reminders sent and %d waiting, want %d sent", within, sent, waiting, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRemindersByTwoReplicasOnceEach: 2,000 people who left a
// questionnaire two days ago; two replicas plan and deliver at once, as
// does a planner run by hand: each person is reminded once, with the
// button that goes on, and Telegram never answers 429.
func TestRemindersByTwoReplicasOnceEach(t *testing.T) {
	t.Parallel()
	b := newBundle(t, telegramtest.WithGlobalRate(400))
	users := b.people(2000)
	b.unfinished(2000)
	b.replica(300)
	b.replica(300)
	if _, err := b.db.PlanReminders(b.ctx, time.Now(), []int{1, 3, 7}); err != nil {
		t.Fatal(err)
	}
	b.reminded(2000, 60*time.Second)
	reminded := b.shown(users, "⏰")
	for i, u := range users {
		if n := reminded[u.ID]; n != 1 {
			t.Errorf("person %d was reminded %d times", i, n)
		}
	}
	msgs := b.api.Messages(users[1].ID) // in English
	if last := msgs[len(msgs)-1]; !strings.Contains(last.Text, "have answered 0 of 12 questions") || len(last.Keyboard) != 1 || last.Keyboard[0][0].Text != "▶ Go on" {
		t.Errorf("the reminder %q %+v", last.Text, last.Keyboard)
	}
	if n, err := b.db.PlanReminders(b.ctx, time.Now(), []int{1, 3, 7}); err != nil || n != 0 {
		t.Errorf("planned again: %d %v", n, err)
	}
	if n := b.api.Throttled(); n != 0 {
		t.Errorf("Telegram answered 429 %d times", n)
	}
}

// TestQuietHoursHoldReminders: at 22:00 in Vietnam a reminder waits for
// 07:00, while a broadcast goes at once.
func TestQuietHoursHoldReminders(t *testing.T) {
	t.Parallel()
	b := newBundle(t, telegramtest.WithLimits())
	users := b.people(3)
	b.unfinished(3)
	night := time.Date(2026, 12, 6, 22, 0, 0, 0, store.Vietnam)
	b.replica(25, func(c *deliver.Config) { c.Quiet, c.Now = deliver.DefaultQuiet, func() time.Time { return night } })
	if n, err := b.db.PlanReminders(b.ctx, time.Now(), []int{1, 3, 7}); err != nil || n != 3 {
		t.Fatalf("planned %d %v", n, err)
	}
	s := b.finished(b.broadcast("Thông báo đêm", "A night announcement"), 20*time.Second)
	if s.Sent != 3 {
		t.Errorf("the broadcast ended %+v", s)
	}
	// The jobs snoozed until morning: 9 hours after the clock's 22:00.
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	for {
		var snoozed int
		if err := b.db.Pool().QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'reminder' AND state = 'scheduled'
			AND scheduled_at > now() + interval '8 hours 59 minutes' AND scheduled_at < now() + interval '9 hours 1 minute'`).Scan(&snoozed); err != nil {
			t.Fatal(err)
		}
		if snoozed == 3 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("%d reminders held until morning after 10 s, want 3", snoozed)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := b.shown(users, "⏰"); len(got) != 0 {
		t.Errorf("reminded in quiet hours: %v", got)
	}
}

// TestThrottledChatWaitsAlone: Telegram answers 429 retry_after 2 for one
// person's chat: their broadcast message comes after the pause, once; the
// others' are not held.
func TestThrottledChatWaitsAlone(t *testing.T) {
	t.Parallel()
	b := newBundle(t, telegramtest.WithLimits())
	users := b.people(6)
	var mu sync.Mutex
	throttled := 0
	b.api.SetFault(func(method string, chat int64) *telegramtest.Fault {
		mu.Lock()
		defer mu.Unlock()
		if method == "sendMessage" && chat == users[2].ID && throttled == 0 {
			throttled++
			f := telegramtest.TooManyRequests(2)
			return &f
		}
		return nil
	})
	b.replica(25)
	start := time.Now()
	id := b.broadcast("Chờ một chút", "Wait a moment")
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	var others time.Duration
	if err := b.api.Wait(ctx, func(*telegramtest.Server) bool {
		n := 0
		for _, u := range users {
			if u != users[2] && len(b.shown([]telegramtest.User{u}, "Wait a moment"))+len(b.shown([]telegramtest.User{u}, "Chờ một chút")) > 0 {
				n++
			}
		}
		others = time.Since(start)
		return n == 5
	}); err != nil {
		t.Fatal("the others' messages did not go in 10 s")
	}
	s := b.finished(id, 20*time.Second)
	if s.Sent != 6 {
		t.Errorf("the broadcast ended %+v", s)
	}
	if got := b.shown(users[2:3], "Chờ một chút"); got[users[2].ID] != 1 {
		t.Errorf("the throttled person was shown it %d times", got[users[2].ID])
	}
	if waited := time.Since(start); waited < 2*time.Second {
		t.Errorf("the throttled chat's message went %v after the broadcast, before its 2 s pause", waited)
	}
	t.Logf("the others had theirs within %v", others)
}
