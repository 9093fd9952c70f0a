package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"hoctap/flows"
	"hoctap/scoring"
)

// TestWorkbookListsTheAssessmentsInScope: a commune's workbook lists
// each assessment of the year at or below it, by village and then as
// started, in the state it stands in, with its total once sent; not
// another commune's, another year's, or an abandoned one; every missed
// indicator, not only the first MaxMisses; a leader elsewhere gets none.
func TestWorkbookListsTheAssessmentsInScope(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	b.imported("2025-07-01", "T.A,Xã An,commune,01,2025-07-01,,\nT.A.1,Thôn Một,village,T.A,2025-07-01,,\nT.A.2,Thôn Hai,village,T.A,2025-07-01,,\n"+
		"T.B,Xã Bình,commune,01,2025-07-01,,\nT.B.1,Thôn Ba,village,T.B,2025-07-01,,\n", "")
	leader := b.person("leader@T.A")
	other := b.person("leader@T.B")
	reviewer := b.person("reviewer@VN")
	family := b.person()
	// Each sent one misses the indicators up to its number: six in all.
	codes := []string{"1.1", "1.2", "2.1", "2.2", "3.1", "3.2"}
	send := func(a flows.Assessment, missed int) {
		t.Helper()
		r := scoring.Result{Max: 60, Total: float64(60 - 10*missed), Passed: missed == 0}
		for i, code := range codes {
			ind := scoring.IndicatorScore{Code: code, Max: 10, Points: 10, Answered: true}
			if i < missed {
				ind.Points = 0
			}
			r.Indicators = append(r.Indicators, ind)
		}
		b.at = b.at.Add(1)
		if err := b.db.Submit(b.ctx, a.ID, a.Rev, family, r, b.at); err != nil {
			t.Fatal(err)
		}
	}
	two := b.start(family, scoring.KindFamily, "Nhà Hai", "T.A.2", 2026)
	send(two, 6)
	one := b.start(family, scoring.KindFamily, "Nhà Một", "T.A.1", 2026)
	send(one, 0)
	b.decide(reviewer, one, 1, flows.ReviewNeedsChanges)
	open := b.start(family, scoring.KindFamily, "Nhà Mở", "T.A.1", 2026)
	b.start(family, scoring.KindFamily, "Nhà Bình", "T.B.1", 2026)
	b.start(family, scoring.KindFamily, "Nhà Cũ", "T.A.1", 2025)
	gone := b.start(family, scoring.KindFamily, "Nhà Bỏ", "T.A.2", 2026)
	if err := b.db.Abandon(b.ctx, gone.ID, gone.Rev, family); err != nil {
		t.Fatal(err)
	}
	if err := b.db.RebuildMisses(b.ctx); err != nil {
		t.Fatal(err)
	}

	w, err := b.db.Workbook(b.ctx, leader, "T.A", 2026, b.at)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range w.InScope {
		line := fmt.Sprintf("%d %s %s %s %s", x.ID, x.Area.Code, x.Area.Name.VI, x.Subject, x.State)
		if x.Total != nil {
			line += fmt.Sprintf(" %g %t", *x.Total, *x.Passed)
		}
		if x.Submitted != nil {
			line += " sent"
		}
		got = append(got, line)
	}
	want := []string{
		fmt.Sprintf("%d T.A.1 Thôn Một Nhà Một needs_changes 60 true sent", one.ID),
		fmt.Sprintf("%d T.A.1 Thôn Một Nhà Mở open", open.ID),
		fmt.Sprintf("%d T.A.2 Thôn Hai Nhà Hai submitted 0 false sent", two.ID),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("in scope:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := w.Assessed(); n != len(w.InScope) {
		t.Errorf("the figures count %d assessments, the workbook lists %d", n, len(w.InScope))
	}
	if w.Area.Code != "T.A" || len(w.Children) != 2 {
		t.Errorf("the figures are of %s with %d child areas", w.Area.Code, len(w.Children))
	}
	if len(w.Misses.List) != len(codes) || w.Misses.Built.IsZero() {
		t.Errorf("missed indicators %+v, want all %d", w.Misses.List, len(codes))
	}
	if _, err := b.db.Workbook(b.ctx, other, "T.A", 2026, b.at); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("another commune's leader: %v", err)
	}
}
