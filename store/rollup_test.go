package store_test

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/scoring"
	"hoctap/store"
)

// start starts an assessment of a subject of a kind, for a year.
func (b *reviewBundle) start(person int64, kind scoring.Kind, name, areaCode string, year int) flows.Assessment {
	b.t.Helper()
	b.n++
	set := map[scoring.Kind]string{scoring.KindFamily: "family-2015", scoring.KindClan: "clan-2021", scoring.KindUnit: "unit-2021",
		scoring.KindCommunity: "community-2021", scoring.KindCitizen: "citizen-2022"}[kind]
	a, err := b.db.Start(b.ctx, flows.NewAssessment{PersonID: person, Kind: kind, Name: name, AreaCode: areaCode,
		Region: scoring.RegionNormal, SetID: set, SetVersion: 1, Year: year, Cursor: "1.1", Key: fmt.Sprintf("r%d", b.n)})
	if err != nil {
		b.t.Fatal(err)
	}
	return a
}

// submit submits an assessment started by person, and returns its review's
// revision.
func (b *reviewBundle) submit(person int64, a flows.Assessment) {
	b.t.Helper()
	b.at = b.at.Add(time.Minute)
	if err := b.db.Submit(b.ctx, a.ID, a.Rev, person, scoring.Result{Total: 90, Passed: true}, b.at); err != nil {
		b.t.Fatal(err)
	}
}

// decide has a reviewer decide a submission waiting at review revision rev.
func (b *reviewBundle) decide(reviewer int64, a flows.Assessment, rev int, state string) {
	b.t.Helper()
	if _, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: a.ID, Rev: rev, Reviewer: reviewer, State: state, Reason: "Thiếu ảnh", At: b.at}); err != nil {
		b.t.Fatal(err)
	}
}

// factCounts counts, independently of the roll-ups, the subjects in each
// state at or below each area of today's tree, by area, year, kind and
// state: from the subjects, registrations and exported assessments, and
// the areas' parents.
func (b *reviewBundle) factCounts() map[string]int {
	b.t.Helper()
	parent := map[string]string{}
	for _, row := range b.texts(`SELECT code || ' ' || coalesce(parent_code, '') FROM areas`) {
		code, p, _ := strings.Cut(row, " ")
		parent[code] = p
	}
	want := map[string]int{}
	add := func(leaf string, year int, kind, state string) {
		for a := leaf; a != ""; a = parent[a] {
			want[fmt.Sprintf("%s %d %s %s", a, year, kind, state)]++
		}
	}
	for _, row := range b.texts(`SELECT area_code || ' ' || kind FROM subjects`) {
		leaf, kind, _ := strings.Cut(row, " ")
		add(leaf, 0, kind, store.StateEnrolled)
	}
	for _, row := range b.texts(`SELECT s.area_code || ' ' || s.kind || ' ' || g.year FROM registrations g JOIN subjects s ON s.id = g.subject_id`) {
		var leaf, kind string
		var year int
		fmt.Sscan(row, &leaf, &kind, &year)
		add(leaf, year, kind, store.StateRegistered)
	}
	if err := b.db.EachExported(b.ctx, "", func(e store.Exported) error {
		add(e.AreaCode, e.Year, e.Kind, e.State)
		return nil
	}); err != nil {
		b.t.Fatal(err)
	}
	return want
}

// checkFigures compares the figures /progress shows for areas, and their
// children, in a year with the counts from the facts, and the roll-ups'
// own check with nothing.
func (b *reviewBundle) checkFigures(leader int64, year int, codes ...string) {
	b.t.Helper()
	want := b.factCounts()
	seen := 0
	compare := func(f flows.AreaFigures) {
		for _, title := range f.Titles {
			for _, state := range append([]string{store.StateEnrolled, store.StateRegistered}, store.States...) {
				y := year
				if state == store.StateEnrolled {
					y = 0
				}
				key := fmt.Sprintf("%s %d %s %s", f.Area.Code, y, title.Kind, state)
				if got := title.Counts[state]; got != want[key] {
					b.t.Errorf("%s: %d in the figures, %d in the facts", key, got, want[key])
				}
				seen += want[key]
			}
		}
	}
	for _, code := range codes {
		p, err := b.db.Progress(b.ctx, leader, code, year, b.at)
		if err != nil {
			b.t.Fatal(err)
		}
		compare(p.AreaFigures)
		for _, c := range p.Children {
			compare(c)
		}
	}
	if seen == 0 {
		b.t.Error("the facts count nothing in these areas")
	}
	checked, err := b.db.CheckRollups(b.ctx)
	if err != nil {
		b.t.Fatal(err)
	}
	if len(checked.Drifts) > 0 || checked.Standings > 0 {
		b.t.Errorf("the check finds %d drifts (%+v) and %d standings stale", len(checked.Drifts), checked.Drifts, checked.Standings)
	}
}

// TestRollupsFollowTheFacts: after enrolments, registrations,
// submissions, every review decision and its undo, recognitions, a title
// sent back and an area merge, the figures of every area on the way up
// are those counted from the facts, and the check finds no drift.
func TestRollupsFollowTheFacts(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	b.imported("2025-07-01", "T.A,Xã An,commune,01,2025-07-01,,\nT.B,Xã Bình,commune,01,2025-07-01,,\n"+
		"T.A.1,Thôn Một,village,T.A,2025-07-01,,\nT.A.2,Thôn Hai,village,T.A,2025-07-01,,\n"+
		"T.C,Xã Cát,commune,79,2025-07-01,,\n", "")
	leader := b.person("leader@VN")
	reviewer := b.person("reviewer@VN")
	nation := b.person("recogniser@VN")
	family := b.person()
	check := func(phase string) {
		t.Helper()
		outer := b.t
		t.Run(phase, func(t *testing.T) {
			b.t = t
			defer func() { b.t = outer }()
			for _, year := range []int{2025, 2026} {
				b.checkFigures(leader, year, "VN", "01", "T.A", "T.B")
			}
		})
	}

	if _, err := b.db.Register(b.ctx, flows.NewAssessment{PersonID: family, Kind: scoring.KindFamily, Name: "Nhà Đăng Ký",
		AreaCode: "T.A.1", Year: 2026}, b.at); err != nil {
		t.Fatal(err)
	}
	b.start(family, scoring.KindFamily, "Nhà Mở", "T.A.1", 2026)
	waiting := b.start(family, scoring.KindFamily, "Nhà Chờ", "T.A.2", 2026)
	b.submit(family, waiting)
	recognised := b.start(family, scoring.KindFamily, "Nhà Đạt", "T.A.2", 2026)
	b.submit(family, recognised)
	b.decide(reviewer, recognised, 1, flows.ReviewAccepted)
	back := b.start(family, scoring.KindFamily, "Nhà Sửa", "T.B", 2026)
	b.submit(family, back)
	b.decide(reviewer, back, 1, flows.ReviewNeedsChanges)
	rejected := b.start(family, scoring.KindClan, "Họ Nguyễn", "T.B", 2026)
	b.submit(family, rejected)
	b.decide(reviewer, rejected, 1, flows.ReviewRejected)
	undone := b.start(family, scoring.KindUnit, "Trường Tiểu học", "T.A", 2026)
	b.submit(family, undone)
	b.decide(reviewer, undone, 1, flows.ReviewAccepted)
	if err := b.db.Undo(b.ctx, reviewer, undone.ID, 2, b.at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	abandoned := b.start(family, scoring.KindCitizen, "Chị Lan", "T.A.1", 2026)
	if err := b.db.Abandon(b.ctx, abandoned.ID, abandoned.Rev, family); err != nil {
		t.Fatal(err)
	}
	last := b.start(family, scoring.KindFamily, "Nhà Năm Trước", "T.A", 2025)
	b.submit(family, last)
	b.decide(reviewer, last, 1, flows.ReviewAccepted)
	elsewhere := b.start(family, scoring.KindFamily, "Nhà Sài Gòn", "T.C", 2026)
	b.submit(family, elsewhere)
	b.decide(reviewer, elsewhere, 1, flows.ReviewAccepted)
	check("decisions")

	returned := b.start(family, scoring.KindCommunity, "Thôn Một", "T.A.1", 2026)
	b.submit(family, returned)
	b.decide(reviewer, returned, 1, flows.ReviewAccepted)
	id := b.texts(`SELECT id::text FROM recognitions WHERE assessment_id = $1`, returned.ID)[0]
	var recognition int64
	fmt.Sscan(id, &recognition)
	if err := b.db.Return(b.ctx, flows.Returning{RecognitionID: recognition, By: nation, Reason: "Ảnh không rõ", At: b.at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.SetChain(b.ctx, "01", flows.ChainConfirm, 0, b.at); err != nil {
		t.Fatal(err)
	}
	confirmed := b.start(family, scoring.KindFamily, "Nhà Xác Nhận", "T.B", 2026)
	b.submit(family, confirmed)
	b.decide(reviewer, confirmed, 1, flows.ReviewAccepted)
	if err := b.db.Recognise(b.ctx, flows.Recognising{AssessmentIDs: []int64{confirmed.ID}, By: nation, DecisionNo: "1/QĐ",
		DecisionDate: b.at, At: b.at}); err != nil {
		t.Fatal(err)
	}
	pending := b.start(family, scoring.KindFamily, "Nhà Chờ Công Nhận", "T.B", 2026)
	b.submit(family, pending)
	b.decide(reviewer, pending, 1, flows.ReviewAccepted)
	check("returned and confirmed")
	if _, err := b.db.SetChain(b.ctx, "01", flows.ChainAccept, 0, b.at); err != nil { // recognises the one pending
		t.Fatal(err)
	}
	check("recognised as the chain changed")

	// T.A merges into T.B: its villages and the subjects placed at it
	// move along, with their past year.
	b.imported("2026-07-01", "T.A,Xã An,commune,01,2025-07-01,2026-07-01,T.B\n", "")
	if got := b.areaCodes("T.B"); len(got) != 2 {
		t.Fatalf("T.B's villages after the merge: %v", got)
	}
	check("merged")
	p, err := b.db.Progress(b.ctx, leader, "T.B", 2025, b.at)
	if err != nil || p.Titles[0].Counts[flows.StateRecognised] != 1 {
		t.Errorf("T.B's 2025 after the merge: %+v %v", p.Titles, err)
	}
}

// TestRollupCheckFindsDrift: a count changed behind the store's back is
// drift, named by area, year, title and state; a rebuild puts it right.
func TestRollupCheckFindsDrift(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	reviewer := b.person("reviewer@VN")
	family := b.person()
	a := b.start(family, scoring.KindFamily, "Nhà Lê", area.SampleCommune, 2026)
	b.submit(family, a)
	b.decide(reviewer, a, 1, flows.ReviewAccepted)
	if _, err := b.db.Pool().Exec(b.ctx, `UPDATE rollups SET n = n + 2 WHERE area_code = $1 AND kind = 'family' AND state = 'recognised'`,
		area.SampleCommune); err != nil {
		t.Fatal(err)
	}
	checked, err := b.db.CheckRollups(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Drift{{Area: area.SampleCommune, Year: 2026, Kind: "family", State: "recognised", Kept: 3, Facts: 1}}
	if len(checked.Drifts) != 1 || checked.Drifts[0] != want[0] || checked.Counts == 0 {
		t.Errorf("the check found %+v, want %+v", checked, want)
	}
	if err := b.db.RebuildRollups(b.ctx); err != nil {
		t.Fatal(err)
	}
	if checked, err := b.db.CheckRollups(b.ctx); err != nil || len(checked.Drifts) > 0 {
		t.Errorf("after the rebuild %+v %v", checked, err)
	}
}

// TestRollupsUnderConcurrentChanges: submissions and decisions in several
// communes at once all count, none fails on a lock, and the nation's
// figures are the facts'.
func TestRollupsUnderConcurrentChanges(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	reviewer := b.person("reviewer@VN")
	leader := b.person("leader@VN")
	communes := b.areaCodes("01")[:8]
	people := make([]int64, len(communes))
	for i := range people {
		people[i] = b.person()
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(communes))
	for i, commune := range communes {
		wg.Go(func() {
			for j := range 10 {
				a, err := b.db.Start(b.ctx, flows.NewAssessment{PersonID: people[i], Kind: scoring.KindFamily, Name: fmt.Sprint("Nhà ", j),
					AreaCode: commune, Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: 2026, Cursor: "1.1",
					Key: fmt.Sprint("c", i, ".", j)})
				if err == nil {
					err = b.db.Submit(b.ctx, a.ID, a.Rev, people[i], scoring.Result{}, b.at)
				}
				if err == nil && j%2 == 0 {
					_, err = b.db.Decide(b.ctx, flows.Decision{AssessmentID: a.ID, Rev: 1, Reviewer: reviewer, State: flows.ReviewAccepted, At: b.at})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	p, err := b.db.Progress(b.ctx, leader, "VN", 2026, b.at)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{store.StateEnrolled: 80, store.StateRegistered: 80, flows.StateRecognised: 40, flows.StateSubmitted: 40}
	if got := p.Titles[0].Counts; !maps.Equal(got, want) {
		t.Errorf("the nation's families %v, want %v", got, want)
	}
	b.checkFigures(leader, 2026, "VN", "01")
}

// TestProgressScopeAndDenominators: a leader sees the figures of their
// area and below, not another's; the share is of the official count where
// there is one, the children's sum where every child has one, and the
// registry's otherwise; the change since the month began counts from the
// month's start.
func TestProgressScopeAndDenominators(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	b.imported("2025-07-01", "T.A,Xã An,commune,01,2025-07-01,,\nT.A.1,Thôn Một,village,T.A,2025-07-01,,\nT.A.2,Thôn Hai,village,T.A,2025-07-01,,\n", "")
	commune := b.person("leader@T.A")
	other := b.person("leader@79", "reviewer@01")
	reviewer := b.person("reviewer@VN")
	family := b.person()
	if _, err := b.db.Progress(b.ctx, other, "T.A", 2026, b.at); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("another province's leader, a reviewer here, sees T.A: %v", err)
	}
	if _, err := b.db.Progress(b.ctx, commune, "01", 2026, b.at); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("a commune's leader sees the province: %v", err)
	}
	for _, name := range []string{"Nhà Một", "Nhà Hai"} {
		a := b.start(family, scoring.KindFamily, name, "T.A.1", 2026)
		b.submit(family, a)
		b.decide(reviewer, a, 1, flows.ReviewAccepted)
	}
	if _, err := b.db.TakeMonth(b.ctx, store.MonthOf(b.at)); err != nil {
		t.Fatal(err)
	}
	a := b.start(family, scoring.KindFamily, "Nhà Ba", "T.A.2", 2026)
	b.submit(family, a)
	b.decide(reviewer, a, 1, flows.ReviewAccepted)

	figures := func() flows.Progress {
		t.Helper()
		p, err := b.db.Progress(b.ctx, commune, "T.A", 2026, b.at)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	f := figures().Titles[0]
	if f.Entities != 3 || f.Official || f.Counts[flows.StateRecognised] != 3 || f.MonthStart != 2 || f.Share() != 100 {
		t.Errorf("before official counts: %+v", f)
	}
	if len(f.Goals) != 2 || f.Goals[0] != (flows.Goal{Year: 2025, Share: 70, Confirmed: true}) || f.Goals[1].Year != 2030 {
		t.Errorf("the goals %+v", f.Goals)
	}
	counts := func(csv string) {
		t.Helper()
		rows, err := area.ReadCounts(strings.NewReader("code,year,households,clans,villages,units,adults,staff\n" + csv))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.db.ImportCounts(b.ctx, rows); err != nil {
			t.Fatal(err)
		}
	}
	counts("T.A.1,2025,40,,,,,\n")
	if f := figures().Titles[0]; f.Official || f.Entities != 3 {
		t.Errorf("one village of two counted: %+v", f)
	}
	counts("T.A.2,2026,60,,,,,\n")
	p := figures()
	if f := p.Titles[0]; !f.Official || f.Entities != 100 || f.CountsYear != 2026 || f.Share() != 3 {
		t.Errorf("both villages counted: %+v", f)
	}
	if c := p.Children[0]; c.Area.Code != "T.A.2" || !c.Titles[0].Official || c.Titles[0].Entities != 60 {
		t.Errorf("the first village %+v", c)
	}
	if f := p.Titles[1]; f.Official || f.Entities != 0 || f.Share() != 0 {
		t.Errorf("the clans, counted nowhere: %+v", f)
	}
	counts("T.A,2026,1000,,,,,\n")
	if f := figures().Titles[0]; !f.Official || f.Entities != 1000 {
		t.Errorf("the commune counted: %+v", f)
	}
	// In 2025 one village had a count: the registry's three households.
	if p, err := b.db.Progress(b.ctx, commune, "T.A", 2025, b.at); err != nil || p.Titles[0].Official || p.Titles[0].Entities != 3 ||
		p.Titles[0].Counts[flows.StateRecognised] != 0 {
		t.Errorf("2025: %+v %v", p.Titles[0], err)
	}
}
