package bot_test

// The resilience suite: simulated people walk the family questionnaire at
// the same time while deliveries are duplicated, replicas share the chats,
// the Bot API fails, Redis or PostgreSQL go away, the bot is stopped, or one
// chat floods the bot. Afterwards PostgreSQL must show that every answer a
// person was told about is stored, that no input took effect twice, and that
// each chat's steps took effect in the order the person made them.
//
// Each case runs short by default; -resilience.full runs it with more people,
// longer outages and a longer flood.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"hoctap/bot/telegramtest"
	"hoctap/flows"
	"hoctap/flows/app"
	"hoctap/internal/tcpproxy"
	"hoctap/metric"
	"hoctap/session"
	"hoctap/session/sessiontest"
	"hoctap/store"
	"hoctap/store/storetest"
)

var full = flag.Bool("resilience.full", false, "run the resilience cases at full length: more people, longer outages, a longer flood")

// scale picks the default or the -resilience.full figure.
func scale[T any](short, long T) T {
	if *full {
		return long
	}
	return short
}

// What people read when a step failed for a passing reason (flows'
// error.later).
const sorryText = "Xin lỗi, hệ thống đang bận"

// ---------------------------------------------------------------------------
// The bot's calls, per chat, as the fake's call hook reports them.

type seenCall struct {
	telegramtest.Call
	at time.Time
}

type chatCalls struct {
	calls    []seenCall
	byMethod map[string]int
	changed  chan struct{} // closed and replaced on every call
}

// hub records every Bot API call by chat, so that a person waits for the
// bot's reply in their own chat without polling the fake.
type hub struct {
	mu    sync.Mutex
	chats map[int64]*chatCalls
}

func newHub() *hub { return &hub{chats: map[int64]*chatCalls{}} }

func (h *hub) chatLocked(id int64) *chatCalls {
	c := h.chats[id]
	if c == nil {
		c = &chatCalls{byMethod: map[string]int{}, changed: make(chan struct{})}
		h.chats[id] = c
	}
	return c
}

// hook is the fake's call hook.
func (h *hub) hook(c telegramtest.Call) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cc := h.chatLocked(c.ChatID)
	cc.calls = append(cc.calls, seenCall{Call: c, at: time.Now()})
	cc.byMethod[c.Method]++
	close(cc.changed)
	cc.changed = make(chan struct{})
}

// since returns the chat's calls from the from-th on.
func (h *hub) since(chat int64, from int) []seenCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	cc := h.chatLocked(chat)
	if from >= len(cc.calls) {
		return nil
	}
	return slices.Clone(cc.calls[from:])
}

func (h *hub) count(chat int64) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.chatLocked(chat).calls)
}

// calls counts the chat's calls of a method.
func (h *hub) calls(chat int64, method string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.chatLocked(chat).byMethod[method]
}

// waitFor waits until cond holds, checking it after every call in the chat;
// false when ctx ended first.
func (h *hub) waitFor(ctx context.Context, chat int64, cond func() bool) bool {
	for {
		n := h.count(chat)
		if cond() {
			return true
		}
		if !h.wait(ctx, chat, n) {
			return cond()
		}
	}
}

// wait waits until the chat has more than n calls; false when ctx ended.
func (h *hub) wait(ctx context.Context, chat int64, n int) bool {
	for {
		h.mu.Lock()
		cc := h.chatLocked(chat)
		have, changed := len(cc.calls), cc.changed
		h.mu.Unlock()
		if have > n {
			return true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return false
		}
	}
}

// ---------------------------------------------------------------------------
// What each person answers: the family questionnaire, without the answers
// that ask for photos, the same for a person whatever happens.

type planned struct {
	code  string
	value string // the button token's value: y, n, na or an option
}

// jsonValue is the answer as PostgreSQL stores it.
func (p planned) jsonValue() string {
	switch p.value {
	case "y":
		return "true"
	case "n":
		return "false"
	}
	return strconv.Quote(p.value)
}

// evidence reports whether the answer leads to the question's photo step.
func (p planned) evidence() bool { return p.code == "2.2" && p.value == "y" }

var familyChoices = []struct {
	code   string
	values []string
}{
	{"1.1", []string{"n"}}, // "na" would skip 1.2 and 1.3
	{"1.2", []string{"n"}},
	{"1.3", []string{"y", "n"}},
	{"2.1", []string{"y", "n", "na"}},
	{"2.2", []string{"y", "n"}}, // yes: the optional photo step, skipped
	{"2.3", []string{"clear", "some", "not_yet"}},
	{"3.1", []string{"n"}},
	{"3.2", []string{"internet", "radio_tv", "none"}},
	{"3.3", []string{"y", "n"}},
	{"4.1", []string{"y", "n"}},
	{"4.2", []string{"n"}},
	{"4.3", []string{"y", "n"}},
}

func planFor(id int64) []planned {
	plan := make([]planned, len(familyChoices))
	for i, c := range familyChoices {
		plan[i] = planned{code: c.code, value: c.values[int(id*7+int64(i)*3)%len(c.values)]}
	}
	return plan
}

func planIndex(code string) int {
	return slices.IndexFunc(familyChoices, func(c struct {
		code   string
		values []string
	}) bool {
		return c.code == code
	})
}

// ---------------------------------------------------------------------------
// A simulated person who walks the questionnaire whatever happens: they look
// at the newest screen, act on it, wait for the bot's reply, and try again
// when told to, or when nothing came.

type walkOptions struct {
	burst   int           // answers pressed at once, without waiting for each screen
	dup     int           // percent of updates delivered twice at once
	lateDup int           // percent of steps after which an earlier update is delivered again
	wait    time.Duration // how long to wait for a reply before acting again
}

type walker struct {
	s    *system
	h    *hub
	c    *crowd
	u    telegramtest.User
	name string
	plan []planned
	opt  walkOptions
	rng  *rand.Rand // used by the walker's goroutine only

	resume atomic.Bool // say something next, to be offered to resume

	mu        sync.Mutex
	keys      map[string]bool // every update key this person made
	sent      []int64         // their update ids, in order
	acked     int             // answers the bot confirmed by moving on (plan[:acked])
	started   bool            // saw the first question
	done      bool            // saw the result of the submission
	lastText  string          // the last screen shown
	sorries   int             // "please try again" seen
	silences  int             // steps that got no reply in time
	resumes   []int           // the answered count of every resume offer
	measuring bool
	latency   []time.Duration // action → first Bot API call for the chat, while measuring
}

type outcome struct{ screens, sorries, notices int }

var (
	progressRe = regexp.MustCompile(`Câu (\d+)/\d+`)
	evidenceRe = regexp.MustCompile(`<b>([0-9.]+)</b> Minh chứng`)
	resumeRe   = regexp.MustCompile(`đã trả lời (\d+)/\d+ câu`)
	// a subject opened again after its submission's reply was lost
	submittedRe = regexp.MustCompile(`nộp bản tự đánh giá năm \d+ rồi`)
)

// note reads what a screen the person saw confirms.
func (w *walker) note(text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lastText = text
	n := -1
	switch {
	case strings.Contains(text, "✅ Đã nộp"), submittedRe.MatchString(text):
		// Submitted, or shown so when the reply to the submission was lost.
		n, w.done = len(w.plan), true
	case strings.Contains(text, "Xem lại trước khi nộp"):
		n = len(w.plan)
	case resumeRe.MatchString(text):
		n, _ = strconv.Atoi(resumeRe.FindStringSubmatch(text)[1])
		w.resumes = append(w.resumes, n)
	case evidenceRe.MatchString(text):
		n = planIndex(evidenceRe.FindStringSubmatch(text)[1]) + 1
	case progressRe.MatchString(text):
		k, _ := strconv.Atoi(progressRe.FindStringSubmatch(text)[1])
		n, w.started = k-1, true
	}
	w.acked = max(w.acked, n)
	w.c.touch()
}

// screen is the newest message of the bot that is not a "please try again".
func (w *walker) screen() (telegramtest.Message, bool) {
	msgs := w.s.api.Messages(w.u.ID)
	for i := len(msgs) - 1; i >= 0; i-- {
		if m := msgs[i]; !m.Deleted && !strings.Contains(m.Text, sorryText) {
			return m, true
		}
	}
	return telegramtest.Message{}, false
}

type action func() models.Update

func (w *walker) say(text string) []action {
	return []action{func() models.Update { return w.s.api.SendText(w.u, text) }}
}

// decide picks what to do on a screen.
func (w *walker) decide(m telegramtest.Message, ok bool) ([]action, error) {
	if !ok {
		return w.say("/start"), nil
	}
	var tokens []string
	for _, row := range m.Keyboard {
		for _, b := range row {
			tokens = append(tokens, b.CallbackData)
		}
	}
	find := func(verb string, pred func(string) bool) string {
		for _, d := range tokens {
			if strings.HasPrefix(d, verb+":") && (pred == nil || pred(d)) {
				return d
			}
		}
		return ""
	}
	press := func(data string) []action {
		id := m.ID
		return []action{func() models.Update { return w.s.api.Press(w.u, id, data) }}
	}
	switch {
	case strings.HasPrefix(m.Text, "✅ Đã nộp"), submittedRe.MatchString(m.Text):
		w.note(m.Source)
		return nil, nil
	case strings.HasPrefix(m.Text, "Nhập tên"):
		return w.say(w.name), nil
	}
	// Consent, the title, the household started before (when a reply was
	// lost after the start was stored), the places (not "back"), continue,
	// submit and confirm, no photo.
	family := func(d string) bool { return strings.Contains(d, ":family:") }
	place := func(d string) bool { return !strings.HasSuffix(d, ":up") }
	for _, b := range []struct {
		verb string
		pred func(string) bool
	}{{"e.ok", nil}, {"e.k", family}, {"e.sj", nil}, {"e.ar", place}, {"s.ct", nil}, {"s.sb", nil}, {"s.cf", nil}, {"s.sk", nil}} {
		if d := find(b.verb, b.pred); d != "" {
			return press(d), nil
		}
	}
	if d := find("s.a", nil); d != "" {
		// The assessment, its revision and the question, from its buttons.
		f := strings.Split(d, ":")
		id := f[1]
		rev, _ := strconv.Atoi(f[2])
		j := planIndex(f[3])
		if j < 0 {
			return nil, fmt.Errorf("question %q is not in the plan", f[3])
		}
		var acts []action
		for n := 0; n < max(1, w.opt.burst) && j+n < len(w.plan); n++ {
			p := w.plan[j+n]
			data := fmt.Sprintf("s.a:%s:%d:%s:%s", id, rev+n, p.code, p.value)
			if n == 0 && !slices.Contains(tokens, data) {
				return nil, fmt.Errorf("no button %q on %q (buttons %q)", data, m.Text, tokens)
			}
			acts = append(acts, press(data)...)
			if p.evidence() {
				break
			}
		}
		return acts, nil
	}
	return w.say("/start"), nil
}

// act makes the updates and waits for a reply to each, or until the wait
// is over. A press's reply is its callback answer: a notice ("please try
// again", "this button is old") or, when empty, the screen that follows it;
// a text's is the next message sent. Replies to earlier updates that come
// late (a webhook delivery tried again, a step that timed out) are noted as
// screens seen but not taken for this step's.
func (w *walker) act(ctx context.Context, acts []action) outcome {
	from := w.h.count(w.u.ID)
	start := time.Now()
	presses := map[string]bool{} // callback query ids of this step's presses
	texts := 0
	for _, a := range acts {
		u := a()
		w.mu.Lock()
		w.keys["tg:"+strconv.FormatInt(u.ID, 10)] = true
		w.sent = append(w.sent, u.ID)
		w.mu.Unlock()
		if u.CallbackQuery != nil {
			presses[u.CallbackQuery.ID] = true
		} else {
			texts++
		}
		if w.opt.dup > 0 && w.rng.IntN(100) < w.opt.dup {
			w.s.api.Redeliver(u.ID)
		}
	}
	if w.opt.lateDup > 0 && w.rng.IntN(100) < w.opt.lateDup {
		w.mu.Lock()
		old := w.sent[w.rng.IntN(len(w.sent))]
		w.mu.Unlock()
		w.s.api.Redeliver(old)
	}
	wctx, cancel := context.WithTimeout(ctx, w.opt.wait)
	defer cancel()
	var out outcome
	first := time.Duration(-1)
	answered := map[string]bool{}
	awaiting := 0 // presses answered without a notice, whose screen is to come
	for out.screens+out.sorries+out.notices < len(acts) {
		calls := w.h.since(w.u.ID, from)
		from += len(calls)
		for _, c := range calls {
			if first < 0 {
				first = c.at.Sub(start)
			}
			text := c.Params["text"]
			switch c.Method {
			case "answerCallbackQuery": // the notice shows even when the answer itself failed
				id := c.Params["callback_query_id"]
				if !presses[id] || answered[id] {
					continue
				}
				answered[id] = true
				switch {
				case strings.Contains(text, sorryText):
					out.sorries++
				case text != "":
					out.notices++
				default:
					awaiting++
				}
			case "sendMessage", "editMessageText":
				notModified := c.Method == "editMessageText" && strings.Contains(c.Description, "not modified")
				if c.Status != http.StatusOK && !notModified {
					continue
				}
				sorry := strings.Contains(text, sorryText)
				if !sorry {
					w.note(text)
				}
				switch {
				case awaiting > 0 && !sorry:
					awaiting--
					out.screens++
				case c.Method == "sendMessage" && texts > 0:
					texts--
					if sorry {
						out.sorries++
					} else {
						out.screens++
					}
				}
			}
		}
		if out.screens+out.sorries+out.notices >= len(acts) || !w.h.wait(wctx, w.u.ID, from) {
			break
		}
	}
	w.mu.Lock()
	w.sorries += out.sorries
	if out.screens+out.sorries+out.notices == 0 {
		w.silences++
	}
	if w.measuring && first >= 0 {
		w.latency = append(w.latency, first)
	}
	w.mu.Unlock()
	w.c.touch()
	return out
}

// walk acts until until holds (read with w.mu held) or the person saw their
// submission's result.
func (w *walker) walk(ctx context.Context, until func(w *walker) bool) error {
	stuck := false
	for {
		w.mu.Lock()
		finished := w.done || (until != nil && until(w))
		w.mu.Unlock()
		if finished {
			return nil
		}
		if err := w.c.checkpoint(ctx); err != nil {
			return w.failure(err)
		}
		var acts []action
		resuming := w.resume.Load()
		switch {
		case resuming: // says something, until the bot answers more than "try again"
			acts = w.say("chào")
		case stuck: // refused as stale on the newest screen: ask for a fresh one, as a person would
			acts = w.say("/start")
		default:
			m, ok := w.screen()
			var err error
			if acts, err = w.decide(m, ok); err != nil {
				return w.failure(err)
			}
			if acts == nil {
				continue
			}
		}
		out := w.act(ctx, acts)
		if resuming && out.screens > 0 {
			w.resume.Store(false)
		}
		stuck = out.notices > 0 && out.screens == 0
		if out.sorries > 0 { // a person tries again after a moment
			select {
			case <-ctx.Done():
			case <-time.After(time.Duration(50+w.rng.IntN(100)) * time.Millisecond):
			}
		}
	}
}

func (w *walker) failure(err error) error {
	var b strings.Builder
	msgs := w.s.api.Messages(w.u.ID)
	for _, m := range msgs[max(0, len(msgs)-4):] {
		fmt.Fprintf(&b, "\n  #%d (%d edits) %q", m.ID, m.Edits, m.Text)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return fmt.Errorf("person %d: %w (acked %d, sorries %d, silences %d); last messages:%s",
		w.u.ID, err, w.acked, w.sorries, w.silences, b.String())
}

// ---------------------------------------------------------------------------
// A crowd of walkers: run them together, hold them, wait on their progress.

type crowd struct {
	walkers []*walker

	mu      sync.Mutex
	changed chan struct{}
	hold    chan struct{} // while not nil, walkers wait at their next step until it is closed
	held    int
	running int
}

func (s *system) crowd(h *hub, n int, firstID int64, opt walkOptions) *crowd {
	if opt.wait == 0 {
		opt.wait = 5 * time.Second
	}
	c := &crowd{changed: make(chan struct{})}
	for i := range n {
		id := firstID + int64(i)
		c.walkers = append(c.walkers, &walker{
			s: s, h: h, c: c, opt: opt, plan: planFor(id),
			u:    telegramtest.User{ID: id, FirstName: "Người " + strconv.FormatInt(id, 10), LanguageCode: "vi"},
			name: "Gia đình số " + strconv.FormatInt(id, 10),
			rng:  rand.New(rand.NewPCG(uint64(id), 42)),
			keys: map[string]bool{},
		})
	}
	return c
}

func (c *crowd) touch() {
	c.mu.Lock()
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// wait waits until cond holds; cond is checked after every change of a walker.
func (c *crowd) wait(ctx context.Context, what string, cond func() bool) error {
	for {
		c.mu.Lock()
		changed := c.changed
		c.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		}
	}
}

// checkpoint holds a walker while the crowd is held.
func (c *crowd) checkpoint(ctx context.Context) error {
	c.mu.Lock()
	hold := c.hold
	if hold == nil {
		c.mu.Unlock()
		return ctx.Err()
	}
	c.held++
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.held--
		c.mu.Unlock()
	}()
	select {
	case <-hold:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pause holds every walker at its next step and waits until all that run
// are held: none has an update in flight.
func (c *crowd) pause(ctx context.Context) error {
	c.mu.Lock()
	c.hold = make(chan struct{})
	c.mu.Unlock()
	return c.wait(ctx, "every person to pause", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.held == c.running
	})
}

func (c *crowd) release() {
	c.mu.Lock()
	close(c.hold)
	c.hold = nil
	c.mu.Unlock()
}

// start runs every walker until until holds for it (nil: until they saw
// their result); the returned function waits for them all.
func (c *crowd) start(ctx context.Context, until func(w *walker) bool) func() error {
	errs := make([]error, len(c.walkers))
	var wg sync.WaitGroup
	c.mu.Lock()
	c.running += len(c.walkers)
	c.mu.Unlock()
	for i, w := range c.walkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.walk(ctx, until)
			c.mu.Lock()
			c.running--
			close(c.changed)
			c.changed = make(chan struct{})
			c.mu.Unlock()
		}()
	}
	return func() error {
		wg.Wait()
		return errors.Join(errs...)
	}
}

func (c *crowd) run(ctx context.Context, until func(w *walker) bool) error {
	return c.start(ctx, until)()
}

// sum adds up f over the walkers.
func (c *crowd) sum(f func(w *walker) int) int {
	n := 0
	for _, w := range c.walkers {
		w.mu.Lock()
		n += f(w)
		w.mu.Unlock()
	}
	return n
}

// all reports whether f holds for every walker.
func (c *crowd) all(f func(w *walker) bool) bool {
	for _, w := range c.walkers {
		w.mu.Lock()
		ok := f(w)
		w.mu.Unlock()
		if !ok {
			return false
		}
	}
	return true
}

func started(w *walker) bool { return w.started }

// ---------------------------------------------------------------------------
// What PostgreSQL must show.

type expect struct {
	complete    bool // every person submitted
	consentOnce bool // no consent was given twice (no step failed before consent)
}

// verify checks, for every walker, that what they were told is stored with
// the values they pressed, that no input took effect twice, and that their
// steps took effect in the order they made them.
func verify(t *testing.T, s *system, c *crowd, e expect) {
	t.Helper()
	ctx := context.Background()
	pool := s.db.Pool()
	// each runs a query and calls scan on every row.
	each := func(scan func(pgx.Rows) error, sql string, args ...any) {
		t.Helper()
		rows, err := pool.Query(ctx, sql, args...)
		if err == nil {
			for rows.Next() {
				if err = scan(rows); err != nil {
					break
				}
			}
			rows.Close()
			if err == nil {
				err = rows.Err()
			}
		}
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	totalAnswers := 0
	for _, w := range c.walkers {
		w.mu.Lock()
		acked, done := w.acked, w.done
		keys := w.keys
		w.mu.Unlock()
		who := fmt.Sprintf("person %d", w.u.ID)

		var personID int64
		if err := pool.QueryRow(ctx, `SELECT id FROM people WHERE channel = 'telegram' AND channel_user = $1`, w.u.ID).Scan(&personID); err != nil {
			t.Errorf("%s: no person: %v", who, err)
			continue
		}
		var consents, starts int
		if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE action = 'consent'), count(*) FILTER (WHERE action = 'start')
			FROM audit_log WHERE person_id = $1`, personID).Scan(&consents, &starts); err != nil {
			t.Fatal(err)
		}
		if e.consentOnce && consents != 1 {
			t.Errorf("%s: %d consents logged, want 1", who, consents)
		}
		type assessment struct {
			id       int64
			status   string
			rev      int
			startKey string
		}
		var as []assessment
		each(func(rows pgx.Rows) error {
			as = append(as, assessment{})
			a := &as[len(as)-1]
			return rows.Scan(&a.id, &a.status, &a.rev, &a.startKey)
		}, `SELECT id, status, rev, start_key FROM assessments WHERE person_id = $1`, personID)
		if len(as) != 1 || starts != 1 {
			if acked > 0 || e.complete || len(as) > 1 || starts > 1 {
				t.Errorf("%s: %d assessments and %d starts logged, want 1", who, len(as), starts)
			}
			continue
		}
		a := as[0]
		if !keys[a.startKey] {
			t.Errorf("%s: their assessment was started by %s, not one of their updates", who, a.startKey)
		}
		if e.complete && (!done || a.status != "submitted") {
			t.Errorf("%s: assessment %s, result seen %v", who, a.status, done)
		}

		// The answers are the ones pressed, and every confirmed one is there.
		answers := map[string]string{}
		each(func(rows pgx.Rows) error {
			var code, value string
			err := rows.Scan(&code, &value)
			answers[code] = value
			return err
		}, `SELECT code, value::text FROM answers WHERE assessment_id = $1`, a.id)
		totalAnswers += len(answers)
		for code, value := range answers {
			j := planIndex(code)
			if j < 0 || w.plan[j].jsonValue() != value {
				t.Errorf("%s: %s is %s, but they pressed %+v", who, code, value, w.plan[max(j, 0)])
			}
		}
		for _, p := range w.plan[:acked] {
			if _, ok := answers[p.code]; !ok {
				t.Errorf("%s: %s was confirmed (they saw what follows it) but is not stored", who, p.code)
			}
		}
		if a.status == "submitted" && len(answers) != len(w.plan) {
			t.Errorf("%s: submitted with %d answers", who, len(answers))
		}

		// The audit log: started, each answer once and in the order asked,
		// submitted at most once and last.
		var log []string
		each(func(rows pgx.Rows) error {
			var action, code string
			err := rows.Scan(&action, &code)
			log = append(log, strings.TrimSuffix(action+" "+code, " "))
			return err
		}, `SELECT action, coalesce(detail->>'code', '') FROM audit_log WHERE assessment_id = $1 ORDER BY id`, a.id)
		answered, last := 0, -1
		for i, entry := range log {
			action, code, _ := strings.Cut(entry, " ")
			switch {
			case action == "start" && i == 0:
			case action == "answer":
				answered++
				j := planIndex(code)
				if j <= last {
					t.Errorf("%s: audit log out of order or twice: %q", who, log)
				}
				last = j
			case action == "submit" && i == len(log)-1 && a.status == "submitted":
			default:
				t.Errorf("%s: unexpected audit log %q", who, log)
			}
		}
		if answered != len(answers) {
			t.Errorf("%s: %d answers logged for %d stored: %q", who, answered, len(answers), log)
		}

		// Every change is keyed by one of the person's updates, each bumped
		// the revision once, and they took effect in the order sent.
		var applied []int64
		each(func(rows pgx.Rows) error {
			var key string
			err := rows.Scan(&key)
			if !keys[key] {
				t.Errorf("%s: input %s applied to their assessment is not theirs", who, key)
			}
			id, _ := strconv.ParseInt(strings.TrimPrefix(key, "tg:"), 10, 64)
			applied = append(applied, id)
			return err
		}, `SELECT key FROM applied_inputs WHERE assessment_id = $1 ORDER BY applied_at`, a.id)
		if !slices.IsSorted(applied) {
			t.Errorf("%s: inputs took effect out of order: %v", who, applied)
		}
		want := 1 + len(applied)
		if a.status == "submitted" {
			want++
		}
		if a.rev != want {
			t.Errorf("%s: revision %d after %d inputs applied (submitted: %v): a change took effect twice or unkeyed",
				who, a.rev, len(applied), a.status == "submitted")
		}
	}
	var stored int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM answers`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != totalAnswers {
		t.Errorf("%d answers stored, %d of them the people's", stored, totalAnswers)
	}
}

// verifyAcked checks, at a moment in the run, that every answer the people
// were told about is stored.
func verifyAcked(t *testing.T, s *system, c *crowd, when string) {
	t.Helper()
	for _, w := range c.walkers {
		w.mu.Lock()
		acked := w.acked
		w.mu.Unlock()
		var n int
		codes := make([]string, acked)
		for i, p := range w.plan[:acked] {
			codes[i] = p.code
		}
		err := s.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM answers a JOIN assessments s ON s.id = a.assessment_id
			JOIN people p ON p.id = s.person_id WHERE p.channel_user = $1 AND a.code = ANY($2)`, w.u.ID, codes).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n != acked {
			t.Errorf("%s: person %d was told of %d answers, %d are stored", when, w.u.ID, acked, n)
		}
	}
}

func logCrowd(t *testing.T, c *crowd, start time.Time) {
	t.Helper()
	steps := c.sum(func(w *walker) int { return len(w.sent) })
	t.Logf("%d people, %d updates, %d \"please try again\", %d unanswered steps, in %v",
		len(c.walkers), steps, c.sum(func(w *walker) int { return w.sorries }),
		c.sum(func(w *walker) int { return w.silences }), time.Since(start).Round(time.Millisecond))
}

// ---------------------------------------------------------------------------
// Webhook mode: an HTTP server in front of the bot's handler.

type front struct {
	srv     *httptest.Server
	handler atomic.Pointer[http.Handler]
	jitter  bool

	mu  sync.Mutex
	rng *rand.Rand
}

// newFront serves the webhook at srv.URL/hook with the handler set later;
// with jitter, each request waits a random few milliseconds first, so that
// deliveries to different chats finish in a shuffled order.
func newFront(t *testing.T, jitter bool) *front {
	f := &front{jitter: jitter, rng: rand.New(rand.NewPCG(7, 7))}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := f.handler.Load()
		if h == nil {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		if f.jitter {
			f.mu.Lock()
			d := time.Duration(f.rng.IntN(3000)) * time.Microsecond
			f.mu.Unlock()
			time.Sleep(d)
		}
		(*h).ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *front) set(h http.Handler) { f.handler.Store(&h) }

func (f *front) url() string { return f.srv.URL + "/hook" }

// counter reads a counter of the bot's metrics.
func counter(t *testing.T, m *metric.Metrics, series string) int {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler(func(context.Context) error { return nil }).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			n, _ := strconv.ParseFloat(v, 64)
			return int(n)
		}
	}
	return 0
}

// checkDeliveries checks that the fake delivered some updates more than
// once and that the bot answered every delivery with 200, and that no
// button press was answered twice.
func checkDeliveries(t *testing.T, s *system) {
	t.Helper()
	delivered := map[int64]int{}
	inversions := 0 // updates whose first delivery finished before that of an earlier update
	var latest int64
	for _, d := range s.api.Deliveries() {
		if d.Status != http.StatusOK {
			t.Errorf("delivery of update %d answered %d %s", d.UpdateID, d.Status, d.Err)
		}
		if delivered[d.UpdateID] == 0 {
			if d.UpdateID < latest {
				inversions++
			}
			latest = max(latest, d.UpdateID)
		}
		delivered[d.UpdateID]++
	}
	if inversions == 0 {
		t.Error("the deliveries were not reordered across chats")
	}
	twice := 0
	for _, n := range delivered {
		if n > 1 {
			twice++
		}
	}
	if twice == 0 {
		t.Error("no update was delivered twice")
	}
	for _, c := range s.api.Calls() {
		if c.Method == "answerCallbackQuery" && c.Status != http.StatusOK {
			t.Errorf("a button press answered twice or late: %s", c.Description)
		}
	}
	t.Logf("%d updates delivered, %d of them more than once, %d finished before an earlier one", len(delivered), twice, inversions)
}

// ---------------------------------------------------------------------------
// 1. Webhook deliveries duplicated, and reordered across chats.

func TestResilienceWebhookDuplicates(t *testing.T) {
	h := newHub()
	f := newFront(t, true)
	m := metric.New()
	s := newSystem(t, setup{webhook: f.url(), metrics: m}, telegramtest.WithCallHook(h.hook))
	s.startBot() // max_connections is the workers (64): chats are delivered in parallel
	f.set(s.bot.WebhookHandler())

	c := s.crowd(h, scale(12, 30), 3000, walkOptions{burst: 3, dup: 30, lateDup: 25})
	ctx, cancel := context.WithTimeout(context.Background(), scale(60*time.Second, 5*time.Minute))
	defer cancel()
	begin := time.Now()
	if err := c.run(ctx, nil); err != nil {
		t.Fatal(err)
	}
	logCrowd(t, c, begin)
	verify(t, s, c, expect{complete: true, consentOnce: true})
	checkDeliveries(t, s)
	if n := counter(t, m, `hoctap_updates_total{result="duplicate"}`); n == 0 {
		t.Error("the bot skipped no duplicate")
	} else {
		t.Logf("%d duplicates skipped", n)
	}
}

// ---------------------------------------------------------------------------
// 2. Two replicas on the same Redis and PostgreSQL; one chat's updates go
// to either.

func TestResilienceTwoReplicas(t *testing.T) {
	h := newHub()
	f := newFront(t, true)
	m := metric.New()
	s := newSystem(t, setup{webhook: f.url(), metrics: m}, telegramtest.WithCallHook(h.hook))
	s.startBot()
	second := s.replica()
	t.Cleanup(second.Stop)

	// Round robin over the two replicas, request by request, noting which
	// chats each one served.
	var (
		next   atomic.Uint64
		mu     sync.Mutex
		served [2]map[int64]bool
	)
	served[0], served[1] = map[int64]bool{}, map[int64]bool{}
	replicas := [2]http.Handler{s.bot.WebhookHandler(), second.WebhookHandler()}
	f.set(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := next.Add(1) % 2
		body, _ := io.ReadAll(r.Body)
		var u models.Update
		if json.Unmarshal(body, &u) == nil {
			chat := int64(0)
			switch {
			case u.Message != nil:
				chat = u.Message.Chat.ID
			case u.CallbackQuery != nil && u.CallbackQuery.Message.Message != nil:
				chat = u.CallbackQuery.Message.Message.Chat.ID
			}
			mu.Lock()
			served[i][chat] = true
			mu.Unlock()
		}
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		replicas[i].ServeHTTP(w, r)
	}))

	c := s.crowd(h, scale(12, 30), 4000, walkOptions{burst: 2, dup: 30, lateDup: 25})
	ctx, cancel := context.WithTimeout(context.Background(), scale(60*time.Second, 5*time.Minute))
	defer cancel()
	begin := time.Now()
	if err := c.run(ctx, nil); err != nil {
		t.Fatal(err)
	}
	logCrowd(t, c, begin)
	verify(t, s, c, expect{complete: true, consentOnce: true})
	checkDeliveries(t, s)
	mu.Lock()
	for _, w := range c.walkers {
		if !served[0][w.u.ID] || !served[1][w.u.ID] {
			t.Errorf("person %d's updates did not go to both replicas", w.u.ID)
		}
	}
	mu.Unlock()
}

// ---------------------------------------------------------------------------
// 3. The Bot API failing: 5% of calls 5xx, 1% 429 with retry_after 1, and
// one button answer in ten "query is too old".

// faults picks, from a seeded source, which calls fail: in every block of
// 100 calls, 5 answer a 5xx and 1 a 429; in every block of 10 button
// answers, one is too old.
type faults struct {
	mu       sync.Mutex
	rng      *rand.Rand
	calls    []int // the current block of 100: 0 ok, 1 5xx, 2 429
	answers  []bool
	injected map[string]int
}

func (f *faults) fault(method string, chat int64) *telegramtest.Fault {
	switch method {
	case "setMyCommands", "setWebhook", "deleteWebhook", "getMe":
		return nil // setup; the cases are about the running bot
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		f.calls = make([]int, 100)
		for i := range 5 {
			f.calls[i] = 1
		}
		f.calls[5] = 2
		f.rng.Shuffle(len(f.calls), func(i, j int) { f.calls[i], f.calls[j] = f.calls[j], f.calls[i] })
	}
	kind := f.calls[0]
	f.calls = f.calls[1:]
	switch kind {
	case 1:
		status := []int{500, 502, 503}[f.rng.IntN(3)]
		f.injected["5xx"]++
		fault := telegramtest.ServerError(status)
		return &fault
	case 2:
		f.injected["429"]++
		fault := telegramtest.TooManyRequests(1)
		return &fault
	}
	if method == "answerCallbackQuery" {
		if len(f.answers) == 0 {
			f.answers = make([]bool, 10)
			f.answers[f.rng.IntN(10)] = true
		}
		old := f.answers[0]
		f.answers = f.answers[1:]
		if old {
			f.injected["too old"]++
			return &telegramtest.Fault{Status: http.StatusBadRequest,
				Description: "Bad Request: query is too old and response timeout expired or query ID is invalid"}
		}
	}
	return nil
}

func TestResilienceBotAPIFaults(t *testing.T) {
	h := newHub()
	s := newSystem(t, setup{}, telegramtest.WithCallHook(h.hook))
	s.startBot()
	f := &faults{rng: rand.New(rand.NewPCG(2026, 4)), injected: map[string]int{}}
	s.api.SetFault(f.fault)

	c := s.crowd(h, scale(10, 30), 5000, walkOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), scale(90*time.Second, 5*time.Minute))
	defer cancel()
	begin := time.Now()
	if err := c.run(ctx, nil); err != nil {
		t.Fatal(err)
	}
	s.api.SetFault(nil)
	logCrowd(t, c, begin)
	verify(t, s, c, expect{complete: true, consentOnce: true})
	f.mu.Lock()
	defer f.mu.Unlock()
	t.Logf("faults injected: %v", f.injected)
	for _, kind := range []string{"5xx", "429", "too old"} {
		if f.injected[kind] == 0 {
			t.Errorf("no %s was injected", kind)
		}
	}
	if n := c.sum(func(w *walker) int { return w.sorries }); n != 0 {
		t.Errorf("%d steps failed for Bot API errors", n)
	}
}

// ---------------------------------------------------------------------------
// 4. Redis unreachable for a while, then back with its keys gone.

// redisServer is a private redis-server for one test, reached through a
// proxy whose address stays the same when the server is killed and a fresh
// one started.
type redisServer struct {
	t      *testing.T
	proxy  *tcpproxy.Proxy
	port   int
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
}

// freePort returns a port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startRedis(t *testing.T) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server is not installed: %v", err)
	}
	r := &redisServer{t: t}
	t.Cleanup(r.kill)
	r.restart()
	var err error
	if r.proxy, err = tcpproxy.New(r.serverAddr()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.proxy.Close() })
	return r
}

// addr is where clients connect.
func (r *redisServer) addr() string { return r.proxy.Addr() }

func (r *redisServer) serverAddr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// restart starts a fresh, empty redis-server: on the same port as before,
// or on another if something took that port meanwhile.
func (r *redisServer) restart() {
	r.t.Helper()
	var errs []error
	for range 3 {
		if r.port != 0 {
			err := r.start()
			if err == nil {
				if r.proxy != nil {
					r.proxy.SetTarget(r.serverAddr())
				}
				return
			}
			errs = append(errs, err)
		}
		r.port = freePort(r.t)
	}
	r.t.Fatal(errors.Join(errs...))
}

// start runs redis-server on r.port and waits until it says it is ready.
func (r *redisServer) start() error {
	ready := &readyWriter{ready: make(chan struct{})}
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.t.TempDir())
	cmd.Stdout = ready
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	r.cmd, r.exited = cmd, exited
	go func() {
		cmd.Wait()
		close(exited)
	}()
	select {
	case <-ready.ready:
		return nil
	case <-exited:
		r.cmd = nil
		return fmt.Errorf("redis-server on port %d exited before it was ready: %s", r.port, ready.text())
	case <-time.After(10 * time.Second):
		r.kill()
		return fmt.Errorf("redis-server on port %d is not ready after 10 s: %s", r.port, ready.text())
	}
}

// readyWriter takes redis-server's output and says when it is ready.
type readyWriter struct {
	mu    sync.Mutex
	out   strings.Builder
	ready chan struct{}
	said  bool
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.out.Write(p)
	if !w.said && strings.Contains(w.out.String(), "Ready to accept connections") {
		w.said = true
		close(w.ready)
	}
	return len(p), nil
}

func (w *readyWriter) text() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.String()
}

// kill kills the server, as a crash would.
func (r *redisServer) kill() {
	if r.cmd != nil {
		r.cmd.Process.Kill()
		<-r.exited
		r.cmd = nil
	}
}

// outage runs the middle of the Redis and PostgreSQL cases: people walk on
// from their first question; once they have gone on by a step each, down()
// makes the store unreachable; everyone still walking gets "please try
// again" at least once and the outage lasts at least d; then up() brings
// the store back. With afterwards, every person is paused (no update in
// flight) around up() and afterwards() runs before they walk on to the end.
func outage(t *testing.T, ctx context.Context, c *crowd, d time.Duration, down, up, afterwards func()) {
	t.Helper()
	if err := c.run(ctx, started); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	before := c.sum(func(w *walker) int { return w.acked })
	finish := c.start(ctx, nil)
	fail := func(err error) {
		cancel()
		t.Fatalf("%v (people: %v)", err, finish())
	}
	if err := c.wait(ctx, "people to walk on", func() bool {
		return c.sum(func(w *walker) int { return w.acked }) >= before+len(c.walkers)
	}); err != nil {
		fail(err)
	}
	sorries := map[*walker]int{}
	for _, w := range c.walkers {
		w.mu.Lock()
		sorries[w] = w.sorries
		w.mu.Unlock()
	}
	down()
	from := time.Now()
	if err := c.wait(ctx, `"please try again" for everyone still walking`, func() bool {
		return c.all(func(w *walker) bool { return w.done || w.sorries > sorries[w] })
	}); err != nil {
		fail(err)
	}
	told := time.Since(from)
	if rest := d - told; rest > 0 {
		time.Sleep(rest) // the outage window itself
	}
	if afterwards != nil {
		if err := c.pause(ctx); err != nil {
			fail(err)
		}
	}
	t.Logf("unreachable for %v; everyone walking told to try again within %v", time.Since(from).Round(time.Millisecond),
		told.Round(time.Millisecond))
	up()
	if afterwards != nil {
		afterwards()
		c.release()
	}
	if err := finish(); err != nil {
		t.Fatal(err)
	}
}

// redisLog takes go-redis's own log lines (its complaints while a server is
// away) into the running test's bot logs, as serve does into its own. The
// logger is go-redis's global: it is set once, and the sink changes.
type redisLog struct{}

var (
	redisLogOnce sync.Once
	redisLogSink atomic.Pointer[syncBuffer]
)

func (redisLog) Printf(_ context.Context, format string, v ...any) {
	if b := redisLogSink.Load(); b != nil {
		fmt.Fprintf(b, "redis client: "+format+"\n", v...)
	}
}

// newSessions makes sessions on a Redis of the test's own.
func newSessions(t *testing.T, rdb redis.UniversalClient, prefix string) *session.Store {
	t.Helper()
	s, err := session.New(rdb, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func captureRedisLogs(s *system) {
	redisLogOnce.Do(func() { redis.SetLogger(redisLog{}) })
	redisLogSink.Store(s.logs)
}

func TestResilienceRedisOutage(t *testing.T) {
	h := newHub()
	s := newSystem(t, setup{turn: 5 * time.Second}, telegramtest.WithCallHook(h.hook))
	r := startRedis(t)
	captureRedisLogs(s)
	rdb := redis.NewClient(&redis.Options{Addr: r.addr()})
	t.Cleanup(func() { rdb.Close() })
	s.states = newSessions(t, rdb, "resilience:")
	s.startBot()

	c := s.crowd(h, scale(10, 30), 6000, walkOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), scale(90*time.Second, 5*time.Minute))
	defer cancel()
	begin := time.Now()
	resumesBefore := map[*walker]int{}
	ackedBefore := map[*walker]int{}
	outage(t, ctx, c, scale(time.Second, 5*time.Second), r.kill, func() {
		verifyAcked(t, s, c, "while Redis was down")
		r.restart() // empty: every key is gone
		fresh := redis.NewClient(&redis.Options{Addr: r.addr()})
		defer fresh.Close()
		if n, err := fresh.DBSize(ctx).Result(); err != nil || n != 0 {
			t.Fatalf("the new Redis holds %d keys (%v)", n, err)
		}
	}, func() {
		for _, w := range c.walkers {
			w.mu.Lock()
			resumesBefore[w], ackedBefore[w] = len(w.resumes), w.acked
			w.mu.Unlock()
			w.resume.Store(true) // says something, as the person would after "try again later"
		}
	})
	logCrowd(t, c, begin)
	verify(t, s, c, expect{complete: true, consentOnce: true})
	for _, w := range c.walkers {
		w.mu.Lock()
		offers := w.resumes[resumesBefore[w]:]
		w.mu.Unlock()
		switch {
		case len(offers) == 0:
			t.Errorf("person %d was not offered to resume after Redis lost their conversation", w.u.ID)
		case offers[0] < ackedBefore[w]:
			t.Errorf("person %d was offered to resume with %d answers, after %d confirmed", w.u.ID, offers[0], ackedBefore[w])
		}
	}
}

// startCut is the conversation's database, with Redis cut off right after
// the first assessment is started: the start is stored, the conversation
// state that says so is not.
type startCut struct {
	app.Store
	proxy *tcpproxy.Proxy
	once  sync.Once
}

func (s *startCut) Start(ctx context.Context, n flows.NewAssessment) (flows.Assessment, error) {
	a, err := s.Store.Start(ctx, n)
	if err == nil {
		s.once.Do(s.proxy.Cut)
	}
	return a, err
}

// Redis goes away for a moment between the start of an assessment and the
// saving of the conversation state: the person is told to try again, and
// when they press the place again they go on with the assessment that was
// started, not into "try again" forever.
func TestResilienceRedisBlipAfterStart(t *testing.T) {
	s := newSystem(t, setup{turn: 2 * time.Second})
	opt, err := redis.ParseURL(sessiontest.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := tcpproxy.New(opt.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	opt.Addr = proxy.Addr()
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	captureRedisLogs(s)
	s.states = newSessions(t, rdb, s.prefix) // the test's own prefix, deleted at the end
	cut := &startCut{proxy: proxy}
	s.wrapStore = func(st app.Store) app.Store { cut.Store = st; return cut }
	s.startBot()

	p := s.person(1201, "vi")
	s.api.SendCommand(p.u, "/start")
	p.wait("Bạn có đồng ý")
	p.step("✅ Đồng ý", "Bạn muốn tự đánh giá danh hiệu nào?")
	p.step("Gia đình học tập", "Nhập tên hộ gia đình")
	p.say("Nhà họ Lê")
	p.wait("ở tỉnh, thành phố nào?")
	p.step("Thành phố Hà Nội", "ở xã, phường nào?")
	p.say("soc son") // Hà Nội has 126 communes: typed, accents left out
	p.wait("khớp với “soc son”")
	p.step("Xã Sóc Sơn", "ở thôn, tổ dân phố nào?")

	// answer presses the village and waits for the answer to the press.
	answer := func() telegramtest.CallbackAnswer {
		t.Helper()
		before := len(s.api.CallbackAnswers(p.u.ID))
		p.press("Thôn Đông")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.api.Wait(ctx, func(s *telegramtest.Server) bool { return len(s.CallbackAnswers(p.u.ID)) > before }); err != nil {
			t.Fatal("the press on the village is not answered")
		}
		answers := s.api.CallbackAnswers(p.u.ID)
		return answers[len(answers)-1]
	}
	if a := answer(); !strings.Contains(a.Text, sorryText) {
		t.Fatalf("with Redis cut off the press is answered %q", a.Text)
	}
	proxy.Restore()

	// The person tries again, as told, until Redis answers the bot again
	// (its client waits a moment before dialling again).
	for i := 0; ; i++ {
		a := answer()
		if !strings.Contains(a.Text, sorryText) {
			break
		}
		if i == 10 {
			t.Fatal("the press is still answered \"try again\" after Redis came back")
		}
		time.Sleep(200 * time.Millisecond) // a person waits a moment before trying again
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := s.api.WaitMessage(ctx, p.u.ID, func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, "Bạn đang làm dở") || strings.Contains(m.Text, "Câu 1/12")
	})
	if err != nil {
		last, _ := s.api.LastMessage(p.u.ID)
		t.Fatalf("after trying again, neither the assessment nor an offer to resume it: %q", last.Text)
	}
	if !strings.Contains(m.Text, "Câu 1/12") {
		p.step("▶ Tiếp tục", "Câu 1/12")
	}
	p.step("Không", "Câu 2/12")

	var assessments, starts, answers int
	s.db.Pool().QueryRow(context.Background(), `SELECT (SELECT count(*) FROM assessments), 
		(SELECT count(*) FROM audit_log WHERE action = 'start'), (SELECT count(*) FROM answers)`).Scan(&assessments, &starts, &answers)
	if assessments != 1 || starts != 1 || answers != 1 {
		t.Errorf("%d assessments, %d starts logged, %d answers; want 1 of each", assessments, starts, answers)
	}
}

// ---------------------------------------------------------------------------
// 5. PostgreSQL unreachable for a while.

func TestResiliencePostgresOutage(t *testing.T) {
	h := newHub()
	f := newFront(t, false)
	s := newSystem(t, setup{webhook: f.url(), turn: 5 * time.Second},
		telegramtest.WithCallHook(h.hook))

	// The bot's database is a schema of the test's own, reached through a
	// proxy that can cut it off.
	_, cfg := storetest.Schema(t)
	proxy, err := tcpproxy.New(net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	cfg.ConnConfig.Host, cfg.ConnConfig.Port = "127.0.0.1", proxy.Port()
	cfg.ConnConfig.Fallbacks = nil
	ctx0 := context.Background()
	db, err := store.OpenConfig(ctx0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if err := db.Migrate(ctx0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SeedSample(ctx0); err != nil {
		t.Fatal(err)
	}
	s.db = db
	s.startBot()
	f.set(s.bot.WebhookHandler())

	c := s.crowd(h, scale(10, 30), 7000, walkOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), scale(90*time.Second, 5*time.Minute))
	defer cancel()
	begin := time.Now()
	outage(t, ctx, c, scale(time.Second, 5*time.Second), proxy.Cut, proxy.Restore, nil)
	logCrowd(t, c, begin)
	verify(t, s, c, expect{complete: true, consentOnce: true})
	retried := 0
	for _, d := range s.api.Deliveries() {
		if d.Status != http.StatusOK {
			retried++
		}
	}
	if retried == 0 {
		t.Error("no delivery failed while PostgreSQL was unreachable")
	}
	t.Logf("%d deliveries answered 503 and were delivered again", retried)
}

// ---------------------------------------------------------------------------
// 6. SIGTERM in the middle: the replica finishes what it took, and a new one
// goes on.

func TestResilienceStopMidway(t *testing.T) {
	h := newHub()
	s := newSystem(t, setup{}, telegramtest.WithCallHook(h.hook))
	s.startBot()

	c := s.crowd(h, scale(10, 30), 8000, walkOptions{wait: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), scale(90*time.Second, 5*time.Minute))
	defer cancel()
	begin := time.Now()
	if err := c.run(ctx, started); err != nil {
		t.Fatal(err)
	}
	before := c.sum(func(w *walker) int { return w.acked })
	finish := c.start(ctx, nil)
	if err := c.wait(ctx, "people to walk on", func() bool {
		return c.sum(func(w *walker) int { return w.acked }) >= before+len(c.walkers)
	}); err != nil {
		t.Fatal(err, finish())
	}
	stopping := time.Now()
	s.stopBot() // what SIGTERM does in serve: cancel Poll's context
	t.Logf("the replica stopped in %v", time.Since(stopping).Round(time.Millisecond))
	verifyAcked(t, s, c, "after the replica stopped")
	next := metric.New()
	s.cfg.metrics = next
	s.startBot()
	if err := finish(); err != nil {
		t.Fatal(err)
	}
	logCrowd(t, c, begin)
	verify(t, s, c, expect{complete: true, consentOnce: true})
	if n := c.sum(func(w *walker) int { return w.silences }); n != 0 {
		t.Errorf("%d steps got no reply: an update taken was dropped", n)
	}
	if n := counter(t, next, `hoctap_updates_total{result="duplicate"}`); n != 0 {
		t.Errorf("the new replica was handed %d updates the old one had taken", n)
	}
}

// ---------------------------------------------------------------------------
// 7. A flood from one chat does not slow the others.

func p90(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)*9+9)/10-1]
}

func TestResilienceFlood(t *testing.T) {
	h := newHub()
	s := newSystem(t, setup{}, telegramtest.WithCallHook(h.hook))
	s.startBot()
	c := s.crowd(h, scale(10, 20), 9000, walkOptions{})
	flooder := s.crowd(h, 1, 9999, walkOptions{}).walkers[0]
	ctx, cancel := context.WithTimeout(context.Background(), scale(90*time.Second, 5*time.Minute))
	defer cancel()

	// The flooder goes to the name prompt; the others to their first question.
	fl := flooder.c.start(ctx, func(w *walker) bool { return strings.HasPrefix(w.lastText, "Nhập tên") })
	if err := errors.Join(c.run(ctx, started), fl()); err != nil {
		t.Fatal(err)
	}
	measure := func(on bool) []time.Duration {
		var all []time.Duration
		for _, w := range c.walkers {
			w.mu.Lock()
			all = append(all, w.latency...)
			w.latency, w.measuring = nil, on
			w.mu.Unlock()
		}
		return all
	}

	// Baseline: the first half of the questionnaire without the flood.
	measure(true)
	half := len(familyChoices) / 2
	if err := c.run(ctx, func(w *walker) bool { return w.acked >= half }); err != nil {
		t.Fatal(err)
	}
	baseline := measure(false)

	// The flood: name, /cancel, the title again, over and over, as fast as
	// the bot takes them (at most 100 rounds ahead of it); each round's
	// reply names it, so the order they were handled in shows.
	prompt, ok := s.api.LastMessage(flooder.u.ID)
	if !ok || !strings.HasPrefix(prompt.Text, "Nhập tên") {
		t.Fatalf("the flooder is not at the name prompt: %+v", prompt)
	}
	menu, kind := prompt.ID, "e.k:::family:" // the title's button, pressed on the menu that became the prompt
	var (
		rounds  atomic.Int64
		stop    atomic.Bool
		flooded = make(chan time.Duration, 1)
	)
	minRounds := int64(scale(170, 1000))                           // about 500 or 3000 updates
	pressed := int64(h.calls(flooder.u.ID, "answerCallbackQuery")) // to get to the prompt
	handled := func() int64 { return int64(h.calls(flooder.u.ID, "answerCallbackQuery")) - pressed }
	go func() {
		start := time.Now()
		defer func() { flooded <- time.Since(start) }()
		for i := int64(1); !stop.Load() || i <= minRounds; i++ {
			if !h.waitFor(ctx, flooder.u.ID, func() bool { return i-handled() <= 100 }) {
				return
			}
			s.api.SendText(flooder.u, "Nhà "+strconv.FormatInt(i, 10))
			s.api.SendCommand(flooder.u, "/cancel")
			s.api.Press(flooder.u, menu, kind)
			rounds.Store(i)
		}
	}()
	if !h.waitFor(ctx, flooder.u.ID, func() bool { return handled() >= 20 }) {
		t.Fatal("the flood does not start")
	}

	// The second half while the flood goes on.
	measure(true)
	handledBefore, phase := handled(), time.Now()
	if err := c.run(ctx, func(w *walker) bool { return w.acked >= len(familyChoices) }); err != nil {
		t.Fatal(err)
	}
	during := measure(false)
	rate := float64(3*(handled()-handledBefore)) / time.Since(phase).Seconds()
	if handled() >= rounds.Load() {
		t.Error("the flood was over before the others' steps were")
	}
	stop.Store(true)
	floodTime := <-flooded
	n := rounds.Load()
	if !h.waitFor(ctx, flooder.u.ID, func() bool { return handled() >= n }) {
		t.Fatalf("the flood's %d rounds were not all handled: %d", n, handled())
	}
	if err := c.run(ctx, nil); err != nil {
		t.Fatal(err)
	}

	base, flood := p90(baseline), p90(during)
	t.Logf("flood: %d updates in %v, %.0f/s handled while the others walked; their reply latency p90 %v without it (%d steps), %v during it (%d steps)",
		3*n, floodTime.Round(time.Millisecond), rate, base, len(baseline), flood, len(during))
	if bound := 10 * max(base, 10*time.Millisecond); flood > bound || flood > 2*time.Second {
		t.Errorf("others' p90 latency %v during the flood, %v without it", flood, base)
	}

	// The flooding chat's updates were handled in the order sent.
	named := regexp.MustCompile(`<b>Nhà (\d+)</b> ở tỉnh, thành phố nào\?`)
	var got []int
	cancels := 0
	for _, c := range h.since(flooder.u.ID, 0) {
		if c.Method != "sendMessage" || c.Status != http.StatusOK {
			continue
		}
		if g := named.FindStringSubmatch(c.Params["text"]); g != nil {
			i, _ := strconv.Atoi(g[1])
			got = append(got, i)
		}
		if strings.HasPrefix(c.Params["text"], "Đã huỷ") {
			cancels++
		}
	}
	if int64(len(got)) != n || int64(cancels) != n {
		t.Errorf("%d rounds flooded, %d names and %d cancels answered", n, len(got), cancels)
	}
	for i, v := range got {
		if v != i+1 {
			t.Errorf("the flood was handled out of order: round %d answered %dth", v, i+1)
			break
		}
	}
	verify(t, s, c, expect{complete: true, consentOnce: true})
}

// ---------------------------------------------------------------------------
// 8. SIGTERM while the Bot API is unreachable: the stop ends once its
// timeout has passed, and what the replica did not finish is delivered
// again to the next one, with nothing lost or doubled.

func TestResilienceStopWithTheBotAPIGone(t *testing.T) {
	for _, mode := range []string{"polling", "webhook"} {
		t.Run(mode, func(t *testing.T) {
			h := newHub()
			const stop = time.Second
			cfg := setup{stop: stop}
			var f *front
			if mode == "webhook" {
				f = newFront(t, false)
				cfg.webhook = f.url()
			}
			s := newSystem(t, cfg, telegramtest.WithCallHook(h.hook))
			// The bot reaches the Bot API through a proxy that can cut it off;
			// the fake still delivers the webhook.
			proxy, err := tcpproxy.New(strings.TrimPrefix(s.api.URL(), "http://"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { proxy.Close() })
			s.cfg.apiURL = "http://" + proxy.Addr()
			s.startBot()
			if f != nil {
				f.set(s.bot.WebhookHandler())
			}

			c := s.crowd(h, scale(10, 30), 10000, walkOptions{burst: 3})
			ctx, cancel := context.WithTimeout(context.Background(), scale(90*time.Second, 5*time.Minute))
			defer cancel()
			if err := c.run(ctx, started); err != nil {
				t.Fatal(err)
			}
			before := c.sum(func(w *walker) int { return w.acked })
			finish := c.start(ctx, nil)
			if err := c.wait(ctx, "people to walk on", func() bool {
				return c.sum(func(w *walker) int { return w.acked }) >= before+len(c.walkers)
			}); err != nil {
				t.Fatal(err, finish())
			}
			proxy.Cut() // the Bot API is gone for the bot; people go on pressing
			time.Sleep(300 * time.Millisecond)
			stopping := time.Now()
			s.stopBot()
			took := time.Since(stopping)
			t.Logf("the replica stopped in %v with a stop timeout of %v", took.Round(time.Millisecond), stop)
			// The stop's timeout, then at most a second to confirm (polling),
			// and a margin for a loaded machine.
			if took > stop+3*time.Second {
				t.Errorf("the stop took %v, past its %v timeout", took, stop)
			}
			proxy.Restore()
			s.cfg.stop = 0
			s.startBot()
			if f != nil {
				f.set(s.bot.WebhookHandler())
			}
			if err := finish(); err != nil {
				t.Fatal(err)
			}
			verify(t, s, c, expect{complete: true, consentOnce: true})
		})
	}
}

// ---------------------------------------------------------------------------
// 9. Telegram's limits: with the fake holding the bot to them, people who
// press as fast as the bot answers, several answers at once, never see a
// 429 (the load command does the same with 300 people).

func TestResilienceTelegramLimits(t *testing.T) {
	h := newHub()
	s := newSystem(t, setup{}, telegramtest.WithCallHook(h.hook), telegramtest.WithLimits())
	s.startBot()
	c := s.crowd(h, scale(20, 100), 11000, walkOptions{burst: 3})
	ctx, cancel := context.WithTimeout(context.Background(), scale(90*time.Second, 5*time.Minute))
	defer cancel()
	begin := time.Now()
	if err := c.run(ctx, nil); err != nil {
		t.Fatal(err)
	}
	logCrowd(t, c, begin)
	verify(t, s, c, expect{complete: true, consentOnce: true})
	if n := s.api.Throttled(); n != 0 {
		t.Errorf("the fake answered %d messages with 429", n)
	}
}
