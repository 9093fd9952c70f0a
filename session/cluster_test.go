package session_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"hoctap/flows"
	"hoctap/session"
	"hoctap/session/sessiontest"
)

// The per-input scripts on Redis Cluster: a one-node cluster of the test's
// own owns every slot, and still refuses a script whose keys are in two
// slots (CROSSSLOT), so a turn's keys must share their conversation's.
func TestScriptsOnRedisCluster(t *testing.T) {
	t.Parallel()
	addr := sessiontest.StartServer(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	ctx := context.Background()
	node := redis.NewClient(&redis.Options{Addr: addr})
	defer node.Close()
	if err := node.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, _ := node.ClusterInfo(ctx).Result()
		if strings.Contains(info, "cluster_state:ok") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cluster is not ok after 10 s: %s", info)
		}
		time.Sleep(50 * time.Millisecond)
	}
	rdb, err := session.Connect("redis+cluster://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	s, err := session.New(rdb, "hoctap:")
	if err != nil {
		t.Fatal(err)
	}
	conv := flows.Conv{Channel: "telegram", ID: 42}

	// The keys of one conversation are in one slot.
	slots := map[int64]bool{}
	for _, key := range s.Keys(conv, "tg:99") {
		slot, err := node.ClusterKeySlot(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		slots[slot] = true
	}
	if len(slots) != 1 {
		t.Errorf("a conversation's keys are in %d slots", len(slots))
	}

	// Every script a turn and the pace run.
	b, err := s.Begin(ctx, conv, "tg:99", time.Second, time.Second)
	if err != nil || b.Duplicate {
		t.Fatalf("begin: %+v %v", b, err)
	}
	env := flows.Envelope{Module: "e", V: 1, Lang: "vi", Data: []byte(`{}`)}
	if err := b.Lock.Finish(ctx, &env); err != nil {
		t.Fatalf("finish: %v", err)
	}
	if b, err = s.Begin(ctx, conv, "tg:100", time.Second, time.Second); err != nil || !b.Found {
		t.Fatalf("the next turn: %+v %v", b, err)
	}
	b.Lock.Abort(ctx)
	if err := s.Save(ctx, conv, &env); err != nil {
		t.Fatalf("save: %v", err)
	}
	if _, err := s.Gate(ctx, conv, time.Second); err != nil {
		t.Fatalf("gate: %v", err)
	}
	if err := s.Pause(ctx, conv, time.Second); err != nil {
		t.Fatalf("pause: %v", err)
	}
	if _, err := s.Take(ctx, 25); err != nil {
		t.Fatalf("take: %v", err)
	}
	if err := s.Slow(ctx, time.Second); err != nil {
		t.Fatalf("slow: %v", err)
	}

	// What a key without the hash tag would have done.
	bad := redis.NewScript(`return redis.call('GET', KEYS[1])`)
	if err := bad.Run(ctx, rdb, []string{"hoctap:telegram:42:st", "hoctap:telegram:42:lk"}).Err(); err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
		t.Errorf("two slots in one script: %v, want CROSSSLOT (the test would not see the mistake)", err)
	}
}
