package session_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"hoctap/flows"
	"hoctap/session"
	"hoctap/session/sessiontest"
)

func TestStateRevisionCheck(t *testing.T) {
	t.Parallel()
	s, _, _ := sessiontest.New(t)
	ctx := context.Background()
	conv := flows.Conv{Channel: "telegram", ID: 1}
	if _, ok, err := s.Load(ctx, conv); ok || err != nil {
		t.Fatalf("a new conversation has a state: %v %v", ok, err)
	}
	a := flows.Envelope{Module: "e", V: 1, Lang: "vi", Person: 7, Data: []byte(`{"s":"menu","n":"a|b"}`)}
	if err := s.Save(ctx, conv, &a); err != nil || a.Rev != 1 {
		t.Fatalf("first save: %v, rev %d", err, a.Rev)
	}
	b, ok, err := s.Load(ctx, conv)
	if !ok || err != nil || !reflect.DeepEqual(b, a) {
		t.Fatalf("loaded %+v, want %+v (%v)", b, a, err)
	}
	// Two writers from the same revision: the first wins, the second is told.
	c := b
	b.Data = []byte(`{"s":"walk"}`)
	if err := s.Save(ctx, conv, &b); err != nil {
		t.Fatal(err)
	}
	c.Data = []byte(`{"s":"name"}`)
	if err := s.Save(ctx, conv, &c); !errors.Is(err, flows.ErrConflict) {
		t.Errorf("second writer: %v, want ErrConflict", err)
	}
	if got, _, _ := s.Load(ctx, conv); string(got.Data) != `{"s":"walk"}` {
		t.Errorf("stored %s, want the first writer's", got.Data)
	}
	// Another conversation of the same id on another channel is another.
	if _, ok, _ := s.Load(ctx, flows.Conv{Channel: "terminal", ID: 1}); ok {
		t.Error("the terminal's conversation 1 has telegram's state")
	}
	// A state saved from revision 0 after the key was lost is a conflict
	// only when another writer recreated it.
	if err := s.Forget(ctx, conv); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Load(ctx, conv); ok {
		t.Error("state still there after Forget")
	}
	stale := flows.Envelope{Rev: 2}
	if err := s.Save(ctx, conv, &stale); !errors.Is(err, flows.ErrConflict) {
		t.Errorf("saving revision 2 over nothing: %v", err)
	}
}

// A state that cannot be read (a format of an older release, a corrupt
// value) is not Found, and the turn's save from revision 0 replaces it.
func TestUnreadableStateIsReplaced(t *testing.T) {
	t.Parallel()
	s, rdb, _ := sessiontest.New(t)
	ctx := context.Background()
	conv := flows.Conv{Channel: "telegram", ID: 3}
	for _, raw := range []string{`7|{"r":1,"s":"walk"}`, "garbage", "9|e|x|vi|1|{}"} {
		if err := rdb.Set(ctx, s.Keys(conv, "k")[0], raw, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		b, err := s.Begin(ctx, conv, "k:"+raw, time.Second, time.Second)
		if err != nil || b.Found {
			t.Fatalf("%q: %+v %v", raw, b, err)
		}
		env := flows.Envelope{Rev: b.State.Rev, Module: "e", V: 1, Lang: "vi"}
		if err := b.Lock.Finish(ctx, &env); err != nil {
			t.Errorf("%q: saving over it: %v", raw, err)
		}
	}
}

// The album the state remembers reads back; a state of the release before
// albums (six fields) reads with none.
func TestAlbumIsKept(t *testing.T) {
	t.Parallel()
	s, rdb, _ := sessiontest.New(t)
	ctx := context.Background()
	conv := flows.Conv{Channel: "telegram", ID: 4}
	a := flows.Envelope{Module: "s", V: 1, Lang: "en", Person: 9, Album: "13942", Data: []byte(`{"s":"walk"}`)}
	if err := s.Save(ctx, conv, &a); err != nil {
		t.Fatal(err)
	}
	if b, ok, err := s.Load(ctx, conv); !ok || err != nil || !reflect.DeepEqual(b, a) {
		t.Errorf("loaded %+v, want %+v (%v)", b, a, err)
	}
	if err := rdb.Set(ctx, s.Keys(conv, "k")[0], `5|s|1|vi|9|{"s":"walk"}`, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	want := flows.Envelope{Rev: 5, Module: "s", V: 1, Lang: "vi", Person: 9, Data: []byte(`{"s":"walk"}`)}
	if b, ok, err := s.Load(ctx, conv); !ok || err != nil || !reflect.DeepEqual(b, want) {
		t.Errorf("an older state loaded as %+v, want %+v (%v)", b, want, err)
	}
}

func TestTurnsOfOneConversationNeverOverlap(t *testing.T) {
	t.Parallel()
	s, _, _ := sessiontest.New(t)
	conv := func(id int64) flows.Conv { return flows.Conv{Channel: "telegram", ID: id} }
	ctx := context.Background()
	var mu sync.Mutex
	inside, most := 0, 0
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := s.Begin(ctx, conv(5), fmt.Sprintf("tg:%d", i), time.Second, 5*time.Second)
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
			b.Lock.Abort(ctx)
		}()
	}
	wg.Wait()
	if most != 1 {
		t.Errorf("%d turns of one chat at once", most)
	}
	// A lock whose holder died frees itself after its TTL.
	if _, err := s.Begin(ctx, conv(6), "tg:a", 200*time.Millisecond, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Begin(ctx, conv(6), "tg:b", time.Second, 2*time.Second); err != nil {
		t.Errorf("after the TTL: %v", err)
	}
}

func TestTurn(t *testing.T) {
	t.Parallel()
	s, _, _ := sessiontest.New(t)
	ctx := context.Background()
	conv := flows.Conv{Channel: "telegram", ID: 9}
	turn, err := s.Begin(ctx, conv, "tg:1", time.Second, time.Second)
	if err != nil || turn.Duplicate || turn.Found {
		t.Fatalf("first update: %+v %v", turn, err)
	}
	// While the turn holds the conversation, another input of it waits.
	if _, err := s.Begin(ctx, conv, "tg:2", time.Second, 30*time.Millisecond); !errors.Is(err, session.ErrLocked) {
		t.Errorf("second update while the first runs: %v, want ErrLocked", err)
	}
	env := flows.Envelope{Module: "e", V: 1, Lang: "en", Data: []byte(`{"s":"menu"}`)}
	if err := turn.Lock.Finish(ctx, &env); err != nil || env.Rev != 1 {
		t.Fatalf("finish: %v, rev %d", err, env.Rev)
	}
	// The same update again is a duplicate and leaves the conversation free.
	again, err := s.Begin(ctx, conv, "tg:1", time.Second, time.Second)
	if err != nil || !again.Duplicate {
		t.Fatalf("duplicate: %+v %v", again, err)
	}
	next, err := s.Begin(ctx, conv, "tg:2", time.Second, time.Second)
	if err != nil || next.Duplicate || !next.Found || !reflect.DeepEqual(next.State, env) {
		t.Fatalf("next update: %+v %v", next, err)
	}
	// A failed update frees the conversation and is taken again on redelivery.
	next.Lock.Abort(ctx)
	retry, err := s.Begin(ctx, conv, "tg:2", time.Second, time.Second)
	if err != nil || retry.Duplicate {
		t.Fatalf("redelivery after abort: %+v %v", retry, err)
	}
	// A stale save loses and still frees the conversation.
	stale := flows.Envelope{Rev: 0}
	if err := retry.Lock.Finish(ctx, &stale); !errors.Is(err, flows.ErrConflict) {
		t.Errorf("stale finish: %v", err)
	}
	if _, err := s.Begin(ctx, conv, "tg:3", time.Second, 30*time.Millisecond); err != nil {
		t.Errorf("the conversation is still locked after a lost save: %v", err)
	}
}
