package telegramtest

import (
	"net/http"
	"strconv"
	"time"
)

// Telegram's limits on a bot's messages, as WithLimits enforces them.
const (
	// ReplyCredits messages within ReplyWindow after a person's own update
	// (a message, a button press) in a chat are replies: no limit holds
	// them back.
	ReplyCredits = 3
	ReplyWindow  = 5 * time.Second
	// Any other message is unsolicited: at most one a second in a chat,
	// and GlobalRate a second in all.
	ChatInterval = time.Second
	GlobalRate   = 30
)

// WithLimits makes the server hold the bot to Telegram's limits on its
// messages (sendMessage, sendPhoto, sendDocument and the edits): each
// update a person makes lets the bot send ReplyCredits messages to that
// chat within ReplyWindow; beyond them, a message is unsolicited and may go
// at most once per ChatInterval in a chat and GlobalRate times a second in
// all. A message past a limit is answered 429 "Too Many Requests: retry
// after N", N the whole seconds until it would be taken, and changes
// nothing. Throttled counts those answers. Without this option the server
// limits nothing.
func WithLimits() Option {
	return func(c *config) { c.limits = true }
}

// WithGlobalRate holds the bot to Telegram's limits as WithLimits does,
// with perSecond unsolicited messages a second in all instead of
// GlobalRate: a test of thousands of messages raises it to stay short.
func WithGlobalRate(perSecond int) Option {
	return func(c *config) { c.limits, c.globalRate = true, perSecond }
}

// limits is the state WithLimits keeps.
type limits struct {
	credits     map[int64][]time.Time // per chat, when each reply credit expires, oldest first
	unsolicited map[int64]time.Time   // per chat, the last unsolicited message
	recent      []time.Time           // unsolicited messages of the last second, in all
	throttled   int
}

// creditLocked gives a chat the reply credits of one of its person's updates.
func (s *Server) creditLocked(chatID int64) {
	if !s.cfg.limits || chatID == 0 {
		return
	}
	until := s.now().Add(ReplyWindow)
	for range ReplyCredits {
		s.limits.credits[chatID] = append(s.limits.credits[chatID], until)
	}
}

// limitLocked takes one message of the bot to a chat within the limits, or
// answers the 429 it gets.
func (s *Server) limitLocked(chatID int64) error {
	if !s.cfg.limits {
		return nil
	}
	l := &s.limits
	now := s.now()
	credits := l.credits[chatID]
	for len(credits) > 0 && !credits[0].After(now) {
		credits = credits[1:]
	}
	if len(credits) > 0 {
		l.credits[chatID] = credits[1:]
		return nil
	}
	delete(l.credits, chatID)
	for len(l.recent) > 0 && now.Sub(l.recent[0]) >= time.Second {
		l.recent = l.recent[1:]
	}
	wait := time.Duration(0)
	if last, ok := l.unsolicited[chatID]; ok && now.Sub(last) < ChatInterval {
		wait = ChatInterval - now.Sub(last)
	}
	if len(l.recent) >= s.cfg.globalRate {
		wait = max(wait, time.Second-now.Sub(l.recent[0]))
	}
	if wait > 0 {
		l.throttled++
		secs := int((wait + time.Second - 1) / time.Second)
		return &apiError{code: http.StatusTooManyRequests, description: "Too Many Requests: retry after " + strconv.Itoa(secs), retryAfter: secs}
	}
	l.unsolicited[chatID] = now
	l.recent = append(l.recent, now)
	return nil
}

// Throttled is how many messages WithLimits answered with a 429.
func (s *Server) Throttled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limits.throttled
}
