package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/flows/app"
	"hoctap/flows/flowstest"
	"hoctap/role"
	"hoctap/scoring"
	"hoctap/store"
	"hoctap/store/storetest"
)

// The PostgreSQL store implements every port of the conversations.
var _ app.Store = (*store.DB)(nil)

// roleStore is a store that grants roles, as both stores do.
type roleStore interface {
	GrantRole(ctx context.Context, personID int64, r role.Role, areaCode string, by int64) error
}

// TestMemoryStoreBehavesAsPostgreSQL runs the same steps on the store and
// on the in-memory one the flows tests use, and compares every answer, so
// that the golden transcripts tell what the bot does.
func TestMemoryStoreBehavesAsPostgreSQL(t *testing.T) {
	t.Parallel()
	pg := steps(t, storetest.New(t))
	mem := steps(t, flowstest.New())
	if len(pg) != len(mem) {
		t.Fatalf("%d steps on PostgreSQL, %d in memory", len(pg), len(mem))
	}
	for i := range pg {
		if pg[i] != mem[i] {
			t.Errorf("step %d: PostgreSQL %s, memory %s", i, pg[i], mem[i])
		}
	}
}

// steps takes a store through the life of two assessments and writes down
// what it answered at each step.
func steps(t *testing.T, st app.Store) []string {
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var log []string
	note := func(what string, v any, err error) {
		switch {
		case errors.Is(err, flows.ErrConflict):
			v = "ErrConflict"
		case errors.Is(err, flows.ErrDone):
			v = "ErrDone"
		case errors.Is(err, flows.ErrNotFound):
			v = "ErrNotFound"
		case errors.Is(err, flows.ErrExists):
			v = fmt.Sprintf("ErrExists %v", v)
		case errors.Is(err, flows.ErrOverlap):
			v = "ErrOverlap"
		case errors.Is(err, flows.ErrLimit):
			v = "ErrLimit"
		case err != nil:
			t.Fatalf("%s: %v", what, err)
		}
		log = append(log, fmt.Sprintf("%s: %v", what, v))
	}
	_, err := st.Person(ctx, "telegram", 5)
	note("person before consent", "", err)
	p, err := st.Consent(ctx, "telegram", 5, "vi", at)
	note("consent", p.Lang, err)
	again, err := st.Consent(ctx, "telegram", 5, "en", at.Add(time.Hour))
	note("consent again keeps the first", again.ID == p.ID && again.Lang == "vi", err)

	areas, err := st.Areas(ctx, area.SampleCommune)
	var codes []string
	for _, a := range areas {
		codes = append(codes, a.Code+" "+a.Level+" "+a.Name.EN)
	}
	note("villages of the sample commune, by name", codes, err)
	_, err = st.Area(ctx, "99")
	note("an unknown area", "", err)
	// The sample communes are the only ones with villages: a search for
	// villages finds the same in the whole tree as in the sample.
	for _, q := range []string{"thon d", "THÔN", "to dan pho so 1", "na kha"} {
		found, err := st.SearchAreas(ctx, "", "village", q, 5)
		var got []string
		for _, f := range found {
			if f.Level == "village" {
				got = append(got, f.Code+" "+f.Name.VI+" in "+f.ParentName.VI)
			}
		}
		note("villages found by "+q, got, err)
	}
	found, err := st.SearchAreas(ctx, "01", "commune", "soc son", 5)
	note("a commune found in Hà Nội", found, err)

	n := flows.NewAssessment{PersonID: p.ID, Kind: scoring.KindFamily, Name: "Nhà Lê", AreaCode: area.SampleCommune + ".01",
		Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 1, Year: 2026, Cursor: "1.1", Key: "tg:1"}
	a, err := st.Start(ctx, n)
	note("start", []any{a.Rev, a.Cursor, len(a.Answers)}, err)
	same, err := st.Start(ctx, n)
	note("the same start again", same.ID == a.ID, err)
	other := n
	other.Key, other.Name = "tg:2", "nhà lê"
	dup, err := st.Start(ctx, other)
	note("the same subject, named in another case", dup.ID == a.ID, err)
	second := n
	second.Key, second.Name, second.Kind, second.SetID = "tg:20", "Họ Lê", scoring.KindClan, "clan-2021"
	c, err := st.Start(ctx, second)
	note("a second subject, with its own assessment", []any{c.ID != a.ID, c.SubjectID != a.SubjectID, c.Kind}, err)
	ids := func(what string) {
		all, err := st.Assessments(ctx, p.ID)
		var got []string
		for _, x := range all {
			state := "open"
			if x.Submitted != nil {
				state = "submitted"
			}
			got = append(got, fmt.Sprintf("%s %s", x.SubjectName, state))
		}
		note(what, got, err)
	}
	ids("the person's assessments, the last changed first")
	subjects, err := st.Subjects(ctx, p.ID, scoring.KindFamily)
	var names []string
	for _, s := range subjects {
		names = append(names, s.Name+" "+s.AreaCode)
	}
	note("the person's households", names, err)
	mine, err := st.Start(ctx, flows.NewAssessment{PersonID: p.ID, SubjectID: c.SubjectID, Year: 2026, SetID: "clan-2021", SetVersion: 1,
		Region: scoring.RegionNormal, Cursor: "1.1", Key: "tg:21"})
	note("the second subject chosen again", mine.ID == c.ID, err)

	yes, na := scoring.Yes(), scoring.NotApplicable()
	rev, err := st.Apply(ctx, flows.Change{AssessmentID: a.ID, Rev: a.Rev, PersonID: p.ID, Key: "tg:3", Cursor: "1.2", Code: "1.1", Answer: &yes})
	note("an answer", rev-a.Rev, err)
	_, err = st.Apply(ctx, flows.Change{AssessmentID: a.ID, Rev: rev, PersonID: p.ID, Key: "tg:3", Cursor: "1.3"})
	note("the same input again", "", err)
	_, err = st.Apply(ctx, flows.Change{AssessmentID: a.ID, Rev: a.Rev, PersonID: p.ID, Key: "tg:4", Cursor: "1.3"})
	note("a change for an old revision", "", err)
	_, err = st.Apply(ctx, flows.Change{AssessmentID: a.ID, Rev: rev, PersonID: p.ID, Key: "tg:4", Cursor: "1.3"})
	note("that input, spent by its conflict", "", err)
	rev, err = st.Apply(ctx, flows.Change{AssessmentID: a.ID, Rev: rev, PersonID: p.ID, Key: "tg:5", Cursor: "1.3", Code: "1.2", Answer: &na})
	note("another answer", rev-a.Rev, err)
	for i, sum := range []string{"aaaaaaaaaa", "bbbbbbbbbb", "aaaaaaaaaa"} {
		count, err := st.AddEvidence(ctx, flows.Evidence{AssessmentID: a.ID, PersonID: p.ID, Code: "1.1", SHA256: sum, Size: 10,
			MIME: "image/jpeg", FileID: "f", UniqueID: "u", Key: "tg:" + string(rune('a'+i))})
		note("a photo", count, err)
	}
	got, err := st.Assessment(ctx, a.ID)
	note("read back", []any{got.Rev - a.Rev, got.Cursor, got.Answers["1.1"] == yes, got.Answers["1.2"] == na, got.Photos["1.1"]}, err)
	ids("after answers to the first")

	rev2, err := st.MoveSet(ctx, a.ID, a.Rev, "family-2015", 2, []string{"1.2"}, "1.2")
	note("move at an old revision", rev2, err)
	rev, err = st.MoveSet(ctx, a.ID, rev, "family-2015", 2, []string{"1.2"}, "1.2")
	note("move", rev-a.Rev, err)
	got, err = st.Assessment(ctx, a.ID)
	note("after the move", []any{got.SetVersion, len(got.Answers), got.Cursor}, err)

	err = st.Abandon(ctx, a.ID, rev-1, p.ID)
	note("abandon at an old revision", "", err)
	res := scoring.Result{Total: 10, Max: 100}
	err = st.Submit(ctx, a.ID, rev-1, p.ID, res, at)
	note("submit at an old revision", "", err)
	err = st.Submit(ctx, a.ID, rev, p.ID, res, at)
	note("submit", "", err)
	err = st.Submit(ctx, a.ID, rev, p.ID, res, at)
	note("submit again", "", err)
	err = st.Abandon(ctx, a.ID, rev+1, p.ID)
	note("abandon a submitted one", "", err)
	ids("after submitting")

	refused, err := st.Start(ctx, other)
	note("a second assessment of the subject for the year", []any{refused.ID == a.ID, refused.Submitted != nil}, err)
	next := other
	next.Year, next.Key = 2027, "tg:22"
	b, err := st.Start(ctx, next)
	note("the next year's", []any{b.ID != a.ID, b.SubjectID == a.SubjectID, b.Rev}, err)
	err = st.Abandon(ctx, b.ID, b.Rev, p.ID)
	note("abandon", "", err)
	_, err = st.Apply(ctx, flows.Change{AssessmentID: b.ID, Rev: b.Rev + 1, PersonID: p.ID, Key: "tg:9", Cursor: "1.2"})
	note("a change to an abandoned one", "", err)
	next.Key = "tg:23"
	b2, err := st.Start(ctx, next)
	note("a new one after abandoning", b2.ID != b.ID, err)
	ids("at the end")

	// The review of the submission.
	rs := st.(roleStore)
	rp, err := st.Consent(ctx, "telegram", 6, "vi", at)
	note("a reviewer consents", rp.ID != p.ID, err)
	may, err := st.May(ctx, rp.ID, role.ReviewList)
	note("may review before a role", may, err)
	err = rs.GrantRole(ctx, rp.ID, role.Reviewer, area.SampleCommune, 0)
	note("grant", "", err)
	may, err = st.May(ctx, rp.ID, role.ReviewDecide)
	note("may decide", may, err)
	queue := func(what string, person int64) {
		q, total, err := st.Queue(ctx, person, 0, 10)
		var got []string
		for _, x := range q {
			got = append(got, fmt.Sprintf("%d %s %s rev %d resubmitted %d", x.AssessmentID-a.ID, x.SubjectName, x.AreaName.VI, x.ReviewRev, x.Resubmitted))
		}
		note(what, []any{got, total}, err)
	}
	queue("the reviewer's queue", rp.ID)
	queue("the household's own queue", p.ID)
	_, err = st.ForReview(ctx, p.ID, a.ID)
	note("the household opens its own", "", err)
	u, err := st.ForReview(ctx, rp.ID, a.ID)
	note("the reviewer opens it", []any{u.Review.State, u.Review.Rev, u.MayDecide, u.Area.Code == u.AreaCode, u.Answers["1.1"] == yes}, err)
	_, err = st.Decide(ctx, flows.Decision{AssessmentID: a.ID, Rev: 1, Reviewer: p.ID, State: flows.ReviewAccepted, At: at})
	note("the household decides its own", "", err)
	tell, err := st.Decide(ctx, flows.Decision{AssessmentID: a.ID, Rev: 1, Reviewer: rp.ID, State: flows.ReviewNeedsChanges, Reason: "r", At: at})
	note("sent back", tell, err)
	_, err = st.Decide(ctx, flows.Decision{AssessmentID: a.ID, Rev: 1, Reviewer: rp.ID, State: flows.ReviewNeedsChanges, Reason: "r", At: at})
	note("sent back again", "", err)
	_, err = st.Decide(ctx, flows.Decision{AssessmentID: a.ID, Rev: 1, Reviewer: rp.ID, State: flows.ReviewAccepted, At: at})
	note("accepted after it", "", err)
	reopened, err := st.Assessment(ctx, a.ID)
	note("the assessment sent back", []any{reopened.Submitted == nil, reopened.Rev - rev, reopened.Cursor}, err)
	ids("after the send-back")
	err = st.Undo(ctx, rp.ID, a.ID, 2, at.Add(time.Minute))
	note("undo", "", err)
	u, err = st.ForReview(ctx, rp.ID, a.ID)
	note("after the undo", []any{u.Review.State, u.Review.Rev, u.Submitted != nil}, err)
	_, err = st.Decide(ctx, flows.Decision{AssessmentID: a.ID, Rev: 3, Reviewer: rp.ID, State: flows.ReviewNeedsChanges, Reason: "r", At: at})
	note("sent back once more", "", err)
	reopened, _ = st.Assessment(ctx, a.ID)
	err = st.Submit(ctx, a.ID, reopened.Rev, p.ID, res, at.Add(time.Hour))
	note("submitted again", "", err)
	queue("the queue after the resubmission", rp.ID)
	u, err = st.ForReview(ctx, rp.ID, a.ID)
	note("the resubmission", []any{u.Review.State, u.Review.Rev, u.Review.Resubmitted, u.Review.Reason, u.Review.Before["1.1"] == yes}, err)
	err = st.Undo(ctx, rp.ID, a.ID, u.Review.Rev, at.Add(time.Hour))
	note("undo of a resubmission that waits", "", err)
	files, err := st.EvidenceFiles(ctx, a.ID)
	note("its photos", files, err)

	// A province's settings: who may change what, the seasons, the
	// reasons, and the reasons a reviewer of the province picks from.
	admin, err := st.Consent(ctx, "telegram", 7, "vi", at)
	note("an admin consents", "", err)
	leader, err := st.Consent(ctx, "telegram", 8, "vi", at)
	note("a commune's leader consents", "", err)
	note("grant admin", "", rs.GrantRole(ctx, admin.ID, role.Admin, "01", 0))
	note("grant leader", "", rs.GrantRole(ctx, leader.ID, role.Leader, area.SampleCommune, 0))
	provinces := func(what string, person int64) {
		got, err := st.SettingsProvinces(ctx, person)
		var codes []string
		for _, a := range got {
			codes = append(codes, a.Code)
		}
		note(what, codes, err)
	}
	provinces("the admin's provinces", admin.ID)
	provinces("the commune leader's provinces", leader.ID)
	settings := func(what string, person int64, province string) {
		ps, err := st.ProvinceSettings(ctx, person, province)
		var reasons []string
		for _, r := range ps.Reasons {
			reasons = append(reasons, r.Text)
		}
		var seasons []string
		for _, x := range ps.Seasons {
			seasons = append(seasons, fmt.Sprintf("%d %s %s", x.Year, x.Opens.Format(time.DateOnly), x.Closes.Format(time.DateOnly)))
		}
		note(what, []any{ps.Province.Code, ps.Chain, ps.Waiting, seasons, reasons, ps.MayChain, ps.MaySettings}, err)
	}
	settings("Hà Nội's settings for its admin", admin.ID, "01")
	settings("Hà Nội's settings for a commune's leader", leader.ID, "01")
	settings("a commune's settings", admin.ID, area.SampleCommune)
	_, err = st.SetChain(ctx, "01", flows.ChainConfirm, leader.ID, at)
	note("a commune's leader sets the chain", "", err)
	recognised, err := st.SetChain(ctx, "01", flows.ChainConfirm, admin.ID, at)
	note("the admin sets the chain", recognised, err)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	season := flows.Season{Year: 2027, Opens: day(2026, 12, 1), Closes: day(2027, 11, 30)}
	note("a commune's leader sets a season", "", st.SetSeason(ctx, "01", season, leader.ID))
	note("the admin sets a season", "", st.SetSeason(ctx, "01", season, admin.ID))
	note("a season overlapping it", "", st.SetSeason(ctx, "01", flows.Season{Year: 2026, Opens: day(2026, 1, 1), Closes: day(2026, 12, 1)}, admin.ID))
	year, err := st.SeasonYear(ctx, area.SampleCommune+".01", day(2026, 12, 15))
	note("Hà Nội's year on 15 December 2026", year, err)
	note("a season cleared that was never set", "", st.ClearSeason(ctx, "01", 2028, admin.ID))
	added, err := st.AddReasons(ctx, "01", []string{"review.reason.photo", "Thiếu  xác nhận", "thiếu xác nhận"}, admin.ID)
	note("reasons added", added, err)
	added, err = st.AddReasons(ctx, "01", []string{"THIẾU XÁC NHẬN"}, admin.ID)
	note("a reason again", added, err)
	_, err = st.AddReasons(ctx, "01", []string{"Không phải việc của xã"}, leader.ID)
	note("a commune's leader adds a reason", "", err)
	many := []string{}
	for i := range 9 {
		many = append(many, fmt.Sprintf("Lý do %d", i))
	}
	_, err = st.AddReasons(ctx, "01", many, admin.ID)
	note("an eleventh reason", "", err)
	note("a reason of another province removed", "", st.RemoveReason(ctx, "08", 1, admin.ID))
	note("a reason removed", "", st.RemoveReason(ctx, "01", 1, admin.ID))
	settings("Hà Nội's settings after the changes", admin.ID, "01")
	reasons, err := st.Reasons(ctx, rp.ID, a.ID)
	note("the reasons its reviewer picks from", len(reasons), err)
	_, err = st.Reasons(ctx, p.ID, a.ID)
	note("the reasons for the household", "", err)

	err = st.SetLanguage(ctx, p.ID, "en")
	note("set language", "", err)
	err = st.SetInactive(ctx, p.ID, true)
	note("set inactive", "", err)
	back, err := st.Person(ctx, "telegram", 5)
	note("the person now", []any{back.Lang, back.Inactive}, err)
	return log
}

// relocationStore is a store whose areas can be split, each in its own
// way: by an area import on PostgreSQL, by Split in memory.
type relocationStore interface {
	app.Store
	// split splits Thôn Đông on 1 July 2026 into Thôn Đông Thượng and Thôn
	// Đông Hạ, and returns the relocation each person was asked about.
	split(t *testing.T) map[int64]int64
}

type pgSplit struct{ *store.DB }

func (s pgSplit) split(t *testing.T) map[int64]int64 {
	ctx := context.Background()
	rows, err := area.ReadCSV(strings.NewReader("code,name,level,parent_code,valid_from,valid_to,replaced_by\n" +
		area.SampleCommune + ".01,Thôn Đông,village," + area.SampleCommune + ",2025-07-01,2026-07-01,\n" +
		area.SampleCommune + ".03,Thôn Đông Thượng,village," + area.SampleCommune + ",2026-07-01,,\n" +
		area.SampleCommune + ".04,Thôn Đông Hạ,village," + area.SampleCommune + ",2026-07-01,,\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportAreas(ctx, rows, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	due := storetest.TakeDue(t, s.DB, time.Now().Add(time.Minute))
	out := map[int64]int64{}
	for _, n := range due {
		out[n.Person] = n.Object
	}
	return out
}

type memSplit struct{ *flowstest.Store }

func (s memSplit) split(*testing.T) map[int64]int64 {
	village := func(n, vi, en string) flows.Area {
		return flows.Area{Code: area.SampleCommune + n, Parent: area.SampleCommune, Level: "village", Name: scoring.Text{VI: vi, EN: en}, Region: scoring.RegionNormal}
	}
	out := map[int64]int64{}
	for _, a := range s.Split(area.SampleCommune+".01", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC),
		village(".03", "Thôn Đông Thượng", "Đông Thượng village"), village(".04", "Thôn Đông Hạ", "Đông Hạ village")) {
		out[a.Person] = a.Relocation
	}
	return out
}

// TestRelocationMemoryBehavesAsPostgreSQL: a village split, its
// household's representative is asked, picks, and is refused what the
// store refuses, the same in memory as on PostgreSQL.
func TestRelocationMemoryBehavesAsPostgreSQL(t *testing.T) {
	t.Parallel()
	pg := relocationSteps(t, pgSplit{storetest.New(t)})
	mem := relocationSteps(t, memSplit{flowstest.New()})
	if len(pg) != len(mem) {
		t.Fatalf("%d steps on PostgreSQL, %d in memory:\n%v\n%v", len(pg), len(mem), pg, mem)
	}
	for i := range pg {
		if pg[i] != mem[i] {
			t.Errorf("step %d: PostgreSQL %s, memory %s", i, pg[i], mem[i])
		}
	}
}

func relocationSteps(t *testing.T, st relocationStore) []string {
	ctx := context.Background()
	at := time.Date(2026, 7, 2, 9, 0, 0, 0, time.UTC)
	var log []string
	note := func(what string, v any, err error) {
		switch {
		case errors.Is(err, flows.ErrConflict):
			v = "ErrConflict"
		case errors.Is(err, flows.ErrNotFound):
			v = "ErrNotFound"
		case err != nil:
			t.Fatalf("%s: %v", what, err)
		}
		log = append(log, fmt.Sprintf("%s: %v", what, v))
	}
	p, err := st.Consent(ctx, "telegram", 5, "vi", at)
	note("consent", p.Lang, err)
	stranger, err := st.Consent(ctx, "telegram", 6, "vi", at)
	note("a stranger consents", stranger.ID != p.ID, err)
	a, err := st.Start(ctx, flows.NewAssessment{PersonID: p.ID, Kind: scoring.KindFamily, Name: "Nhà Lê", AreaCode: area.SampleCommune + ".01",
		Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: 2026, Cursor: "1.1", Key: "tg:1"})
	note("start", a.AreaCode, err)
	asked := st.split(t)
	note("asked", []bool{asked[p.ID] != 0, asked[stranger.ID] != 0}, nil)
	id := asked[p.ID]
	codes := func(areas []flows.Area) []string {
		var out []string
		for _, x := range areas {
			out = append(out, x.Code+" "+x.Name.VI)
		}
		return out
	}
	r, err := st.Relocation(ctx, p.ID, id)
	note("the relocation", []any{r.SubjectName, r.Kind, r.From.Code, r.From.Name.VI, r.Since.Format(time.DateOnly), r.Waiting, r.Now.Code, codes(r.Candidates)}, err)
	_, err = st.Relocation(ctx, stranger.ID, id)
	note("the stranger's", "", err)
	err = st.Relocate(ctx, stranger.ID, id, area.SampleCommune+".03", at)
	note("the stranger picks", "", err)
	err = st.Relocate(ctx, p.ID, id, area.SampleCommune+".02", at)
	note("a pick that is no candidate", "", err)
	err = st.Relocate(ctx, p.ID, id, area.SampleCommune+".03", at)
	note("the pick", "", err)
	err = st.Relocate(ctx, p.ID, id, area.SampleCommune+".04", at)
	note("a pick after it", "", err)
	r, err = st.Relocation(ctx, p.ID, id)
	note("after the pick", []any{r.Waiting, r.Now.Code, len(r.Candidates)}, err)
	got, err := st.Assessment(ctx, a.ID)
	note("the assessment's place", got.AreaCode, err)
	villages, err := st.Areas(ctx, area.SampleCommune)
	note("the villages in force", codes(villages), err)
	return log
}
