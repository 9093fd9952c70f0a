package session_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"hoctap/flows"
	"hoctap/session"
	"hoctap/session/sessiontest"
)

func TestStateRevisionCheck(t *testing.T) {
	s, _, _ := sessiontest.New(t)
	ctx := context.Background()
	if _, ok, err := s.Load(ctx, 1); ok || err != nil {
		t.Fatalf("a new chat has a state: %v %v", ok, err)
	}
	a := flows.State{Lang: "vi", Step: "menu", Person: 7}
	if err := s.Save(ctx, 1, &a); err != nil || a.Rev != 1 {
		t.Fatalf("first save: %v, rev %d", err, a.Rev)
	}
	b, ok, err := s.Load(ctx, 1)
	if !ok || err != nil || b != a {
		t.Fatalf("loaded %+v, want %+v (%v)", b, a, err)
	}
	// Two writers from the same revision: the first wins, the second is told.
	c := b
	b.Step = "walk"
	if err := s.Save(ctx, 1, &b); err != nil {
		t.Fatal(err)
	}
	c.Step = "name"
	if err := s.Save(ctx, 1, &c); !errors.Is(err, flows.ErrConflict) {
		t.Errorf("second writer: %v, want ErrConflict", err)
	}
	if got, _, _ := s.Load(ctx, 1); got.Step != "walk" {
		t.Errorf("stored step %q, want walk", got.Step)
	}
	// A state saved from revision 0 after the key was lost is a conflict
	// only when another writer recreated it.
	if err := s.Forget(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Load(ctx, 1); ok {
		t.Error("state still there after Forget")
	}
	stale := flows.State{Rev: 2}
	if err := s.Save(ctx, 1, &stale); !errors.Is(err, flows.ErrConflict) {
		t.Errorf("saving revision 2 over nothing: %v", err)
	}
}

func TestTurnsOfOneChatNeverOverlap(t *testing.T) {
	s, _, _ := sessiontest.New(t)
	ctx := context.Background()
	var mu sync.Mutex
	inside, most := 0, 0
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			turn, err := s.Begin(ctx, 5, fmt.Sprintf("tg:%d", i), time.Second, 5*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			inside++
			most = max(most, inside)
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
			mu.Lock()
			inside--
			mu.Unlock()
			turn.Abort(ctx)
		}()
	}
	wg.Wait()
	if most != 1 {
		t.Errorf("%d turns of one chat at once", most)
	}
	// A lock whose holder died frees itself after its TTL.
	if _, err := s.Begin(ctx, 6, "tg:a", 200*time.Millisecond, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Begin(ctx, 6, "tg:b", time.Second, 2*time.Second); err != nil {
		t.Errorf("after the TTL: %v", err)
	}
}

func TestTurn(t *testing.T) {
	s, _, _ := sessiontest.New(t)
	ctx := context.Background()
	turn, err := s.Begin(ctx, 9, "tg:1", time.Second, time.Second)
	if err != nil || turn.Duplicate || turn.Found {
		t.Fatalf("first update: %+v %v", turn, err)
	}
	// While the turn holds the chat, another update of the chat waits.
	if _, err := s.Begin(ctx, 9, "tg:2", time.Second, 30*time.Millisecond); !errors.Is(err, session.ErrLocked) {
		t.Errorf("second update while the first runs: %v, want ErrLocked", err)
	}
	st := flows.State{Step: "menu", Lang: "en"}
	if err := turn.Finish(ctx, &st); err != nil || st.Rev != 1 {
		t.Fatalf("finish: %v, rev %d", err, st.Rev)
	}
	// The same update again is a duplicate and leaves the chat free.
	again, err := s.Begin(ctx, 9, "tg:1", time.Second, time.Second)
	if err != nil || !again.Duplicate {
		t.Fatalf("duplicate: %+v %v", again, err)
	}
	next, err := s.Begin(ctx, 9, "tg:2", time.Second, time.Second)
	if err != nil || next.Duplicate || !next.Found || next.State != st {
		t.Fatalf("next update: %+v %v", next, err)
	}
	// A failed update frees the chat and is taken again on redelivery.
	next.Abort(ctx)
	retry, err := s.Begin(ctx, 9, "tg:2", time.Second, time.Second)
	if err != nil || retry.Duplicate {
		t.Fatalf("redelivery after abort: %+v %v", retry, err)
	}
	// A stale save loses and still frees the chat.
	stale := flows.State{Rev: 0}
	if err := retry.Finish(ctx, &stale); !errors.Is(err, flows.ErrConflict) {
		t.Errorf("stale finish: %v", err)
	}
	if _, err := s.Begin(ctx, 9, "tg:3", time.Second, 30*time.Millisecond); err != nil {
		t.Errorf("the chat is still locked after a lost save: %v", err)
	}
}

func TestHoldLatest(t *testing.T) {
	s, _, _ := sessiontest.New(t)
	ctx := context.Background()
	// Two replicas hold an album's confirmation; only the last sends.
	a, _ := s.Hold(ctx, "7:album:1")
	b, _ := s.Hold(ctx, "7:album:1")
	if last, err := s.Latest(ctx, "7:album:1", a); last || err != nil {
		t.Errorf("the first hold is latest: %v %v", last, err)
	}
	if last, err := s.Latest(ctx, "7:album:1", b); !last || err != nil {
		t.Errorf("the last hold is not latest: %v %v", last, err)
	}
	if last, _ := s.Latest(ctx, "7:album:1", b); last {
		t.Error("the last hold sends twice")
	}
}
