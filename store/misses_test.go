package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"hoctap/flows"
	"hoctap/scoring"
)

// TestMissesCountedFromTheResults: the missed indicators are counted from
// the submitted results — answered, applicable and below half the points
// — for each area and every area above it, only by the nightly count;
// what was sent back is not counted, nor what did not apply; at most
// MaxMisses of a title, the most often missed first; a leader elsewhere
// sees none.
func TestMissesCountedFromTheResults(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	b.imported("2025-07-01", "T.A,Xã An,commune,01,2025-07-01,,\nT.A.1,Thôn Một,village,T.A,2025-07-01,,\nT.A.2,Thôn Hai,village,T.A,2025-07-01,,\n", "")
	leader := b.person("leader@T.A")
	other := b.person("leader@79")
	reviewer := b.person("reviewer@VN")
	family := b.person()
	// result scores the family set's indicators: points of 10 by code,
	// "na" not applicable, "skip" not asked; 10 for the rest.
	result := func(points map[string]string) scoring.Result {
		r := scoring.Result{Max: 120}
		for _, code := range []string{"1.1", "1.2", "2.1", "2.2", "3.1", "3.2", "3.3", "4.3"} {
			ind := scoring.IndicatorScore{Code: code, Max: 10, Points: 10, Answered: true}
			switch p := points[code]; p {
			case "":
			case "na":
				ind.NotApplicable, ind.Points = true, 0
			case "skip":
				ind.Skipped, ind.Answered, ind.Points = true, false, 0
			default:
				fmt.Sscan(p, &ind.Points)
			}
			r.Indicators = append(r.Indicators, ind)
		}
		return r
	}
	submit := func(name, village string, points map[string]string) flows.Assessment {
		t.Helper()
		a := b.start(family, scoring.KindFamily, name, village, 2026)
		b.at = b.at.Add(1)
		if err := b.db.Submit(b.ctx, a.ID, a.Rev, family, result(points), b.at); err != nil {
			t.Fatal(err)
		}
		return a
	}
	submit("Nhà Một", "T.A.1", map[string]string{"1.1": "0", "1.2": "na", "3.2": "5", "2.1": "0", "2.2": "0", "3.1": "0", "3.3": "0"})
	submit("Nhà Hai", "T.A.2", map[string]string{"1.1": "0", "4.3": "4.9"})
	back := submit("Nhà Ba", "T.A.2", map[string]string{"1.2": "skip", "3.2": "0"})
	b.decide(reviewer, back, 1, flows.ReviewNeedsChanges)

	read := func(person int64, code string, year int) flows.Misses {
		t.Helper()
		m, err := b.db.Misses(b.ctx, person, code, year)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := read(leader, "T.A", 2026); !m.Built.IsZero() || len(m.List) != 0 {
		t.Errorf("before the nightly count: %+v", m)
	}
	if err := b.db.RebuildMisses(b.ctx); err != nil {
		t.Fatal(err)
	}
	show := func(m flows.Misses) string {
		var out []string
		for _, x := range m.List {
			out = append(out, fmt.Sprintf("%s %s %s %d/%d", x.Kind, x.SetID, x.Code, x.Missed, x.Assessed))
		}
		return strings.Join(out, ", ")
	}
	// 4.3, missed once, is the sixth: left out. 1.2 did not apply, 3.2 at
	// half its points is not missed, Nhà Ba was sent back.
	want := "family family-2015 1.1 2/2, family family-2015 2.1 1/2, family family-2015 2.2 1/2, family family-2015 3.1 1/2, family family-2015 3.3 1/2"
	admin := b.person("admin@VN")
	for _, at := range []struct {
		person int64
		code   string
	}{{leader, "T.A"}, {admin, "01"}, {admin, "VN"}} {
		if m := read(at.person, at.code, 2026); show(m) != want || m.Built.IsZero() {
			t.Errorf("%s: %s (built %v), want %s", at.code, show(m), m.Built, want)
		}
	}
	if got, want := show(read(leader, "T.A.2", 2026)), "family family-2015 1.1 1/1, family family-2015 4.3 1/1"; got != want {
		t.Errorf("Thôn Hai: %s, want %s", got, want)
	}
	if m := read(leader, "T.A", 2025); len(m.List) != 0 || m.Built.IsZero() {
		t.Errorf("2025: %+v", m)
	}
	if _, err := b.db.Misses(b.ctx, other, "T.A", 2026); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("another province's leader: %v", err)
	}
}
