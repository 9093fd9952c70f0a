package session

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"hoctap/flows"
)

// gateScript takes a conversation's slot for one unsolicited message: 0
// when taken, else the milliseconds until it frees or the conversation's
// pause (KEYS[2]) ends.
var gateScript = redis.NewScript(`
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return paused end
if redis.call('SET', KEYS[1], 1, 'NX', 'PX', ARGV[1]) then return 0 end
local left = redis.call('PTTL', KEYS[1])
if left < 1 then return 1 end
return left
`)

// Gate implements runner.Pacer.
func (s *Store) Gate(ctx context.Context, conv flows.Conv, every time.Duration) (time.Duration, error) {
	k := s.keys(conv)
	ms, err := gateScript.Run(ctx, s.rdb, []string{k.gate(), k.pause()}, every.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("take send slot: %w", err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// pauseScript pauses a conversation's sending for at least ARGV[1] ms: its
// unsolicited messages (Gate) and its replies (Begin tells the turn).
var pauseScript = redis.NewScript(`
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], 1, 'PX', ARGV[1]) end
return 1
`)

// Pause implements runner.Pacer.
func (s *Store) Pause(ctx context.Context, conv flows.Conv, d time.Duration) error {
	if err := pauseScript.Run(ctx, s.rdb, []string{s.keys(conv).pause()}, max(d.Milliseconds(), 1)).Err(); err != nil {
		return fmt.Errorf("pause sending: %w", err)
	}
	return nil
}

// The global rate's keys share the hash tag {outbox}.
func (s *Store) rateKeys() []string {
	return []string{s.prefix + "{outbox}:rate", s.prefix + "{outbox}:slow"}
}

// takeScript is a rate limiter by the generic cell rate algorithm: KEYS[1]
// holds the theoretical arrival time of the next message, in milliseconds
// of the Redis server's clock, so replicas' clocks do not matter; while
// KEYS[2] exists the interval doubles. It returns 0 when a message may go,
// else the milliseconds to wait.
var takeScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 1 then interval = interval * 2 end
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
if tat > now then return math.ceil(tat - now) end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', 60000)
return 0
`)

// Take implements runner.Pacer.
func (s *Store) Take(ctx context.Context, rate float64) (time.Duration, error) {
	ms, err := takeScript.Run(ctx, s.rdb, s.rateKeys(), 1000/rate).Int64()
	if err != nil {
		return 0, fmt.Errorf("take from the send rate: %w", err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Slow implements runner.Pacer.
func (s *Store) Slow(ctx context.Context, d time.Duration) error {
	if err := s.rdb.Set(ctx, s.rateKeys()[1], 1, d).Err(); err != nil {
		return fmt.Errorf("slow the send rate: %w", err)
	}
	return nil
}
