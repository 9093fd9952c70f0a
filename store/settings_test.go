package store_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hoctap/area"
	"hoctap/flows"
)

// day is a date as seasons keep it.
func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// audit returns the audit rows of an action, as their detail's JSON.
func (b *reviewBundle) audit(action string) []string {
	b.t.Helper()
	return b.texts(`SELECT coalesce(person_id, 0)::text || ' ' || detail::text FROM audit_log WHERE action = $1 ORDER BY id`, action)
}

// TestProvinceSettingsWalls: only an admin of the province or above sets
// its chain; its leader (or admin) sets its seasons and reasons; a
// commune's leader, another province's admin and a household may do
// nothing, whatever they name; every change is in the audit log without
// the words of a reason.
func TestProvinceSettingsWalls(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	household := b.person()
	communeLeader := b.person("leader@" + area.SampleCommune)
	leader := b.person("leader@01")
	admin := b.person("admin@01")
	nation := b.person("admin@VN")
	elsewhere := b.person("admin@08")

	for _, c := range []struct {
		person int64
		want   []string
	}{{household, nil}, {communeLeader, nil}, {leader, []string{"01"}}, {admin, []string{"01"}}, {elsewhere, []string{"08"}}} {
		got, err := b.db.SettingsProvinces(b.ctx, c.person)
		var codes []string
		for _, a := range got {
			codes = append(codes, a.Code)
		}
		if err != nil || !slices.Equal(codes, c.want) {
			t.Errorf("person %d's provinces %v %v, want %v", c.person, codes, err, c.want)
		}
	}
	if all, err := b.db.SettingsProvinces(b.ctx, nation); err != nil || len(all) != 34 || all[0].Name.VI != "Thành phố Cần Thơ" {
		t.Errorf("the nation's admin has %d provinces, the first %+v: %v", len(all), all[:min(1, len(all))], err)
	}
	ps, err := b.db.ProvinceSettings(b.ctx, leader, "01")
	if err != nil || ps.MayChain || !ps.MaySettings || ps.Chain != flows.ChainAccept || ps.Province.Name.VI != "Thành phố Hà Nội" {
		t.Errorf("the leader's view %+v %v", ps, err)
	}
	if ps, err := b.db.ProvinceSettings(b.ctx, nation, "01"); err != nil || !ps.MayChain || !ps.MaySettings {
		t.Errorf("the nation's admin's view %+v %v", ps, err)
	}
	for _, p := range []int64{household, communeLeader, elsewhere} {
		if _, err := b.db.ProvinceSettings(b.ctx, p, "01"); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("person %d sees Hà Nội's settings: %v", p, err)
		}
	}
	if _, err := b.db.ProvinceSettings(b.ctx, nation, area.SampleCommune); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("a commune's settings: %v", err)
	}

	// The chain: the province's admin, or the nation's.
	for _, p := range []int64{household, communeLeader, leader, elsewhere} {
		if _, err := b.db.SetChain(b.ctx, "01", flows.ChainConfirm, p, b.at); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("person %d sets the chain: %v", p, err)
		}
	}
	if _, err := b.db.SetChain(b.ctx, "01", flows.ChainConfirm, admin, b.at); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.SetChain(b.ctx, area.SampleCommune, flows.ChainConfirm, nation, b.at); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("a commune's chain: %v", err)
	}
	if chain, _ := b.db.Chain(b.ctx, "01"); chain != flows.ChainConfirm {
		t.Errorf("the chain is %s", chain)
	}

	// Seasons: the province's leader; the days must fit and not overlap.
	s2027 := flows.Season{Year: 2027, Opens: day(2026, 12, 1), Closes: day(2027, 11, 30)}
	for _, p := range []int64{household, communeLeader, elsewhere} {
		if err := b.db.SetSeason(b.ctx, "01", s2027, p); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("person %d sets a season: %v", p, err)
		}
	}
	if err := b.db.SetSeason(b.ctx, "01", s2027, leader); err != nil {
		t.Fatal(err)
	}
	if err := b.db.SetSeason(b.ctx, "01", flows.Season{Year: 2026, Opens: day(2026, 1, 1), Closes: day(2026, 12, 1)}, leader); !errors.Is(err, flows.ErrOverlap) {
		t.Errorf("an overlapping season: %v", err)
	}
	if err := b.db.SetSeason(b.ctx, "01", flows.Season{Year: 2028, Opens: day(2026, 1, 1), Closes: day(2026, 6, 1)}, leader); err == nil || errors.Is(err, flows.ErrNotFound) {
		t.Errorf("a 2028 season in 2026: %v", err)
	}
	if err := b.db.SetSeason(b.ctx, "01", flows.Season{Year: 2026, Opens: day(2026, 1, 1), Closes: day(2026, 11, 30)}, leader); err != nil {
		t.Fatal(err)
	}
	if err := b.db.ClearSeason(b.ctx, "01", 2026, elsewhere); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("another province's admin clears a season: %v", err)
	}
	if err := b.db.ClearSeason(b.ctx, "01", 2026, leader); err != nil {
		t.Fatal(err)
	}
	if err := b.db.ClearSeason(b.ctx, "01", 2026, leader); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("a season cleared twice: %v", err)
	}
	if y, _ := b.db.SeasonYear(b.ctx, area.SampleCommune+".01", time.Date(2026, 12, 15, 3, 0, 0, 0, time.UTC)); y != 2027 {
		t.Errorf("Hà Nội's year in December 2026: %d", y)
	}

	// Reasons: at most ten, no text twice, only the province's leader or
	// admin; its reviewers pick from them.
	secret := "Ảnh góc học tập của ông Tư bị mờ"
	if n, err := b.db.AddReasons(b.ctx, "01", []string{secret, "review.reason.photo", " ảnh góc học tập của ông tư  BỊ MỜ "}, leader); err != nil || n != 2 {
		t.Fatalf("added %d %v", n, err)
	}
	for _, p := range []int64{household, communeLeader, elsewhere} {
		if _, err := b.db.AddReasons(b.ctx, "01", []string{"Lý do khác"}, p); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("person %d adds a reason: %v", p, err)
		}
	}
	var nine []string
	for i := range 9 {
		nine = append(nine, fmt.Sprintf("Lý do số %d", i+1))
	}
	if _, err := b.db.AddReasons(b.ctx, "01", nine, admin); !errors.Is(err, flows.ErrLimit) {
		t.Errorf("twelve reasons: %v", err)
	}
	if n, err := b.db.AddReasons(b.ctx, "01", nine[:8], admin); err != nil || n != 8 {
		t.Errorf("ten reasons: %d %v", n, err)
	}
	if _, err := b.db.AddReasons(b.ctx, "01", []string{strings.Repeat("x", flows.MaxProvinceReason+1)}, admin); err == nil {
		t.Error("a reason too long")
	}
	ps, err = b.db.ProvinceSettings(b.ctx, admin, "01")
	if err != nil || len(ps.Reasons) != 10 || ps.Reasons[0].Text != secret || ps.Reasons[1].Text != "review.reason.photo" {
		t.Fatalf("the reasons %+v %v", ps.Reasons, err)
	}
	if err := b.db.RemoveReason(b.ctx, "08", ps.Reasons[2].ID, elsewhere); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("Hà Nội's reason removed through Tuyên Quang: %v", err)
	}
	if err := b.db.RemoveReason(b.ctx, "01", ps.Reasons[2].ID, communeLeader); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("a commune's leader removes a reason: %v", err)
	}
	if err := b.db.RemoveReason(b.ctx, "01", ps.Reasons[2].ID, leader); err != nil {
		t.Fatal(err)
	}

	hanoi := b.submitted(household, "Nhà Lê", area.SampleCommune+".01")
	tuyenQuang := b.submitted(b.person(), "Nhà Hà", area.SampleHardshipCommune+".01")
	reviewer := b.person("reviewer@VN")
	if got, err := b.db.Reasons(b.ctx, reviewer, hanoi.ID); err != nil || len(got) != 9 || got[0].Text != secret {
		t.Errorf("the reasons of a Hà Nội submission %+v %v", got, err)
	}
	if got, err := b.db.Reasons(b.ctx, reviewer, tuyenQuang.ID); err != nil || len(got) != 0 {
		t.Errorf("the reasons of a Tuyên Quang submission %+v %v", got, err)
	}
	if _, err := b.db.Reasons(b.ctx, b.person("reviewer@08"), hanoi.ID); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("Tuyên Quang's reviewer reads Hà Nội's: %v", err)
	}
	// A reason picked is kept as its text; a decision keeps it once the
	// province removes it.
	if _, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: hanoi.ID, Rev: 1, Reviewer: reviewer, State: flows.ReviewRejected, Reason: secret, At: b.at}); err != nil {
		t.Fatal(err)
	}
	if err := b.db.RemoveReason(b.ctx, "01", ps.Reasons[0].ID, admin); err != nil {
		t.Fatal(err)
	}
	if told, err := b.db.Told(b.ctx, household, hanoi.ID); err != nil || told.Reason != secret {
		t.Errorf("the household is told %+v %v", told, err)
	}

	for action, want := range map[string][]string{
		"chain.set":     {fmt.Sprintf(`%d {"chain": "confirm", "province": "01", "recognised": 0}`, admin)},
		"season.set":    {fmt.Sprintf(`%d {"year": 2027, "province": "01"}`, leader), fmt.Sprintf(`%d {"year": 2026, "province": "01"}`, leader)},
		"season.clear":  {fmt.Sprintf(`%d {"year": 2026, "province": "01"}`, leader)},
		"reason.add":    {fmt.Sprintf(`%d {"added": 2, "count": 2, "province": "01"}`, leader), fmt.Sprintf(`%d {"added": 8, "count": 10, "province": "01"}`, admin)},
		"reason.remove": {fmt.Sprintf(`%d {"count": 9, "reason": %d, "province": "01"}`, leader, ps.Reasons[2].ID), fmt.Sprintf(`%d {"count": 8, "reason": %d, "province": "01"}`, admin, ps.Reasons[0].ID)},
	} {
		if got := b.audit(action); !slices.Equal(got, want) {
			t.Errorf("audit %s:\n got %q\nwant %q", action, got, want)
		}
	}
	var leaked int
	if err := b.db.Pool().QueryRow(b.ctx, `SELECT count(*) FROM audit_log WHERE detail::text ILIKE '%ông Tư%' OR detail::text ILIKE '%Lý do%'`).Scan(&leaked); err != nil || leaked != 0 {
		t.Errorf("%d audit rows hold a reason's words (%v)", leaked, err)
	}
}

// TestChainSwitchRecognisesWhatWaits: a province that confirms
// recognitions switches back to "acceptance recognises" while accepted
// submissions wait: they are recognised at the switch by their reviewers,
// with their certificates due, and nothing is left waiting; one a
// recogniser confirmed is left as it was.
func TestChainSwitchRecognisesWhatWaits(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	admin := b.person("admin@01")
	reviewer := b.person("reviewer@" + area.SampleCommune)
	recogniser := b.person("recogniser@01")
	if _, err := b.db.SetChain(b.ctx, "01", flows.ChainConfirm, admin, b.at); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range 3 {
		a := b.submitted(b.person(), fmt.Sprintf("Nhà %d", i), area.SampleCommune+".01")
		if _, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: a.ID, Rev: 1, Reviewer: reviewer, State: flows.ReviewAccepted, At: b.at}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	if err := b.db.Recognise(b.ctx, flows.Recognising{AssessmentIDs: ids[:1], By: recogniser, DecisionNo: "1/QĐ", DecisionDate: day(2026, 3, 1), At: b.at}); err != nil {
		t.Fatal(err)
	}
	if ps, _ := b.db.ProvinceSettings(b.ctx, admin, "01"); ps.Waiting != 2 {
		t.Errorf("%d wait, want 2", ps.Waiting)
	}
	switchAt := b.at.Add(time.Hour)
	n, err := b.db.SetChain(b.ctx, "01", flows.ChainAccept, admin, switchAt)
	if err != nil || n != 2 {
		t.Fatalf("recognised %d at the switch: %v", n, err)
	}
	if p, _ := b.db.Pending(b.ctx, recogniser, 10); len(p) != 0 {
		t.Errorf("still pending %+v", p)
	}
	var got string
	if err := b.db.Pool().QueryRow(b.ctx, `
		SELECT string_agg(g.assessment_id::text || ':' || g.recognised_by::text || ':' || coalesce(g.decision_no, '-') || ':' || (g.recognised_at = $1)::text, ',' ORDER BY g.assessment_id)
		FROM recognitions g WHERE g.ended_at IS NULL`, switchAt).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%d:%d:1/QĐ:false,%d:%d:-:true,%d:%d:-:true", ids[0], recogniser, ids[1], reviewer, ids[2], reviewer); got != want {
		t.Errorf("recognitions %s, want %s", got, want)
	}
	var certificates int
	if err := b.db.Pool().QueryRow(b.ctx, `SELECT count(*) FROM notices WHERE name = 'recognised' AND due_at = $1`, switchAt).Scan(&certificates); err != nil || certificates != 2 {
		t.Errorf("%d certificates due at the switch (%v)", certificates, err)
	}
	if got := b.audit("chain.set"); len(got) != 2 || got[1] != fmt.Sprintf(`%d {"chain": "accept", "province": "01", "recognised": 2}`, admin) {
		t.Errorf("audit %q", got)
	}
	// Switching again recognises nothing more.
	if n, err := b.db.SetChain(b.ctx, "01", flows.ChainAccept, admin, switchAt); err != nil || n != 0 {
		t.Errorf("the switch again recognised %d: %v", n, err)
	}
}

// TestChainSwitchDuringDecisions: reviewers accept while the province
// switches from confirm to accept; whichever comes first, no acceptance
// is left waiting under the new chain.
func TestChainSwitchDuringDecisions(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	admin := b.person("admin@01")
	reviewer := b.person("reviewer@" + area.SampleCommune)
	if _, err := b.db.SetChain(b.ctx, "01", flows.ChainConfirm, admin, b.at); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range 12 {
		ids = append(ids, b.submitted(b.person(), fmt.Sprintf("Nhà %d", i), area.SampleCommune+".01").ID)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(ids)+1)
	for i, id := range ids {
		wg.Go(func() {
			_, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: id, Rev: 1, Reviewer: reviewer, State: flows.ReviewAccepted, At: b.at})
			errs <- err
		})
		if i == len(ids)/2 {
			wg.Go(func() {
				_, err := b.db.SetChain(b.ctx, "01", flows.ChainAccept, admin, b.at)
				errs <- err
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if ps, err := b.db.ProvinceSettings(b.ctx, admin, "01"); err != nil || ps.Waiting != 0 || ps.Chain != flows.ChainAccept {
		t.Errorf("after the race: %d waiting under %s (%v)", ps.Waiting, ps.Chain, err)
	}
}
