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
	rev, doc, ok := strings.Cut(raw, "|")
	if !ok {
		return st, false, nil // not ours: rebuild
	}
	if err := json.Unmarshal([]byte(doc), &st); err != nil {
		return st, false, nil // unreadable: rebuild
	}
	if st.Rev, err = strconv.Atoi(rev); err != nil {
		return st, false, nil
	}
	return st, true, nil
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

// FirstSeen records an update key and reports whether it is new: false
// means the update was taken before and is to be skipped.
func (s *Store) FirstSeen(ctx context.Context, key string) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.key("up", key), 1, SeenTTL).Result()
	if err != nil {
		return false, fmt.Errorf("record update: %w", err)
	}
	return ok, nil
}

// Unsee forgets an update key, so that an update whose handling failed is
// taken again when it is delivered again.
func (s *Store) Unsee(ctx context.Context, key string) error {
	return s.rdb.Del(ctx, s.key("up", key)).Err()
}

var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// ErrLocked is returned when a chat's lock could not be taken in time.
var ErrLocked = errors.New("chat is locked by another worker")

// Lock takes a chat's lock, so that replicas handle one chat's updates one
// at a time; it waits up to wait, and the lock frees itself after ttl if its
// holder dies. The returned function releases it.
func (s *Store) Lock(ctx context.Context, chat int64, ttl, wait time.Duration) (func(), error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	token := hex.EncodeToString(b[:])
	key := s.key("lk", chatID(chat))
	deadline := time.Now().Add(wait)
	delay := 2 * time.Millisecond
	for {
		ok, err := s.rdb.SetNX(ctx, key, token, ttl).Result()
		if err != nil {
			return nil, fmt.Errorf("lock chat: %w", err)
		}
		if ok {
			return func() {
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
				defer cancel()
				unlockScript.Run(ctx, s.rdb, []string{key}, token)
			}, nil
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

// Ping checks Redis is reachable.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }
