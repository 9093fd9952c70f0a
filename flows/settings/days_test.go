package settings

import (
	"testing"
	"time"

	"hoctap/flows"
)

// TestParseDays: the ways a season's days are typed, the Vietnamese way
// first, and what is not a day.
func TestParseDays(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		text string
		want []time.Time
		ok   bool
	}{
		{"01/12/2026 - 30/11/2027", []time.Time{d(2026, 12, 1), d(2027, 11, 30)}, true},
		{"1/12/2026-30/11/2027", []time.Time{d(2026, 12, 1), d(2027, 11, 30)}, true},
		{"từ 1.12.2026 đến 30-11-2027", []time.Time{d(2026, 12, 1), d(2027, 11, 30)}, true},
		{"2026-12-01 2027-11-30", []time.Time{d(2026, 12, 1), d(2027, 11, 30)}, true},
		{"2026-12-01 to 30/11/2027", []time.Time{d(2026, 12, 1), d(2027, 11, 30)}, true},
		{"29/02/2028", []time.Time{d(2028, 2, 29)}, true},
		{"29/02/2027", nil, false},
		{"12/31/2026", nil, false}, // month/day is not how it is written
		{"01/01/1999", nil, false},
		{"tháng mười hai", nil, true},
		{"123/12/2026", nil, true},
	} {
		got, ok := parseDays(c.text)
		if ok != c.ok || len(got) != len(c.want) {
			t.Errorf("%q: %v %v, want %v %v", c.text, got, ok, c.want, c.ok)
			continue
		}
		for i := range got {
			if !got[i].Equal(c.want[i]) {
				t.Errorf("%q: day %d is %v, want %v", c.text, i, got[i], c.want[i])
			}
		}
	}
}

// TestSeasonFits: a season lasts at most a year, holds days of its year
// and reaches at most a quarter into the years beside it.
func TestSeasonFits(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		s    flows.Season
		want bool
	}{
		{flows.Season{Year: 2027, Opens: d(2026, 12, 1), Closes: d(2027, 11, 30)}, true},
		{flows.Season{Year: 2027, Opens: d(2027, 1, 1), Closes: d(2027, 12, 31)}, true},
		{flows.Season{Year: 2027, Opens: d(2027, 3, 1), Closes: d(2027, 3, 1)}, true},
		{flows.Season{Year: 2027, Opens: d(2026, 12, 1), Closes: d(2027, 12, 1)}, false}, // a year and a day
		{flows.Season{Year: 2027, Opens: d(2026, 1, 1), Closes: d(2026, 12, 31)}, false}, // no day of 2027
		{flows.Season{Year: 2027, Opens: d(2028, 1, 1), Closes: d(2028, 2, 1)}, false},
		{flows.Season{Year: 2027, Opens: d(2027, 5, 1), Closes: d(2027, 4, 1)}, false},
		{flows.Season{Year: 2027, Opens: d(2026, 10, 1), Closes: d(2027, 9, 30)}, true},
		{flows.Season{Year: 2027, Opens: d(2026, 1, 2), Closes: d(2027, 1, 1)}, false}, // most of 2026 would count as 2027
		{flows.Season{Year: 2027, Opens: d(2027, 6, 1), Closes: d(2028, 4, 1)}, false}, // too far into 2028
	} {
		if got := flows.SeasonFits(c.s); got != c.want {
			t.Errorf("%d from %s to %s fits: %v", c.s.Year, c.s.Opens.Format(time.DateOnly), c.s.Closes.Format(time.DateOnly), got)
		}
	}
}
