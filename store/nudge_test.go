package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"hoctap/flows"
	"hoctap/scoring"
)

// TestNudgeTellsTheReviewersOfAreasNotReported: a commune's leader asks
// the reviewers of its villages not reported to follow them up: the
// commune's reviewer and the quiet village's are told, once each, by a
// reminder with its job; the reported village's, a revoked one's, one
// who switched reminders off, another commune's are not. A second ask that day sends nothing and says when
// the first was; each reviewer reads the villages they cover; a leader
// elsewhere may not ask. A province's nudge names the communes nobody
// covers.
func TestNudgeTellsTheReviewersOfAreasNotReported(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	b.imported("2025-07-01", "T.A,Xã An,commune,01,2025-07-01,,\nT.A.1,Thôn Một,village,T.A,2025-07-01,,\nT.A.2,Thôn Hai,village,T.A,2025-07-01,,\n"+
		"T.A.3,Thôn Ba,village,T.A,2025-07-01,,\nT.B,Xã Bình,commune,01,2025-07-01,,\n", "")
	leader := b.person("leader@T.A")
	communeReviewer := b.person("reviewer@T.A")
	reported := b.person("reviewer@T.A.1")
	quiet := b.person("reviewer@T.A.2")
	elsewhere := b.person("reviewer@T.B", "leader@T.B")
	silent := b.person("reviewer@T.A.2")
	if err := b.db.SetReminders(b.ctx, silent, false); err != nil {
		t.Fatal(err)
	}
	revoked := b.person("reviewer@T.A.2")
	var roleID int64
	if err := b.db.Pool().QueryRow(b.ctx, `SELECT id FROM roles WHERE person_id = $1`, revoked).Scan(&roleID); err != nil {
		t.Fatal(err)
	}
	if err := b.db.RevokeRole(b.ctx, roleID, 0); err != nil {
		t.Fatal(err)
	}
	b.start(b.person(), scoring.KindFamily, "Nhà Một", "T.A.1", 2026)

	at := time.Date(2026, 12, 7, 9, 0, 0, 0, flows.Vietnam)
	n, err := b.db.Nudge(b.ctx, leader, "T.A", 2026, at)
	if err != nil {
		t.Fatal(err)
	}
	if n.Quiet != 2 || n.Reviewers != 2 || len(n.Without) != 0 || !n.Earlier.IsZero() {
		t.Errorf("the nudge: %+v", n)
	}
	told := func() []int64 {
		t.Helper()
		rows, err := b.db.Pool().Query(b.ctx, `SELECT m.person_id FROM reminders m WHERE m.about = $1
			AND EXISTS (SELECT 1 FROM river_job j WHERE j.kind = 'reminder' AND (j.args->>'person')::bigint = m.person_id
				AND j.args->>'about' = m.about AND j.args->>'period' = m.period) ORDER BY 1`, flows.RemindNudged)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for rows.Next() {
			var p int64
			if err := rows.Scan(&p); err != nil {
				t.Fatal(err)
			}
			out = append(out, p)
		}
		return out
	}
	if got := told(); !slices.Equal(got, []int64{communeReviewer, quiet}) {
		t.Errorf("told %v, want %v", got, []int64{communeReviewer, quiet})
	}
	again, err := b.db.Nudge(b.ctx, leader, "T.A", 2026, at.Add(time.Hour))
	if err != nil || !again.Earlier.Equal(at) || again.Reviewers != 0 || len(told()) != 2 {
		t.Errorf("asked again that day: %+v %v, told %v", again, err, told())
	}

	var id int64
	if err := b.db.Pool().QueryRow(b.ctx, `SELECT id FROM nudges WHERE area_code = 'T.A'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	names := func(n flows.Nudge) []string {
		var out []string
		for _, a := range n.Quiet {
			out = append(out, a.Name.VI)
		}
		return out
	}
	if got, err := b.db.NudgeOf(b.ctx, communeReviewer, id); err != nil || got.From.Code != "T.A" || got.Year != 2026 ||
		!slices.Equal(names(got), []string{"Thôn Ba", "Thôn Hai"}) {
		t.Errorf("the commune's reviewer reads %+v %v", got, err)
	}
	if got, err := b.db.NudgeOf(b.ctx, quiet, id); err != nil || !slices.Equal(names(got), []string{"Thôn Hai"}) {
		t.Errorf("Thôn Hai's reviewer reads %+v %v", got, err)
	}
	for _, p := range []int64{reported, elsewhere} {
		if _, err := b.db.NudgeOf(b.ctx, p, id); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("person %d reads the nudge: %v", p, err)
		}
	}
	if _, err := b.db.Nudge(b.ctx, elsewhere, "T.A", 2026, at); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("another commune's leader: %v", err)
	}

	// Hà Nội's leader: Xã An reported, Xã Bình has its reviewer, the
	// province's other communes have none.
	province, err := b.db.Nudge(b.ctx, b.person("leader@01"), "01", 2026, at)
	if err != nil {
		t.Fatal(err)
	}
	without := map[string]bool{}
	for _, a := range province.Without {
		without[a.Code] = true
	}
	if province.Reviewers != 1 || len(province.Without) != province.Quiet-1 || without["T.A"] || without["T.B"] || len(without) == 0 {
		t.Errorf("the province's nudge: %d told, %d quiet, %d without", province.Reviewers, province.Quiet, len(province.Without))
	}
	if got := told(); !slices.Equal(got, []int64{communeReviewer, quiet, elsewhere}) {
		t.Errorf("told %v after the province's nudge", got)
	}
}
