// Package session keeps what is hot and can be rebuilt in Redis: the
// conversation states, the de-duplication of updates and the per-chat locks.
// Every key has a TTL and starts with the store's prefix; losing all of them
// costs speed, never correctness.
package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"hoctap/flows"
)

// Defaults for the TTLs.
const (
	StateTTL = 30 * 24 * time.Hour // a conversation idle longer is rebuilt from PostgreSQL
	SeenTTL  = 24 * time.Hour      // Telegram keeps undelivered updates as long
)

// Store is the Redis side of hoctap.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
}

// New returns a store whose keys all start with prefix (e.g. "hoctap:").
func New(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: prefix, ttl: StateTTL}
}

func (s *Store) key(kind string, id string) string { return s.prefix + kind + ":" + id }

func chatID(chat int64) string { return strconv.FormatInt(chat, 10) }

// Load returns a chat's conversation state.
func (s *Store) Load(ctx context.Context, chat int64) (flows.State, bool, error) {
	var st flows.State
	raw, err := s.rdb.Get(ctx, s.key("st", chatID(chat))).Result()
	if errors.Is(err, redis.Nil) {
		return st, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("get state: %w", err)
	}
	st, ok := decodeState(raw) // a state that is not ours is rebuilt
	return st, ok, nil
}

// saveScript sets the state only if the stored revision is the expected one
// (0 when there is none). The value is "rev|json".
var saveScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
local rev = 0
if cur then rev = tonumber(string.match(cur, '^(%d+)|')) or -1 end
if rev ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`)

// Save stores st if the stored state is still at st.Rev and bumps st.Rev;
// flows.ErrConflict when another writer won.
func (s *Store) Save(ctx context.Context, chat int64, st *flows.State) error {
	doc, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	next := st.Rev + 1
	value := strconv.Itoa(next) + "|" + string(doc)
	ok, err := saveScript.Run(ctx, s.rdb, []string{s.key("st", chatID(chat))}, st.Rev, value, s.ttl.Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if ok == 0 {
		return flows.ErrConflict
	}
	st.Rev = next
	return nil
}

// Forget deletes a chat's state.
func (s *Store) Forget(ctx context.Context, chat int64) error {
	return s.rdb.Del(ctx, s.key("st", chatID(chat))).Err()
}

var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// ErrLocked is returned when a chat's lock could not be taken in time.
var ErrLocked = errors.New("chat is locked by another worker")

// beginScript takes a chat's lock, records an update key and reads the
// chat's state, in one round trip. It returns {0} when the lock is held,
// {2} for an update seen before (the lock is left free), or {1, state}.
var beginScript = redis.NewScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {0} end
if not redis.call('SET', KEYS[2], 1, 'NX', 'EX', ARGV[3]) then
  redis.call('DEL', KEYS[1])
  return {2}
end
local st = redis.call('GET', KEYS[3])
if st then return {1, st} end
return {1}
`)

// finishScript saves a state if the stored one is at the expected revision
// and frees the chat's lock if it is still ours; 1 when saved.
var finishScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
local rev = 0
if cur then rev = tonumber(string.match(cur, '^(%d+)|')) or -1 end
local saved = 0
if rev == tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  saved = 1
end
if redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('DEL', KEYS[2]) end
return saved
`)

// Turn is the handling of one update of a chat, between Begin and Finish
// or Abort: the chat's lock is held.
type Turn struct {
	s         *Store
	chat      int64
	key       string
	token     string
	State     flows.State // the chat's state, when Found
	Found     bool
	Duplicate bool // the update was taken before: do nothing, the lock is not held
}

// Begin takes the chat's lock (waiting up to wait; the lock frees itself
// after ttl), records the update's key and loads the chat's state, in one
// round trip when the lock is free.
func (s *Store) Begin(ctx context.Context, chat int64, key string, ttl, wait time.Duration) (*Turn, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	t := &Turn{s: s, chat: chat, key: key, token: hex.EncodeToString(b[:])}
	keys := []string{s.key("lk", chatID(chat)), s.key("up", key), s.key("st", chatID(chat))}
	deadline := time.Now().Add(wait)
	delay := 2 * time.Millisecond
	for {
		res, err := beginScript.Run(ctx, s.rdb, keys, t.token, ttl.Milliseconds(), int(SeenTTL.Seconds())).Slice()
		if err != nil {
			return nil, fmt.Errorf("begin update: %w", err)
		}
		switch res[0].(int64) {
		case 2:
			t.Duplicate = true
			return t, nil
		case 1:
			if len(res) > 1 {
				raw, _ := res[1].(string)
				t.State, t.Found = decodeState(raw)
			}
			return t, nil
		}
		if time.Now().After(deadline) {
			return nil, ErrLocked
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 100*time.Millisecond)
	}
}

// decodeState reads a stored "rev|json" state; false when it is not one.
func decodeState(raw string) (flows.State, bool) {
	var st flows.State
	rev, doc, ok := strings.Cut(raw, "|")
	if !ok || json.Unmarshal([]byte(doc), &st) != nil {
		return st, false
	}
	n, err := strconv.Atoi(rev)
	if err != nil {
		return st, false
	}
	st.Rev = n
	return st, true
}

// Finish saves the state (if the stored one is still at st.Rev, bumping
// st.Rev) and frees the lock, in one round trip; flows.ErrConflict when
// another writer won.
func (t *Turn) Finish(ctx context.Context, st *flows.State) error {
	doc, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	next := st.Rev + 1
	keys := []string{t.s.key("st", chatID(t.chat)), t.s.key("lk", chatID(t.chat))}
	ok, err := finishScript.Run(ctx, t.s.rdb, keys, st.Rev, strconv.Itoa(next)+"|"+string(doc), t.s.ttl.Milliseconds(), t.token).Int()
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if ok == 0 {
		return flows.ErrConflict
	}
	st.Rev = next
	return nil
}

// Abort frees the lock and forgets the update's key, so that the update is
// taken again when it is delivered again.
func (t *Turn) Abort(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	pipe := t.s.rdb.Pipeline()
	unlockScript.Eval(ctx, pipe, []string{t.s.key("lk", chatID(t.chat))}, t.token)
	pipe.Del(ctx, t.s.key("up", t.key))
	pipe.Exec(ctx)
}

// latestScript deletes a hold and returns 1 if its count is still n.
var latestScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
`)

// Hold counts one more output held back under key (an album's
// confirmation) and returns its number; across replicas, only the holder of
// the last number sends (see Latest).
func (s *Store) Hold(ctx context.Context, key string) (int64, error) {
	k := s.key("co", key)
	pipe := s.rdb.TxPipeline()
	n := pipe.Incr(ctx, k)
	pipe.Expire(ctx, k, time.Minute)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("hold output: %w", err)
	}
	return n.Val(), nil
}

// Latest reports whether hold n is still the last under key, and if so
// clears it.
func (s *Store) Latest(ctx context.Context, key string, n int64) (bool, error) {
	ok, err := latestScript.Run(ctx, s.rdb, []string{s.key("co", key)}, n).Int()
	if err != nil {
		return false, fmt.Errorf("check held output: %w", err)
	}
	return ok == 1, nil
}
