package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"hoctap/flows"
	"hoctap/metric"
)

// sent is one message the sender took, and when.
type sent struct {
	Message
	at time.Time
}

// script is a sender whose answers a test decides.
type script struct {
	mu      sync.Mutex
	answer  func(m Message, attempt int) error // nil: every message goes out
	tries   map[string]int                     // attempts per message text
	sent    []sent
	changed chan struct{}
}

func newScript(answer func(Message, int) error) *script {
	return &script{answer: answer, tries: map[string]int{}, changed: make(chan struct{})}
}

func (s *script) Send(_ context.Context, m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := fmt.Sprint(m.Conv.ID, m.Ack, m.Out.Text, m.Out.Replace)
	s.tries[key]++
	if s.answer != nil {
		if err := s.answer(m, s.tries[key]); err != nil {
			return err
		}
	}
	s.sent = append(s.sent, sent{m, time.Now()})
	close(s.changed)
	s.changed = make(chan struct{})
	return nil
}

func (s *script) all() []sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// waitFor waits until n messages went out; it fails the test after 10 s.
func (s *script) waitFor(t *testing.T, n int) []sent {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		got, changed := slices.Clone(s.sent), s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("%d messages went out in 10 s, want %d", len(got), n)
		}
	}
}

// countingPacer is the local pacer, noting when the global rate was slowed.
type countingPacer struct {
	*LocalPacer
	mu    sync.Mutex
	slows int
}

func (p *countingPacer) Slow(ctx context.Context, d time.Duration) error {
	p.mu.Lock()
	p.slows++
	p.mu.Unlock()
	return p.LocalPacer.Slow(ctx, d)
}

type blockedCall struct {
	channel string
	user    int64
}

// testOutbox makes an outbox on a sender, at a rate, and stops it when
// the test ends.
func testOutbox(t *testing.T, s Sender, rate float64) (*outbox, *countingPacer, *[]blockedCall) {
	t.Helper()
	pacer := &countingPacer{LocalPacer: NewLocalPacer()}
	var mu sync.Mutex
	blocked := &[]blockedCall{}
	o := newOutbox(Config{Sender: s, Pacer: pacer, Rate: rate, Metrics: metric.New(), Log: slog.New(slog.DiscardHandler),
		Blocked: func(_ context.Context, channel string, user int64) {
			mu.Lock()
			*blocked = append(*blocked, blockedCall{channel, user})
			mu.Unlock()
		}})
	t.Cleanup(func() { o.stop(context.Background()) })
	return o, pacer, blocked
}

func conv(id int64) flows.Conv { return flows.Conv{Channel: "test", ID: id} }

// reply is a press's answer with texts.
func reply(c flows.Conv, texts ...string) []Message {
	msgs := []Message{{Conv: c, User: c.ID + 1000, Ack: true}}
	for _, text := range texts {
		msgs = append(msgs, Message{Conv: c, User: c.ID + 1000, Out: flows.Output{Text: text}})
	}
	return msgs
}

func TestReplyAtOnceAndItsOverflowPaced(t *testing.T) {
	t.Parallel()
	s := newScript(nil)
	o, _, _ := testOutbox(t, s, 25)
	o.send(context.Background(), LaneReply, time.Time{}, 0, reply(conv(1), "1", "2", "3", "4", "5"))
	// The answer and ReplyBurst texts went out before send returned; the
	// first paced one may follow at once, the conversation's slot being free.
	if got := s.all(); len(got) < 1+ReplyBurst || len(got) > 2+ReplyBurst {
		t.Fatalf("%d messages went out with the reply, want the answer and %d (one more paced at most)", len(got), ReplyBurst)
	}
	got := s.waitFor(t, 6)
	var texts []string
	for _, m := range got {
		texts = append(texts, m.Out.Text)
	}
	if !slices.Equal(texts, []string{"", "1", "2", "3", "4", "5"}) {
		t.Errorf("sent in the order %q", texts)
	}
	if gap := got[5].at.Sub(got[4].at); gap < ChatEvery-50*time.Millisecond {
		t.Errorf("the overflow's messages went %v apart, want %v", gap, ChatEvery)
	}
}

func TestThrottlePausesOnlyItsConversation(t *testing.T) {
	t.Parallel()
	s := newScript(func(m Message, attempt int) error {
		if m.Conv.ID == 1 && m.Out.Text == "a" && attempt == 1 {
			return &Throttled{After: time.Second}
		}
		return nil
	})
	o, _, _ := testOutbox(t, s, 25)
	start := time.Now()
	o.send(context.Background(), LaneReply, time.Time{}, 0, reply(conv(1), "a", "b"))
	o.send(context.Background(), LaneReply, time.Time{}, 0, reply(conv(2), "c"))
	if got := s.all(); len(got) != 3 || got[2].Out.Text != "c" {
		t.Fatalf("another conversation's reply waited: %+v", got)
	}
	// A reply to the paused conversation waits behind what it holds.
	o.send(context.Background(), LaneReply, time.Time{}, 0, reply(conv(1), "d"))
	got := s.waitFor(t, 7)
	var one []string
	for _, m := range got {
		if m.Conv.ID == 1 {
			one = append(one, m.Out.Text)
			if m.Out.Text == "a" && m.at.Sub(start) < time.Second-50*time.Millisecond {
				t.Errorf("the throttled message went again after %v, before its retry_after", m.at.Sub(start))
			}
		}
	}
	if !slices.Equal(one, []string{"", "a", "b", "", "d"}) {
		t.Errorf("the paused conversation got %q", one)
	}
	if n := testutil.ToFloat64(o.metrics.TooMany); n != 1 {
		t.Errorf("%v 429s counted", n)
	}
}

func TestSeveral429sSlowTheGlobalRate(t *testing.T) {
	t.Parallel()
	s := newScript(func(m Message, attempt int) error {
		if attempt == 1 && !m.Ack {
			return &Throttled{After: time.Second}
		}
		return nil
	})
	o, pacer, _ := testOutbox(t, s, 25)
	for i := range throttleBurst {
		o.send(context.Background(), LaneReply, time.Time{}, 0, reply(conv(int64(i)), "x"))
	}
	s.waitFor(t, 2*throttleBurst)
	pacer.mu.Lock()
	defer pacer.mu.Unlock()
	if pacer.slows != 1 {
		t.Errorf("the rate was slowed %d times after %d 429s together, want once", pacer.slows, throttleBurst)
	}
}

func TestBlockedMarksThePerson(t *testing.T) {
	t.Parallel()
	s := newScript(func(m Message, _ int) error {
		if m.Conv.ID == 1 && !m.Ack {
			return ErrBlocked
		}
		return nil
	})
	o, _, blocked := testOutbox(t, s, 25)
	o.send(context.Background(), LaneReply, time.Time{}, 0, reply(conv(1), "a", "b"))
	if got := s.all(); len(got) != 1 {
		t.Errorf("%d messages went out to a person who blocked the bot, want the answer to the press", len(got))
	}
	if want := []blockedCall{{"test", 1001}}; !slices.Equal(*blocked, want) {
		t.Errorf("marked %v, want the person %v", *blocked, want)
	}
}

func TestPassingFailuresAreRetriedInOrder(t *testing.T) {
	t.Parallel()
	s := newScript(func(m Message, attempt int) error {
		if m.Out.Text == "a" && attempt <= 2 {
			return errors.New("502 Bad Gateway")
		}
		return nil
	})
	o, _, _ := testOutbox(t, s, 25)
	o.send(context.Background(), LaneReply, time.Time{}, 0, reply(conv(1), "a", "b"))
	got := s.waitFor(t, 3)
	if got[1].Out.Text != "a" || got[2].Out.Text != "b" {
		t.Errorf("sent %+v", got)
	}
}

func TestGoneMessageIsSentAnew(t *testing.T) {
	t.Parallel()
	s := newScript(func(m Message, _ int) error {
		if m.Out.Replace {
			return ErrNoTarget
		}
		return nil
	})
	o, _, _ := testOutbox(t, s, 25)
	msgs := reply(conv(1), "screen")
	msgs[1].Out.Replace = true
	o.send(context.Background(), LaneReply, time.Time{}, 0, msgs)
	if got := s.all(); len(got) != 2 || got[1].Out.Text != "screen" || got[1].Out.Replace {
		t.Errorf("sent %+v, want the screen as a new message", got)
	}
}

func TestNoticesKeepTheRateAndGoBeforeBulk(t *testing.T) {
	t.Parallel()
	s := newScript(nil)
	const rate = 20
	o, _, _ := testOutbox(t, s, rate)
	for i := range 10 {
		o.send(context.Background(), LaneBulk, time.Time{}, 0, []Message{{Conv: conv(int64(100 + i)), Out: flows.Output{Text: "bulk"}}})
	}
	time.Sleep(30 * time.Millisecond)
	for i := range 5 {
		o.send(context.Background(), LaneNotice, time.Time{}, 0, []Message{{Conv: conv(int64(200 + i)), Out: flows.Output{Text: "notice"}}})
	}
	got := s.waitFor(t, 15)
	if elapsed := got[14].at.Sub(got[0].at); elapsed < 14*time.Second/rate-50*time.Millisecond {
		t.Errorf("15 messages went out in %v, faster than %d a second", elapsed, rate)
	}
	lastNotice, bulkBefore := 0, 0
	for i, m := range got {
		if m.Out.Text == "notice" {
			lastNotice = i
		}
	}
	for _, m := range got[:lastNotice] {
		if m.Out.Text == "bulk" {
			bulkBefore++
		}
	}
	if bulkBefore > 3 {
		t.Errorf("%d broadcast messages went out before the last notice; notices go first", bulkBefore)
	}
}

func TestUnsolicitedAtMostOneASecondInAConversation(t *testing.T) {
	t.Parallel()
	s := newScript(nil)
	o, _, _ := testOutbox(t, s, 25)
	for range 3 {
		o.send(context.Background(), LaneNotice, time.Time{}, 0, []Message{{Conv: conv(1), Out: flows.Output{Text: "n"}}})
	}
	got := s.waitFor(t, 3)
	for i := 1; i < 3; i++ {
		if gap := got[i].at.Sub(got[i-1].at); gap < ChatEvery-50*time.Millisecond {
			t.Errorf("notices %d and %d went %v apart", i, i+1, gap)
		}
	}
}

func TestStopDropsWhatWaitsAndSendsNothingMore(t *testing.T) {
	t.Parallel()
	s := newScript(func(Message, int) error { return errors.New("connection refused") })
	o, _, _ := testOutbox(t, s, 25)
	o.send(context.Background(), LaneReply, time.Time{}, 0, reply(conv(1), "a"))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	begun := time.Now()
	o.stop(ctx)
	if d := time.Since(begun); d > 2*time.Second {
		t.Errorf("the stop took %v with a 300 ms deadline", d)
	}
	s.mu.Lock()
	tries := len(s.tries)
	attempts := s.tries[fmt.Sprint(int64(1), true, "", false)]
	s.mu.Unlock()
	time.Sleep(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.tries) != tries || s.tries[fmt.Sprint(int64(1), true, "", false)] != attempts {
		t.Error("the outbox tried again after it stopped")
	}
}

// A reply to a conversation another replica was told to pause (a 429)
// waits the pause out.
func TestReplyWaitsOutAPause(t *testing.T) {
	t.Parallel()
	s := newScript(nil)
	o, _, _ := testOutbox(t, s, 25)
	const pause = 300 * time.Millisecond
	begun := time.Now()
	o.send(context.Background(), LaneReply, time.Time{}, pause, reply(conv(1), "a"))
	got := s.waitFor(t, 2)
	if waited := got[0].at.Sub(begun); waited < pause {
		t.Errorf("the reply went out %v after it was handed over, within the %v pause", waited, pause)
	}
}

// A reply goes ahead of the notices that wait in its conversation: the
// person who just pressed a button is not kept behind a reminder.
func TestReplyGoesAheadOfWaitingNotices(t *testing.T) {
	t.Parallel()
	s := newScript(nil)
	o, _, _ := testOutbox(t, s, 25)
	for _, text := range []string{"n1", "n2", "n3"} {
		o.send(context.Background(), LaneNotice, time.Time{}, 0, []Message{{Conv: conv(1), Out: flows.Output{Text: text}}})
	}
	s.waitFor(t, 1) // n1; n2 and n3 wait for the conversation's slot
	o.send(context.Background(), LaneReply, time.Time{}, 0, reply(conv(1), "answer"))
	var order []string
	for _, m := range s.waitFor(t, 5) {
		if !m.Ack {
			order = append(order, m.Out.Text)
		}
	}
	if want := []string{"n1", "answer", "n2", "n3"}; !slices.Equal(order, want) {
		t.Errorf("sent in the order %q, want %q", order, want)
	}
}
