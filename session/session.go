// Package session keeps what is hot and can be rebuilt in Redis: the
// conversation states, the keys of inputs already taken, the
// per-conversation locks, and the shared pace of unsolicited messages. It
// implements the runner's Sessions and Pacer. Every key has a TTL and
// starts with the store's prefix; losing all of them costs speed, never
// correctness.
//
// A conversation's keys carry its channel and id as a hash tag —
// "hoctap:{telegram:42}:st" — so that the scripts of a turn touch one slot
// and run on Redis Cluster; the prefix must hold no braces.
package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"hoctap/flows"
	"hoctap/runner"
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

var (
	_ runner.Sessions = (*Store)(nil)
	_ runner.Pacer    = (*Store)(nil)
)

// New returns a store whose keys all start with prefix (e.g. "hoctap:").
func New(rdb redis.UniversalClient, prefix string) (*Store, error) {
	if strings.ContainsAny(prefix, "{}") {
		return nil, errors.New("the Redis key prefix must not contain { or }: they make the hash tag of Redis Cluster")
	}
	return &Store{rdb: rdb, prefix: prefix, ttl: StateTTL}, nil
}

// keys are a conversation's keys, all in the slot of its hash tag.
type keys struct{ state, lock, base string }

func (s *Store) keys(conv flows.Conv) keys {
	base := s.prefix + "{" + conv.String() + "}:"
	return keys{state: base + "st", lock: base + "lk", base: base}
}

func (k keys) seen(input string) string { return k.base + "in:" + input }
func (k keys) gate() string             { return k.base + "gate" }
func (k keys) pause() string            { return k.base + "pause" }

// Keys returns the keys a turn of the conversation uses with the input
// key, for tests that check they share a slot.
func (s *Store) Keys(conv flows.Conv, input string) []string {
	k := s.keys(conv)
	return []string{k.state, k.lock, k.seen(input), k.gate(), k.pause()}
}

// encode writes a stored state: "rev|module|version|lang|person|album|data".
func encode(rev int, env *flows.Envelope) string {
	var b strings.Builder
	b.Grow(40 + len(env.Album) + len(env.Data))
	b.WriteString(strconv.Itoa(rev))
	album := env.Album
	if strings.ContainsAny(album, "|{") {
		album = "" // not one a channel makes (Telegram's are digits); it would not read back
	}
	for _, f := range []string{env.Module, strconv.Itoa(env.V), env.Lang, strconv.FormatInt(env.Person, 10), album} {
		b.WriteByte('|')
		b.WriteString(f)
	}
	b.WriteByte('|')
	b.Write(env.Data)
	return b.String()
}

// decode reads a stored state; false when it is not one, with the
// revision it is stored at still read when it can be (a state of an older
// release), so that the turn's save replaces it. A state of the release
// before albums were kept (six fields) is read with no album.
func decode(raw string) (flows.Envelope, bool) {
	f := strings.SplitN(raw, "|", 7)
	rev, err := strconv.Atoi(f[0])
	if err != nil || rev < 0 {
		return flows.Envelope{}, false
	}
	switch len(f) {
	case 6:
		f = []string{f[0], f[1], f[2], f[3], f[4], "", f[5]}
	case 7:
	default:
		return flows.Envelope{Rev: rev}, false
	}
	v, err1 := strconv.Atoi(f[2])
	person, err2 := strconv.ParseInt(f[4], 10, 64)
	if err1 != nil || err2 != nil || strings.ContainsRune(f[5], '{') {
		return flows.Envelope{Rev: rev}, false
	}
	return flows.Envelope{Rev: rev, Module: f[1], V: v, Lang: f[3], Person: person, Album: f[5], Data: []byte(f[6])}, true
}

// revOf is the Lua that reads the revision of a stored state: 0 for none
// and for one without a revision; decode reads the same, so a turn saves
// over a state it could not read.
const revOf = `local function rev_of(cur)
  if not cur then return 0 end
  return tonumber(string.match(cur, '^(%d+)|')) or 0
end
`

// Load returns a conversation's state; false when there is none or it
// cannot be read.
func (s *Store) Load(ctx context.Context, conv flows.Conv) (flows.Envelope, bool, error) {
	raw, err := s.rdb.Get(ctx, s.keys(conv).state).Result()
	if errors.Is(err, redis.Nil) {
		return flows.Envelope{}, false, nil
	}
	if err != nil {
		return flows.Envelope{}, false, fmt.Errorf("get state: %w", err)
	}
	env, ok := decode(raw)
	return env, ok, nil
}

// saveScript sets the state only if the stored revision is the expected
// one (0 when there is none).
var saveScript = redis.NewScript(revOf + `
if rev_of(redis.call('GET', KEYS[1])) ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`)

// Save stores env if the stored state is still at env.Rev and bumps
// env.Rev; flows.ErrConflict when another writer won.
func (s *Store) Save(ctx context.Context, conv flows.Conv, env *flows.Envelope) error {
	next := env.Rev + 1
	ok, err := saveScript.Run(ctx, s.rdb, []string{s.keys(conv).state}, env.Rev, encode(next, env), s.ttl.Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if ok == 0 {
		return flows.ErrConflict
	}
	env.Rev = next
	return nil
}

// Forget deletes a conversation's state.
func (s *Store) Forget(ctx context.Context, conv flows.Conv) error {
	return s.rdb.Del(ctx, s.keys(conv).state).Err()
}

// ErrLocked is returned when a conversation's lock could not be taken in
// time.
var ErrLocked = errors.New("conversation is locked by another worker")

// beginScript takes a conversation's lock, records an input key and reads
// the state and how long the conversation's sending is paused (ms, after a
// 429), in one round trip. It returns {0} when the lock is held, {2} for an
// input seen before (the lock is left free), or {1, pause, state}.
var beginScript = redis.NewScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {0} end
if not redis.call('SET', KEYS[2], 1, 'NX', 'EX', ARGV[3]) then
  redis.call('DEL', KEYS[1])
  return {2}
end
local pause = redis.call('PTTL', KEYS[4])
if pause < 0 then pause = 0 end
local st = redis.call('GET', KEYS[3])
if st then return {1, pause, st} end
return {1, pause}
`)

// finishScript saves a state if the stored one is at the expected revision
// and frees the lock if it is still ours; 1 when saved.
var finishScript = redis.NewScript(revOf + `
local saved = 0
if rev_of(redis.call('GET', KEYS[1])) == tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  saved = 1
end
if redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('DEL', KEYS[2]) end
return saved
`)

// abortScript frees the lock if it is still ours and, given a second key,
// forgets the input.
var abortScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if KEYS[2] then redis.call('DEL', KEYS[2]) end
return 1
`)

// lock is a turn's hold on its conversation.
type lock struct {
	s     *Store
	keys  keys
	input string
	token string
}

// Begin takes the conversation's lock (waiting up to wait; the lock frees
// itself after ttl), records the input's key and loads the state, in one
// round trip when the lock is free. A state that cannot be read is not
// Found, and is overwritten by the turn's save.
func (s *Store) Begin(ctx context.Context, conv flows.Conv, input string, ttl, wait time.Duration) (runner.Begun, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return runner.Begun{}, err
	}
	l := &lock{s: s, keys: s.keys(conv), input: input, token: hex.EncodeToString(b[:])}
	ks := []string{l.keys.lock, l.keys.seen(input), l.keys.state, l.keys.pause()}
	deadline := time.Now().Add(wait)
	delay := 2 * time.Millisecond
	for {
		res, err := beginScript.Run(ctx, s.rdb, ks, l.token, ttl.Milliseconds(), int(SeenTTL.Seconds())).Slice()
		if err != nil {
			// The script may have run and its answer been lost: free what it
			// would have taken, so that a new delivery is taken again.
			l.Abort(ctx)
			return runner.Begun{}, fmt.Errorf("begin turn: %w", err)
		}
		switch res[0].(int64) {
		case 2:
			return runner.Begun{Duplicate: true}, nil
		case 1:
			begun := runner.Begun{Lock: l}
			if len(res) > 1 {
				ms, _ := res[1].(int64)
				begun.Paused = time.Duration(ms) * time.Millisecond
			}
			if len(res) > 2 {
				raw, _ := res[2].(string)
				begun.State, begun.Found = decode(raw)
			}
			return begun, nil
		}
		if time.Now().After(deadline) {
			return runner.Begun{}, ErrLocked
		}
		select {
		case <-ctx.Done():
			return runner.Begun{}, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 100*time.Millisecond)
	}
}

// Finish saves the state (if the stored one is still at env.Rev, bumping
// env.Rev) and frees the lock, in one round trip; flows.ErrConflict when
// another writer won.
func (l *lock) Finish(ctx context.Context, env *flows.Envelope) error {
	next := env.Rev + 1
	ok, err := finishScript.Run(ctx, l.s.rdb, []string{l.keys.state, l.keys.lock},
		env.Rev, encode(next, env), l.s.ttl.Milliseconds(), l.token).Int()
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if ok == 0 {
		return flows.ErrConflict
	}
	env.Rev = next
	return nil
}

// Abort frees the lock and forgets the input's key, so that the input is
// taken again when it is delivered again.
func (l *lock) Abort(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	abortScript.Run(ctx, l.s.rdb, []string{l.keys.lock, l.keys.seen(l.input)}, l.token)
}

// Release frees the lock of a turn that changed nothing; the input stays
// taken and the state at its revision.
func (l *lock) Release(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	abortScript.Run(ctx, l.s.rdb, []string{l.keys.lock}, l.token)
}
