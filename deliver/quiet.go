package deliver

import (
	"fmt"
	"strings"
	"time"

	"hoctap/store"
)

// Quiet is a daily window, in Vietnam's time, in which reminders wait for
// its end: quiet hours. The zero Quiet is no window.
type Quiet struct {
	From, To time.Duration // from midnight; To before From crosses midnight
}

// DefaultQuiet is the window when none is configured: 21:00 to 07:00.
var DefaultQuiet = Quiet{From: 21 * time.Hour, To: 7 * time.Hour}

// ParseQuiet reads a window written "21:00-07:00"; "" is none.
func ParseQuiet(s string) (Quiet, error) {
	if strings.TrimSpace(s) == "" {
		return Quiet{}, nil
	}
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return Quiet{}, fmt.Errorf("quiet hours are written HH:MM-HH:MM, not %q", s)
	}
	var q Quiet
	for i, part := range []string{from, to} {
		t, err := time.Parse("15:04", strings.TrimSpace(part))
		if err != nil {
			return Quiet{}, fmt.Errorf("quiet hours are written HH:MM-HH:MM, not %q", s)
		}
		d := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
		if i == 0 {
			q.From = d
		} else {
			q.To = d
		}
	}
	if q.From == q.To {
		return Quiet{}, fmt.Errorf("quiet hours %q start and end at once", s)
	}
	return q, nil
}

// Wait returns how long from now until the window ends; 0 outside it.
func (q Quiet) Wait(now time.Time) time.Duration {
	if q.From == q.To {
		return 0
	}
	local := now.In(store.Vietnam)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, store.Vietnam)
	in := local.Sub(midnight)
	switch {
	case q.From < q.To && in >= q.From && in < q.To: // within a day
		return q.To - in
	case q.From > q.To && in >= q.From: // the evening part
		return 24*time.Hour - in + q.To
	case q.From > q.To && in < q.To: // the morning part
		return q.To - in
	}
	return 0
}
