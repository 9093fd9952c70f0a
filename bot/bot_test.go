package bot_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"hoctap/blob"
	"hoctap/bot"
	"hoctap/bot/telegramtest"
	"hoctap/deliver"
	"hoctap/flows/app"
	"hoctap/flows/assess"
	"hoctap/metric"
	"hoctap/runner"
	"hoctap/scoring"
	"hoctap/session"
	"hoctap/session/sessiontest"
	"hoctap/store"
	"hoctap/store/storetest"
)

const token = "123456:TEST-token-never-in-logs"

// syncBuffer is a log sink safe for the bot's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// setup is what a test changes of the bot it runs.
type setup struct {
	webhook string          // the webhook's URL; empty to poll
	metrics *metric.Metrics // the replicas'; a fresh one when nil
	turn    time.Duration   // the runner's turn timeout; 30 s when 0
	stop    time.Duration   // the stop timeout; 10 s when 0
	apiURL  string          // where the bot finds the Bot API; the fake's URL when empty
	jobs    bool            // run the delivery jobs (package deliver) beside each replica, as serve does
}

// system is the bot wired to real PostgreSQL and Redis and to the fake API.
type system struct {
	t      *testing.T
	api    *telegramtest.Server
	db     *store.DB
	states *session.Store
	prefix string
	blobs  *blob.Dir
	sets   *scoring.Catalog
	logs   *syncBuffer
	cfg    setup
	// wrapStore, when set, wraps the database the conversation uses, so a
	// test can act at a chosen moment of a step.
	wrapStore func(app.Store) app.Store

	bot  *bot.Bot
	run  *runner.Runner // the last replica's
	jobs []*river.Client[pgx.Tx]
	stop context.CancelFunc
	done chan struct{}
}

func newSystem(t *testing.T, cfg setup, opts ...telegramtest.Option) *system {
	t.Helper()
	sets, err := scoring.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	states, _, prefix := sessiontest.New(t)
	blobs, err := blob.NewDir(t.TempDir(), assess.MaxPhotoSize)
	if err != nil {
		t.Fatal(err)
	}
	s := &system{t: t, api: telegramtest.New(token, opts...), db: storetest.New(t), states: states, prefix: prefix,
		blobs: blobs, sets: sets, logs: &syncBuffer{}, cfg: cfg}
	t.Cleanup(s.api.Close)
	t.Cleanup(func() {
		s.stopBot()
		for _, secret := range []string{token, "<Nguyễn & Con>", "Nguyễn & Con"} {
			if strings.Contains(s.logs.String(), secret) {
				t.Errorf("the logs contain %q:\n%s", secret, s.logs.String())
			}
		}
	})
	return s
}

// replica makes a bot replica on the system's database and Redis, set up
// with the fake (commands, and the webhook in webhook mode), as serve
// wires it.
func (s *system) replica() *bot.Bot {
	s.t.Helper()
	log := slog.New(slog.NewJSONHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := s.cfg.metrics
	if m == nil {
		m = metric.New()
	}
	apiURL := s.cfg.apiURL
	if apiURL == "" {
		apiURL = s.api.URL()
	}
	client, err := bot.NewClient(token, apiURL, 64, m)
	if err != nil {
		s.t.Fatal(err)
	}
	var st app.Store = s.db
	if s.wrapStore != nil {
		st = s.wrapStore(st)
	}
	engine := app.New(app.Config{Store: st, Sets: s.sets, Files: client, Blobs: s.blobs})
	run := runner.New(runner.Config{Engine: engine, Sessions: s.states, Sender: bot.NewSender(client), Pacer: s.states,
		Quiet: 200 * time.Millisecond, Turn: s.cfg.turn, Metrics: m, Log: log,
		Blocked: func(ctx context.Context, channel string, user int64) {
			s.db.SetInactiveByChannel(ctx, channel, user, true)
		}})
	s.run = run
	if s.cfg.jobs {
		jobs, err := deliver.New(deliver.Config{DB: s.db, Runner: run, Poll: 50 * time.Millisecond, Log: log})
		if err != nil {
			s.t.Fatal(err)
		}
		if err := jobs.Start(context.Background()); err != nil {
			s.t.Fatal(err)
		}
		s.jobs = append(s.jobs, jobs)
	}
	b := bot.New(bot.Config{WebhookURL: s.cfg.webhook, WebhookSecret: "s3cret", Connections: 64, PollTimeout: time.Second,
		StopTimeout: s.cfg.stop, Log: log}, client, run)
	if err := b.Setup(context.Background()); err != nil {
		s.t.Fatal(err)
	}
	return b
}

// startBot starts a bot replica; in polling mode it polls.
func (s *system) startBot() {
	s.t.Helper()
	b := s.replica()
	ctx, cancel := context.WithCancel(context.Background())
	s.bot, s.stop, s.done = b, cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		if s.cfg.webhook == "" {
			b.Poll(ctx)
		} else {
			<-ctx.Done()
			b.Stop()
		}
	}()
}

func (s *system) stopBot() {
	if s.stop != nil {
		s.stop()
		<-s.done
		s.stop = nil
	}
	for _, jobs := range s.jobs {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := jobs.Stop(ctx); err != nil {
			s.t.Errorf("stop the jobs: %v", err)
		}
		cancel()
	}
	s.jobs = nil
}

// delivered waits until every notice due by at has been delivered by the
// jobs, making the jobs due by then due now, and returns how many were; it
// fails the test after 20 s.
func (s *system) delivered(at time.Time) int {
	s.t.Helper()
	ctx := context.Background()
	var before int
	if err := s.db.Pool().QueryRow(ctx, `SELECT count(*) FROM notices WHERE sent_at IS NOT NULL`).Scan(&before); err != nil {
		s.t.Fatal(err)
	}
	// Made available at once, as River's scheduler would make them when
	// they fall due (it looks every few seconds).
	if _, err := s.db.Pool().Exec(ctx, `UPDATE river_job SET scheduled_at = now(), state = 'available'
		WHERE state = 'scheduled' AND scheduled_at <= $1`, at); err != nil {
		s.t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var waiting, sent int
		if err := s.db.Pool().QueryRow(ctx, `SELECT count(*) FILTER (WHERE sent_at IS NULL AND due_at <= $1), count(*) FILTER (WHERE sent_at IS NOT NULL)
			FROM notices`, at).Scan(&waiting, &sent); err != nil {
			s.t.Fatal(err)
		}
		if waiting == 0 {
			return sent - before
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%d notices due are not delivered after 20 s", waiting)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// person is one simulated person.
type person struct {
	s       *system
	u       telegramtest.User
	presses int // buttons pressed
	// confirm is the last ✅ Nộp button pressed, to press it again.
	confirm struct {
		id   int
		data string
	}
}

func (s *system) person(id int64, lang string) *person {
	return &person{s: s, u: telegramtest.User{ID: id, FirstName: "Nguyễn & Con", LanguageCode: lang}}
}

// wait waits until the chat's newest message shows text.
func (p *person) wait(text string) telegramtest.Message {
	p.s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var m telegramtest.Message
	err := p.s.api.Wait(ctx, func(s *telegramtest.Server) bool {
		msgs := s.Messages(p.u.ID)
		if len(msgs) == 0 {
			return false
		}
		m = msgs[len(msgs)-1]
		return strings.Contains(m.Text, text)
	})
	if err != nil {
		var all []string
		for _, m := range p.s.api.Messages(p.u.ID) {
			all = append(all, fmt.Sprintf("#%d (%d edits) %s", m.ID, m.Edits, m.Text))
		}
		for _, c := range p.s.api.Calls() {
			all = append(all, fmt.Sprintf("%s %v %d %s", c.Method, c.Params["message_id"], c.Status, c.Description))
		}
		p.s.t.Fatalf("no message shows %q; the chat has:\n%s", text, strings.Join(all, "\n---\n"))
	}
	return m
}

func (p *person) say(text string) { p.s.api.SendText(p.u, text) }

// press presses the button with the label on the newest message that has it.
func (p *person) press(label string) {
	p.s.t.Helper()
	if !p.pressWhere(func(l string) bool { return l == label }) {
		p.s.t.Fatalf("no button %q in the chat", label)
	}
}

// pressPrefix presses the button whose label starts with prefix on the
// newest message that has one.
func (p *person) pressPrefix(prefix string) {
	p.s.t.Helper()
	if !p.pressWhere(func(l string) bool { return strings.HasPrefix(l, prefix) }) {
		p.s.t.Fatalf("no button starting %q in the chat", prefix)
	}
}

// pressWhere presses the first button whose label it likes on the newest
// message that has one.
func (p *person) pressWhere(likes func(label string) bool) bool {
	msgs := p.s.api.Messages(p.u.ID)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Keyboard {
			for _, b := range row {
				if likes(b.Text) {
					p.s.api.Press(p.u, msgs[i].ID, b.CallbackData)
					p.presses++
					return true
				}
			}
		}
	}
	return false
}

// step presses a button and waits for what it brings.
func (p *person) step(label, then string) {
	p.s.t.Helper()
	p.press(label)
	p.wait(then)
}

func picture(n int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for x := 0; x < 32; x++ {
		for y := 0; y < 32; y++ {
			img.Set(x, y, color.RGBA{uint8(n * 50), uint8(x * 8), uint8(y * 8), 255})
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, nil)
	return b.Bytes()
}

// toQuestions takes a person through consent and enrolment.
func (p *person) toQuestions() {
	p.s.t.Helper()
	p.s.api.SendCommand(p.u, "/start")
	p.wait("Bạn có đồng ý")
	p.step("✅ Đồng ý", "Bạn muốn tự đánh giá danh hiệu nào?")
	p.step("Gia đình học tập", "Nhập tên hộ gia đình")
	p.say("<Nguyễn & Con>")
	p.wait("<Nguyễn & Con> ở tỉnh, thành phố nào?")
	p.step("Thành phố Hà Nội", "ở xã, phường nào?")
	p.say("soc son") // Hà Nội has 126 communes: typed, accents left out
	p.wait("khớp với “soc son”")
	p.step("Xã Sóc Sơn", "ở thôn, tổ dân phố nào?")
	p.step("Thôn Đông", "Câu 1/12")
}

// finish answers the rest of the family questionnaire from question 2 on
// and submits.
func (p *person) finish() {
	p.s.t.Helper()
	p.step("Không", "Câu 3/12")         // 1.2
	p.step("Có", "Câu 4/12")            // 1.3
	p.step("Có", "Câu 5/12")            // 2.1
	p.step("Không", "Câu 6/12")         // 2.2
	p.step("Chưa · 0 điểm", "Câu 7/12") // 2.3
	p.step("Có", "3.1 Minh chứng")      // 3.1: evidence, an album
	p.s.api.SendAlbum(p.u, [][]byte{picture(2), picture(3), picture(4)})
	p.wait("Đã nhận 3 ảnh")
	p.step("✅ Xong", "Câu 8/12")
	p.step("Đài hoặc ti vi · 3 điểm", "Câu 9/12")              // 3.2
	p.step("Có", "Câu 10/12")                                  // 3.3
	p.step("Có", "Câu 11/12")                                  // 4.1
	p.step("Không", "Câu 12/12")                               // 4.2
	p.step("Đúng — không ai vi phạm", "Xem lại trước khi nộp") // 4.3
	p.submit()
}

// submit presses Submit on the review and confirms.
func (p *person) submit() {
	p.s.t.Helper()
	p.step("📤 Nộp bản tự đánh giá", "Sau khi nộp")
	p.confirm.id, p.confirm.data, _ = p.s.api.Button(p.u.ID, "✅ Nộp")
	p.step("✅ Nộp", "✅ Đã nộp")
}

func (s *system) submitted() []store.Exported {
	var out []store.Exported
	if err := s.db.EachExported(context.Background(), "submitted", func(a store.Exported) error { out = append(out, a); return nil }); err != nil {
		s.t.Fatal(err)
	}
	return out
}

func TestFamilyQuestionnaireWithAlbum(t *testing.T) {
	t.Parallel()
	s := newSystem(t, setup{})
	s.startBot()
	p := s.person(1001, "vi")
	p.toQuestions()
	p.step("Có", "1.1 Minh chứng") // 1.1
	p.s.api.SendPhoto(p.u, picture(1), "")
	p.wait("Đã nhận 1 ảnh")
	p.step("✅ Xong", "Câu 2/12")
	p.finish()

	result := p.wait("✅ Đã nộp")
	if !strings.HasPrefix(result.Text, "✅ Đã nộp") || !strings.Contains(result.Text, "Điểm: 60/100 điểm") {
		t.Errorf("result message: %q", result.Text)
	}
	for _, m := range s.api.Messages(p.u.ID) {
		if m.ID != result.ID && strings.Contains(strings.ToLower(m.Text), "đã nộp") {
			t.Errorf("an earlier message says đã nộp: %q", m.Text)
		}
	}
	got := s.submitted()
	if len(got) != 1 || got[0].SubjectName != "<Nguyễn & Con>" || got[0].Total == nil || *got[0].Total != 60 || got[0].Passed == nil || *got[0].Passed {
		t.Fatalf("submitted %+v", got)
	}
	// The album's confirmation went out once, with all three photos.
	var confirmations []string
	for _, c := range s.api.Calls() {
		if c.Method == "sendMessage" && strings.Contains(c.Params["text"], "3.1</b> Minh chứng") {
			confirmations = append(confirmations, c.Params["text"])
		}
	}
	if len(confirmations) != 1 || !strings.Contains(confirmations[0], "Đã nhận 3 ảnh") {
		t.Errorf("album confirmations: %q", confirmations)
	}
	// Every button press was answered, once.
	if answers := len(s.api.CallbackAnswers(p.u.ID)); answers != p.presses {
		t.Errorf("%d callback answers for %d presses", answers, p.presses)
	}
	// Evidence is in PostgreSQL and on disk, without metadata.
	var photos int
	s.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM evidence`).Scan(&photos)
	if photos != 4 {
		t.Errorf("%d evidence records, want 4", photos)
	}
}

// An album at a photo step followed at once by ✅ Xong: the album's
// confirmation, held for its quiet time, is dropped, and never arrives
// under the next question.
func TestAlbumThenDoneLeavesNoLateConfirmation(t *testing.T) {
	t.Parallel()
	s := newSystem(t, setup{})
	s.startBot()
	p := s.person(1007, "vi")
	p.toQuestions()
	p.step("Có", "1.1 Minh chứng")
	s.api.SendPhoto(p.u, picture(4), "") // one photo: enough for ✅ Xong to be offered
	p.wait("Đã nhận 1 ảnh")
	s.api.SendAlbum(p.u, [][]byte{picture(1), picture(2), picture(3)})
	p.press("✅ Xong")
	p.wait("Câu 2/12")
	time.Sleep(time.Second) // well past the quiet time (200 ms here)
	if last, _ := s.api.LastMessage(p.u.ID); !strings.Contains(last.Text, "Câu 2/12") {
		t.Errorf("the newest message is %q, not question 2", last.Text)
	}
	for _, c := range s.api.Calls() {
		if c.Method == "sendMessage" && strings.Contains(c.Params["text"], "Đã nhận 4 ảnh") {
			t.Errorf("a confirmation of the album went out: %q", c.Params["text"])
		}
	}
	var photos int
	s.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM evidence`).Scan(&photos)
	if photos != 4 {
		t.Errorf("%d photos stored, want 4: the first and the album's 3", photos)
	}
}

func TestStaleDuplicateWrongKindAndDoubleSubmit(t *testing.T) {
	t.Parallel()
	s := newSystem(t, setup{})
	s.startBot()
	p := s.person(1002, "vi")
	p.toQuestions()
	first := p.wait("Câu 1/12")
	p.step("Không", "Câu 2/12")

	// A stale button: 1.1's "Có" on a message sent again by hand.
	_, data, _ := s.api.Button(p.u.ID, "Có")
	upd := s.api.Press(p.u, first.ID, strings.Replace(data, "1.2", "1.1", 1))
	// A duplicate update: delivered again.
	if err := s.api.Redeliver(upd.ID); err != nil {
		t.Fatal(err)
	}
	// Wrong input kinds.
	s.api.SendSticker(p.u)
	s.api.SendLocation(p.u, 21.0, 105.8)
	p.say(strings.Repeat("x", 4096))
	p.wait("Vui lòng chọn một nút bên dưới.")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.api.Wait(ctx, func(s *telegramtest.Server) bool { return len(s.CallbackAnswers(p.u.ID)) >= 2 }); err != nil {
		t.Fatal("the stale press was not answered")
	}
	answers := s.api.CallbackAnswers(p.u.ID)
	if answers[len(answers)-1].Text != "Nút này đã cũ, không còn dùng được." {
		t.Errorf("stale press answered %+v", answers[len(answers)-1])
	}

	p.finish()
	// ✅ Nộp tapped twice: the second tap on the same message, which lost
	// its buttons with the first.
	if _, _, ok := s.api.Button(p.u.ID, "✅ Nộp"); ok {
		t.Error("the submitted review keeps its ✅ Nộp button")
	}
	s.api.Press(p.u, p.confirm.id, p.confirm.data)
	if err := s.api.Wait(ctx, func(s *telegramtest.Server) bool {
		a := s.CallbackAnswers(p.u.ID)
		return a[len(a)-1].Text != ""
	}); err != nil {
		t.Fatal("the second press of Submit was not answered with a notice")
	}
	if n := len(s.submitted()); n != 1 {
		t.Errorf("%d submissions", n)
	}
	results := 0
	for _, m := range s.api.Messages(p.u.ID) {
		if strings.HasPrefix(m.Text, "✅ Đã nộp") {
			results++
		}
	}
	if results != 1 {
		t.Errorf("%d result messages", results)
	}
	var p11 []byte
	s.db.Pool().QueryRow(context.Background(), `SELECT value FROM answers WHERE code = '1.1'`).Scan(&p11)
	if string(p11) != `false` {
		t.Errorf("1.1 is %s after a stale press", p11)
	}
}

func TestRestartAndRedisLossMidway(t *testing.T) {
	t.Parallel()
	s := newSystem(t, setup{})
	s.startBot()
	p := s.person(1003, "vi")
	p.toQuestions()
	p.step("Không", "Câu 2/12") // 1.1

	// The bot restarts.
	s.stopBot()
	s.startBot()
	p.step("Không", "Câu 3/12") // 1.2, on the screen from before the restart

	// Redis loses this bot's keys.
	sessiontest.DeleteAll(context.Background(), sessiontest.Client(t), s.prefix)
	p.say("chào")
	p.wait("Bạn đang làm dở bản tự đánh giá")
	p.step("▶ Tiếp tục", "Câu 3/12")
	p.step("Có", "Câu 4/12")
	p.step("Có", "Câu 5/12")
	p.step("Có", "Minh chứng (không bắt buộc)") // 2.2
	var n int
	s.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM answers`).Scan(&n)
	if n != 5 {
		t.Errorf("%d answers stored, want 5", n)
	}
}

func TestWebhookRefusesWrongSecret(t *testing.T) {
	t.Parallel()
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	defer srv.Close()
	s := newSystem(t, setup{webhook: srv.URL + "/telegram/hook"})
	s.startBot()
	handler = s.bot.WebhookHandler()

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/telegram/hook", strings.NewReader(`{"update_id":1}`))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong secret: HTTP %d, want 401", resp.StatusCode)
	}
	// The fake delivers with the right secret; the conversation works.
	p := s.person(1004, "en")
	s.api.SendCommand(p.u, "/start")
	p.wait("Do you agree")
	for _, d := range s.api.Deliveries() {
		if d.Status != http.StatusOK {
			t.Errorf("delivery %+v", d)
		}
	}
}

func TestNoConsentNoData(t *testing.T) {
	t.Parallel()
	s := newSystem(t, setup{})
	s.startBot()
	p := s.person(1005, "vi")
	s.api.SendCommand(p.u, "/start")
	p.wait("Bạn có đồng ý")
	p.say("Nhà tôi")
	p.s.api.SendPhoto(p.u, picture(1), "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.api.Wait(ctx, func(s *telegramtest.Server) bool { return len(s.Messages(p.u.ID)) == 3 }); err != nil {
		t.Fatalf("the consent was not asked again for a text and a photo: %d messages", len(s.api.Messages(p.u.ID)))
	}
	p.step("Không đồng ý", "không lưu gì về bạn")
	for _, table := range []string{"people", "subjects", "assessments", "answers", "evidence", "audit_log"} {
		var n int
		s.db.Pool().QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n)
		if n != 0 {
			t.Errorf("%d rows in %s without consent", n, table)
		}
	}
}

func TestFaultsAndBlock(t *testing.T) {
	t.Parallel()
	s := newSystem(t, setup{})
	var mu sync.Mutex
	calls := 0
	s.api.SetFault(func(method string, chat int64) *telegramtest.Fault {
		if method != "sendMessage" && method != "editMessageText" {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		calls++
		switch calls % 7 {
		case 1:
			f := telegramtest.TooManyRequests(1)
			return &f
		case 4:
			f := telegramtest.ServerError(502)
			return &f
		}
		return nil
	})
	s.startBot()
	p := s.person(1006, "vi")
	p.toQuestions()
	p.step("Không", "Câu 2/12")

	s.api.SetFault(nil)
	s.api.Block(p.u)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		var inactive bool
		s.db.Pool().QueryRow(ctx, `SELECT inactive FROM people`).Scan(&inactive)
		if inactive {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Error("a person who blocked the bot is not marked inactive")
}

func TestCommandsPerLanguage(t *testing.T) {
	t.Parallel()
	s := newSystem(t, setup{})
	s.startBot()
	en := s.api.Commands(nil, "en")
	vi := s.api.Commands(nil, "")
	if len(en) != 6 || len(vi) != 6 || en[0].Description == vi[0].Description {
		t.Errorf("commands: en %v, default %v", en, vi)
	}
}
