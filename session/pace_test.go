package session_test

import (
	"context"
	"testing"
	"time"

	"hoctap/flows"
	"hoctap/session"
	"hoctap/session/sessiontest"
)

func TestGateAndPause(t *testing.T) {
	t.Parallel()
	s, _, _ := sessiontest.New(t)
	ctx := context.Background()
	a, b := flows.Conv{Channel: "telegram", ID: 1}, flows.Conv{Channel: "telegram", ID: 2}
	if wait, err := s.Gate(ctx, a, time.Second); wait != 0 || err != nil {
		t.Fatalf("first message: wait %v, %v", wait, err)
	}
	if wait, _ := s.Gate(ctx, a, time.Second); wait <= 0 || wait > time.Second {
		t.Errorf("second message at once: wait %v, want up to a second", wait)
	}
	if wait, _ := s.Gate(ctx, b, time.Second); wait != 0 {
		t.Errorf("another conversation waits %v", wait)
	}
	if err := s.Pause(ctx, b, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if wait, _ := s.Gate(ctx, b, time.Second); wait < 4*time.Second {
		t.Errorf("after a 5 s pause: wait %v", wait)
	}
	// A turn of the paused conversation, on any replica, learns how long
	// its reply must wait; one of another conversation does not wait.
	for _, c := range []struct {
		conv   flows.Conv
		paused bool
	}{{b, true}, {a, false}} {
		begun, err := s.Begin(ctx, c.conv, "k1", time.Second, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		begun.Lock.Release(ctx)
		if got := begun.Paused > 4*time.Second; got != c.paused {
			t.Errorf("%v: a turn begun is told its sending is paused %v", c.conv, begun.Paused)
		}
	}
}

func TestTakeKeepsTheRate(t *testing.T) {
	t.Parallel()
	s, _, _ := sessiontest.New(t)
	ctx := context.Background()
	if wait, err := s.Take(ctx, 20); wait != 0 || err != nil {
		t.Fatalf("first message: wait %v, %v", wait, err)
	}
	wait, err := s.Take(ctx, 20)
	if err != nil || wait <= 0 || wait > 50*time.Millisecond {
		t.Errorf("second message at once, at 20/s: wait %v, %v", wait, err)
	}
	time.Sleep(wait)
	if wait, _ := s.Take(ctx, 20); wait != 0 {
		t.Errorf("after waiting: wait %v", wait)
	}
	// Slowed, the interval doubles.
	if err := s.Slow(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if wait, _ := s.Take(ctx, 20); wait != 0 {
		t.Fatalf("slowed, after 50 ms: wait %v", wait)
	}
	if wait, _ := s.Take(ctx, 20); wait <= 50*time.Millisecond || wait > 100*time.Millisecond {
		t.Errorf("slowed, at once: wait %v, want 50 to 100 ms", wait)
	}
}

func TestPrefixWithoutBraces(t *testing.T) {
	t.Parallel()
	if _, err := session.New(sessiontest.Client(t), "hoctap:{x}:"); err == nil {
		t.Error("a prefix with a hash tag of its own is taken")
	}
}
