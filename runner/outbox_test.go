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
	o.send(context.Background(), LaneReply, time.Time{}, 0, reply(conv(1), "1", "2", "3", "4", "5"), nil)
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
	o.send(context.Background(), LaneReply, time.Time{}, 0, reply(conv(1), "a", "b"), nil)
	o.send(context.Background(), LaneReply, time.Time{}, 0, reply(conv(2), "c"), nil)
	if got := s.all(); len(got) != 3 || got[2].Out.Text != "c" {
		t.Fatalf("another conversation's reply waited: %+v", got)
	}
	// A reply to the paused conversation waits behind what it holds.
	o.send(context.Background(), LaneReply, time.Time{}, 0, reply(conv(1), "d"), nil)
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
		o.send(context.Background(), LaneReply, time.Time{}, 0, reply(conv(int64(i)), "x"), nil)
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
	o.send(context.Background(), LaneReply, time.Time{}, 0, reply(conv(1), "a", "b"), nil)
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
	o.send(context.Background(), LaneReply, time.Time{}, 0, reply(conv(1), "a", "b"), nil)
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
	o.send(context.Background(), LaneReply, time.Time{}, 0, msgs, nil)
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
		o.send(context.Background(), LaneBulk, time.Time{}, 0, []Message{{Conv: conv(int64(100 + i)), Out: flows.Output{Text: "bulk"}}}, nil)
	}
	time.Sleep(30 * time.Millisecond)
	for i := range 5 {
		o.send(context.Background(), LaneNotice, time.Time{}, 0, []Message{{Conv: conv(int64(200 + i)), Out: flows.Output{Text: "notice"}}}, nil)
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
		o.send(context.Background(), LaneNotice, time.Time{}, 0, []Message{{Conv: conv(1), Out: flows.Output{Text: "n"}}}, nil)
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
	o.send(context.Background(), LaneReply, time.Time{}, 0, reply(conv(1), "a"), nil)
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
	o.send(context.Background(), LaneReply, time.Time{}, pause, reply(conv(1), "a"), nil)
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
		o.send(context.Background(), LaneNotice, time.Time{}, 0, []Message{{Conv: conv(1), Out: flows.Output{Text: text}}}, nil)
	}
	s.waitFor(t, 1) // n1; n2 and n3 wait for the conversation's slot
	o.send(context.Background(), LaneReply, time.Time{}, 0, reply(conv(1), "answer"), nil)
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

// tracked sends notices with a tracker and returns what it was told.
func tracked(o *outbox, lane Lane, msgs []Message) <-chan error {
	told := make(chan error, 1)
	track := newTracker(context.Background(), func(err error) { told <- err })
	o.send(context.Background(), lane, time.Time{}, 0, msgs, track)
	track.settle(nil) // the turn that made them is over
	return told
}

func waitTold(t *testing.T, told <-chan error) error {
	t.Helper()
	select {
	case err := <-told:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the deliverer was not told in 10 s")
		return nil
	}
}

func TestDeliveredMessagesAreTold(t *testing.T) {
	t.Parallel()
	s := newScript(func(m Message, attempt int) error {
		switch m.Conv.ID {
		case 2:
			return ErrBlocked
		case 3:
			return &Throttled{After: 2 * time.Second}
		case 4:
			return &Refused{Reason: "Bad Request: chat not found"}
		}
		return nil
	})
	o, _, blocked := testOutbox(t, s, 100)
	notice := func(c flows.Conv, texts ...string) []Message {
		var msgs []Message
		for _, text := range texts {
			msgs = append(msgs, Message{Conv: c, User: c.ID + 1000, Out: flows.Output{Text: text}})
		}
		return msgs
	}
	shown := tracked(o, LaneNotice, notice(conv(1), "a", "b"))
	gone := tracked(o, LaneBulk, notice(conv(2), "c"))
	paused := tracked(o, LaneNotice, notice(conv(3), "d", "e"))
	refused := tracked(o, LaneBulk, notice(conv(4), "f"))
	if err := waitTold(t, shown); err != nil {
		t.Errorf("two notices shown: told %v, want nil", err)
	}
	if len(s.all()) < 2 {
		t.Errorf("told before the notices were sent: %+v", s.all())
	}
	if err := waitTold(t, gone); !errors.Is(err, ErrBlocked) {
		t.Errorf("a blocked person's notice: told %v, want ErrBlocked", err)
	}
	if len(*blocked) != 1 {
		t.Errorf("blocked calls %+v", *blocked)
	}
	var throttled *Throttled
	if err := waitTold(t, paused); !errors.As(err, &throttled) || throttled.After != 2*time.Second {
		t.Errorf("a throttled notice: told %v, want the 429's pause", err)
	}
	var refusal *Refused
	if err := waitTold(t, refused); !errors.As(err, &refusal) {
		t.Errorf("a refused notice: told %v, want *Refused", err)
	}
	// What a 429 took back is the deliverer's to send again: the outbox
	// does not send it after the pause.
	time.Sleep(2500 * time.Millisecond)
	for _, m := range s.all() {
		if m.Conv.ID == 3 {
			t.Errorf("a message taken back was sent: %+v", m)
		}
	}
}

func TestDeliveredAndStoppedIsTold(t *testing.T) {
	t.Parallel()
	s := newScript(nil)
	o, _, _ := testOutbox(t, s, 0.5) // one message every 2 s
	var told []<-chan error
	for i := range 3 {
		told = append(told, tracked(o, LaneBulk, []Message{{Conv: conv(int64(i + 1)), Out: flows.Output{Text: "x"}}}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	o.stop(ctx)
	stopped := 0
	for _, ch := range told {
		if err := waitTold(t, ch); errors.Is(err, ErrStopped) {
			stopped++
		} else if err != nil {
			t.Errorf("told %v", err)
		}
	}
	if sent := len(s.all()); sent+stopped != 3 || stopped == 0 {
		t.Errorf("%d sent and %d told stopped, want 3 in all, some stopped", sent, stopped)
	}
}

// TestWithdrawnWhenTheDelivererGivesUp: a tracked message whose
// deliverer stopped waiting before its turn to go is not sent, and the
// deliverer is told why.
func TestWithdrawnWhenTheDelivererGivesUp(t *testing.T) {
	t.Parallel()
	s := newScript(nil)
	o, _, _ := testOutbox(t, s, 1) // one a second: the third waits two
	var told []<-chan error
	var cancels []context.CancelFunc
	for i := range 3 {
		ctx, cancel := context.WithCancel(context.Background())
		cancels = append(cancels, cancel)
		ch := make(chan error, 1)
		track := newTracker(ctx, func(err error) { ch <- err })
		o.send(context.Background(), LaneBulk, time.Time{}, 0, []Message{{Conv: conv(int64(i + 1)), Out: flows.Output{Text: fmt.Sprint(i)}}}, track)
		track.settle(nil)
		told = append(told, ch)
	}
	cancels[2]()
	for i, ch := range told[:2] {
		if err := waitTold(t, ch); err != nil {
			t.Errorf("message %d: told %v", i, err)
		}
	}
	if err := waitTold(t, told[2]); !errors.Is(err, context.Canceled) {
		t.Errorf("the withdrawn message: told %v, want context.Canceled", err)
	}
	for _, m := range s.all() {
		if m.Out.Text == "2" {
			t.Errorf("the withdrawn message was sent")
		}
	}
}
