package deliver

import (
	"testing"
	"time"

	"hoctap/store"
)

func TestQuietHours(t *testing.T) {
	t.Parallel()
	at := func(h, m int) time.Time { return time.Date(2026, 12, 6, h, m, 0, 0, store.Vietnam) }
	for _, c := range []struct {
		window string
		now    time.Time
		want   time.Duration
	}{
		{"21:00-07:00", at(20, 59), 0},
		{"21:00-07:00", at(21, 0), 10 * time.Hour},
		{"21:00-07:00", at(23, 30), 7*time.Hour + 30*time.Minute},
		{"21:00-07:00", at(6, 45), 15 * time.Minute},
		{"21:00-07:00", at(7, 0), 0},
		{"12:00-13:30", at(12, 10), 80 * time.Minute},
		{"12:00-13:30", at(13, 30), 0},
		{"", at(23, 0), 0},
		// 14:00 UTC is 21:00 in Vietnam.
		{"21:00-07:00", time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC), 10 * time.Hour},
	} {
		q, err := ParseQuiet(c.window)
		if err != nil {
			t.Fatal(err)
		}
		if got := q.Wait(c.now); got != c.want {
			t.Errorf("%q at %s: wait %v, want %v", c.window, c.now.Format("15:04 MST"), got, c.want)
		}
	}
	for _, bad := range []string{"21:00", "9pm-7am", "25:00-07:00", "07:00-07:00"} {
		if _, err := ParseQuiet(bad); err == nil {
			t.Errorf("%q read as quiet hours", bad)
		}
	}
}
