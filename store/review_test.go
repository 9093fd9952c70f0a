package store_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/role"
	"hoctap/scoring"
	"hoctap/store"
	"hoctap/store/storetest"
)

// reviewBundle is a database with people and submissions for review tests.
type reviewBundle struct {
	t   testing.TB
	db  *store.DB
	ctx context.Context
	at  time.Time
	n   int64 // channel users and keys given out
}

func newReviewBundle(t testing.TB) *reviewBundle {
	return &reviewBundle{t: t, db: storetest.New(t), ctx: context.Background(), at: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

// accepted starts, submits (at on) and has reviewer accept a household's
// assessment of a year, for person, of their subject (0: a new one named
// name in areaCode); the province recognises on acceptance.
func (b *reviewBundle) accepted(person, subject int64, name, areaCode string, year int, on time.Time, reviewer int64) flows.Assessment {
	b.t.Helper()
	b.n++
	a, err := b.db.Start(b.ctx, flows.NewAssessment{PersonID: person, SubjectID: subject, Kind: scoring.KindFamily, Name: name, AreaCode: areaCode,
		Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: year, Cursor: "1.1", Key: fmt.Sprintf("acc%d", b.n)})
	if err != nil {
		b.t.Fatal(err)
	}
	if err := b.db.Submit(b.ctx, a.ID, a.Rev, person, scoring.Result{}, on); err != nil {
		b.t.Fatal(err)
	}
	if _, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: a.ID, Rev: 1, Reviewer: reviewer, State: flows.ReviewAccepted, At: on}); err != nil {
		b.t.Fatal(err)
	}
	return a
}

// texts runs a query of one text column and returns its rows.
func (b *reviewBundle) texts(query string, args ...any) []string {
	b.t.Helper()
	rows, err := b.db.Pool().Query(b.ctx, query, args...)
	if err != nil {
		b.t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.t.Fatal(err)
	}
	return out
}

// person consents a new person, with roles over areas ("reviewer@00376").
func (b *reviewBundle) person(roles ...string) int64 {
	b.t.Helper()
	b.n++
	p, err := b.db.Consent(b.ctx, "telegram", 9000+b.n, "vi", b.at)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, r := range roles {
		name, code, _ := strings.Cut(r, "@")
		if err := b.db.GrantRole(b.ctx, p.ID, role.Role(name), code, 0); err != nil {
			b.t.Fatal(err)
		}
	}
	return p.ID
}

// submitted starts and submits a household's assessment in an area, with
// one answer, and returns it.
func (b *reviewBundle) submitted(person int64, name, areaCode string) flows.Assessment {
	b.t.Helper()
	b.n++
	a, err := b.db.Start(b.ctx, flows.NewAssessment{PersonID: person, Kind: scoring.KindFamily, Name: name, AreaCode: areaCode,
		Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: 2026, Cursor: "1.1", Key: fmt.Sprintf("k%d", b.n)})
	if err != nil {
		b.t.Fatal(err)
	}
	yes := scoring.Yes()
	rev, err := b.db.Apply(b.ctx, flows.Change{AssessmentID: a.ID, Rev: a.Rev, PersonID: person, Key: fmt.Sprintf("k%d.1", b.n), Code: "1.1", Answer: &yes})
	if err != nil {
		b.t.Fatal(err)
	}
	b.at = b.at.Add(time.Minute) // each waits a little less than the one before
	if err := b.db.Submit(b.ctx, a.ID, rev, person, scoring.Result{Total: 10}, b.at); err != nil {
		b.t.Fatal(err)
	}
	return a
}

func (b *reviewBundle) queue(person int64) []string {
	b.t.Helper()
	q, total, err := b.db.Queue(b.ctx, person, 0, 20)
	if err != nil {
		b.t.Fatal(err)
	}
	var names []string
	for _, s := range q {
		names = append(names, s.SubjectName)
	}
	if total != len(q) {
		b.t.Errorf("a queue of %d counts %d", len(q), total)
	}
	return names
}

func (b *reviewBundle) rev(reviewer, id int64) int {
	b.t.Helper()
	u, err := b.db.ForReview(b.ctx, reviewer, id)
	if err != nil {
		b.t.Fatal(err)
	}
	return u.Review.Rev
}

// TestReviewWalls: a reviewer sees and decides only the submissions of
// their area and below, never one of a subject they represent; a leader
// and a recogniser decide nothing; outside the wall a submission is "not
// found", whatever its id.
func TestReviewWalls(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	socSon, lamBinh := area.SampleCommune, area.SampleHardshipCommune
	family := b.person()
	own := b.person("reviewer@" + socSon) // a reviewer who is also a household there
	a := b.submitted(family, "Nhà Lê", socSon+".01")
	mine := b.submitted(own, "Nhà Trần", socSon+".02")
	other := b.submitted(b.person(), "Nhà Hà", lamBinh+".01")

	reviewer := b.person("reviewer@" + socSon)
	province := b.person("reviewer@01") // Hà Nội, above Sóc Sơn
	leader := b.person("leader@01")
	recogniser := b.person("recogniser@" + socSon)
	admin := b.person("admin@VN")

	for who, want := range map[string]struct {
		id    int64
		names string
	}{
		"the commune's reviewer":               {reviewer, "Nhà Lê,Nhà Trần"},
		"the reviewer who is a household":      {own, "Nhà Lê"},
		"the province's reviewer":              {province, "Nhà Lê,Nhà Trần"},
		"the leader":                           {leader, ""},
		"the household":                        {family, ""},
		"the admin of the nation":              {admin, "Nhà Lê,Nhà Trần,Nhà Hà"},
		"the recogniser, who sees but decides": {recogniser, "Nhà Lê,Nhà Trần"},
	} {
		if got := strings.Join(b.queue(want.id), ","); got != want.names {
			t.Errorf("%s's queue: %q, want %q", who, got, want.names)
		}
	}
	for who, c := range map[string]struct{ person, id int64 }{
		"a reviewer, another commune's": {reviewer, other.ID},
		"a reviewer, their own":         {own, mine.ID},
		"the leader":                    {leader, a.ID},
		"the household, its own":        {family, a.ID},
		"anyone, an id that is none":    {admin, 999999},
	} {
		if _, err := b.db.ForReview(b.ctx, c.person, c.id); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("%s opens: %v, want ErrNotFound", who, err)
		}
	}
	for who, c := range map[string]struct{ person, id int64 }{
		"a reviewer, another commune's": {reviewer, other.ID},
		"a reviewer, their own":         {own, mine.ID},
		"the leader":                    {leader, a.ID},
		"the recogniser":                {recogniser, a.ID},
	} {
		_, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: c.id, Rev: 1, Reviewer: c.person, State: flows.ReviewAccepted, At: b.at})
		if !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("%s decides: %v, want ErrNotFound", who, err)
		}
	}
	tell, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: other.ID, Rev: 1, Reviewer: admin, State: flows.ReviewAccepted, At: b.at})
	if err != nil || len(tell) != 1 {
		t.Errorf("the admin decides: %v %v", tell, err)
	}
}

// TestTwoReviewersAtOnce: two reviewers decide the same submission at the
// same moment; one wins, the other is told it was decided.
func TestTwoReviewersAtOnce(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	a := b.submitted(b.person(), "Nhà Lê", area.SampleCommune+".01")
	one, two := b.person("reviewer@"+area.SampleCommune), b.person("reviewer@01")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, who := range []int64{one, two} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			state := []string{flows.ReviewAccepted, flows.ReviewRejected}[i]
			_, errs[i] = b.db.Decide(b.ctx, flows.Decision{AssessmentID: a.ID, Rev: 1, Reviewer: who, State: state, Reason: "x", At: b.at})
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, flows.ErrConflict):
			t.Errorf("the loser is told %v, want ErrConflict", err)
		}
	}
	if won != 1 {
		t.Errorf("%d decisions won: %v", won, errs)
	}
	// The same press delivered again is no second decision.
	u, err := b.db.ForReview(b.ctx, one, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	winner := one
	if u.Review.State == flows.ReviewRejected {
		winner = two
	}
	if _, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: a.ID, Rev: 1, Reviewer: winner, State: u.Review.State, Reason: "x", At: b.at}); !errors.Is(err, flows.ErrDone) {
		t.Errorf("the winner's press again: %v, want ErrDone", err)
	}
}

// TestNeedsChangesAndResubmission: a send-back opens the assessment again
// with its answers; the household changes one and submits; it waits again,
// marked as resubmitted, with the answers as they were. An undo is the
// reviewer's own, within ten minutes.
func TestNeedsChangesAndResubmission(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	family := b.person()
	a := b.submitted(family, "Nhà Lê", area.SampleCommune+".01")
	reviewer, other := b.person("reviewer@"+area.SampleCommune), b.person("reviewer@"+area.SampleCommune)
	decided := b.at.Add(time.Hour)
	tell, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: a.ID, Rev: 1, Reviewer: reviewer, State: flows.ReviewNeedsChanges,
		Reason: "ảnh 1.1 mờ", At: decided})
	if err != nil || len(tell) != 1 || tell[0] != family {
		t.Fatalf("send back: %v %v", tell, err)
	}
	if err := b.db.Undo(b.ctx, other, a.ID, 2, decided); !errors.Is(err, flows.ErrConflict) {
		t.Errorf("another reviewer's undo: %v", err)
	}
	if err := b.db.Undo(b.ctx, reviewer, a.ID, 2, decided.Add(store.UndoWithin+time.Second)); !errors.Is(err, flows.ErrConflict) {
		t.Errorf("an undo after ten minutes: %v", err)
	}
	open, err := b.db.Assessment(b.ctx, a.ID)
	if err != nil || open.Submitted != nil || open.Answers["1.1"] != scoring.Yes() || open.SetVersion != 2 {
		t.Fatalf("the assessment sent back %+v %v", open, err)
	}
	if q := b.queue(reviewer); len(q) != 0 {
		t.Errorf("a submission sent back still waits: %v", q)
	}
	no := scoring.No()
	rev, err := b.db.Apply(b.ctx, flows.Change{AssessmentID: a.ID, Rev: open.Rev, PersonID: family, Key: "fix", Code: "1.1", Answer: &no})
	if err != nil {
		t.Fatal(err)
	}
	// Taken back after the household changed an answer: refused, the
	// change stays.
	if err := b.db.Undo(b.ctx, reviewer, a.ID, 2, decided.Add(time.Minute)); !errors.Is(err, flows.ErrConflict) {
		t.Errorf("an undo after the household's change: %v", err)
	}
	if err := b.db.Submit(b.ctx, a.ID, rev, family, scoring.Result{}, decided.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	q, _, err := b.db.Queue(b.ctx, reviewer, 0, 20)
	if err != nil || len(q) != 1 || q[0].Resubmitted != 1 {
		t.Fatalf("the resubmission in the queue: %+v %v", q, err)
	}
	u, err := b.db.ForReview(b.ctx, reviewer, a.ID)
	if err != nil || u.Review.Before["1.1"] != scoring.Yes() || u.Answers["1.1"] != no || u.Review.Reason != "ảnh 1.1 mờ" {
		t.Errorf("the resubmission opened: %+v %v", u.Review, err)
	}
	if _, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: a.ID, Rev: u.Review.Rev, Reviewer: reviewer, State: flows.ReviewAccepted, At: decided.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := b.db.Undo(b.ctx, reviewer, a.ID, u.Review.Rev+1, decided.Add(2*time.Hour+time.Minute)); err != nil {
		t.Errorf("an undo within ten minutes: %v", err)
	}
	if q := b.queue(reviewer); len(q) != 1 {
		t.Errorf("an undone acceptance does not wait again: %v", q)
	}
	// The log has every decision, and not the reviewer's words.
	var actions, details string
	if err := b.db.Pool().QueryRow(b.ctx, `SELECT string_agg(action, ',' ORDER BY id), string_agg(coalesce(detail::text, ''), ' ')
		FROM audit_log WHERE assessment_id = $1 AND action LIKE 'review.%'`, a.ID).Scan(&actions, &details); err != nil {
		t.Fatal(err)
	}
	if actions != "review.needs_changes,review.accepted,review.undo" || strings.Contains(details, "mờ") {
		t.Errorf("audit %s: %s", actions, details)
	}
}

// BenchmarkQueuePage is the server time of one page of a reviewer's queue
// of 500 waiting submissions (aim: under 20 ms), for a reviewer of the
// commune and one of the whole province (Hà Nội: 126 communes in scope).
func BenchmarkQueuePage(b *testing.B) {
	rb := newReviewBundle(b)
	family := rb.person()
	for i := range 500 {
		rb.submitted(family, fmt.Sprintf("Hộ số %d", i), area.SampleCommune+".01")
	}
	for _, scope := range []string{area.SampleCommune, "01"} {
		reviewer := rb.person("reviewer@" + scope)
		b.Run(scope, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				q, total, err := rb.db.Queue(rb.ctx, reviewer, (i%25)*20, 20)
				if err != nil || total != 500 || len(q) != 20 {
					b.Fatalf("a page of %d of %d: %v", len(q), total, err)
				}
			}
		})
	}
}

// TestNoticesWrittenWithTheirJobs: a decision's notices are written with
// the River jobs that bring them, due when the undo window has passed;
// the sweep never doubles a job, and a delivered notice reads as sent.
func TestNoticesWrittenWithTheirJobs(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	family := b.person()
	a := b.submitted(family, "Nhà Lê", area.SampleCommune+".01")
	reviewer := b.person("reviewer@" + area.SampleCommune)
	decided := time.Now().Truncate(time.Microsecond) // as PostgreSQL keeps it
	if _, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: a.ID, Rev: 1, Reviewer: reviewer, State: flows.ReviewAccepted, At: decided}); err != nil {
		t.Fatal(err)
	}
	// The decision, then (the province recognising on acceptance) the
	// certificate of its recognition, each with the job that brings it,
	// due once the undo window has passed.
	due := decided.Add(store.UndoWithin)
	type job struct {
		Notice int64
		At     time.Time
		Queue  string
	}
	jobs := func() []job {
		t.Helper()
		rows, err := b.db.Pool().Query(b.ctx, `SELECT (args->>'notice')::bigint, scheduled_at, queue FROM river_job WHERE kind = 'notice' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[job])
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	written := jobs()
	if len(written) != 2 || !written[0].At.Equal(due) || written[0].Queue != store.QueueNotice {
		t.Fatalf("the jobs %+v, want two due at %v", written, due)
	}
	var first []store.Notice
	for _, j := range written {
		n, found, err := b.db.NoticeOf(b.ctx, j.Notice)
		if err != nil || !found || n.Sent {
			t.Fatalf("notice %d: %+v %v %v", j.Notice, n, found, err)
		}
		first = append(first, n)
	}
	if first[0].Person != family || first[0].Name != store.NoticeDecided || first[0].Object != a.ID || first[0].Rev != 2 ||
		first[0].Channel != "telegram" || first[0].User == 0 || first[1].Name != store.NoticeRecognised {
		t.Fatalf("the notices %+v", first)
	}
	// The sweep gives no second job to a notice that has one; it gives one
	// to a notice whose job is gone, once.
	if n, err := b.db.EnqueueNotices(b.ctx); err != nil || n != 0 {
		t.Errorf("the sweep enqueued %d %v, want 0", n, err)
	}
	if _, err := b.db.Pool().Exec(b.ctx, `DELETE FROM river_job WHERE (args->>'notice')::bigint = $1`, first[1].ID); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{1, 0} {
		if n, err := b.db.EnqueueNotices(b.ctx); err != nil || n != want {
			t.Errorf("sweep %d enqueued %d %v, want %d", i+1, n, err, want)
		}
	}
	if err := b.db.Sent(b.ctx, first[0].ID, due); err != nil {
		t.Fatal(err)
	}
	if n, _, err := b.db.NoticeOf(b.ctx, first[0].ID); err != nil || !n.Sent {
		t.Errorf("delivered, and read as %+v %v", n, err)
	}
	told, err := b.db.Told(b.ctx, family, a.ID)
	if err != nil || told.State != flows.ReviewAccepted || told.Rev != 2 || told.SubjectName != "Nhà Lê" {
		t.Errorf("told %+v %v", told, err)
	}
	if _, err := b.db.Told(b.ctx, reviewer, a.ID); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("the reviewer is told as a representative: %v", err)
	}
}

// TestRecognitionChains: where a province recognises on acceptance, an
// acceptance recognises (and its undo ends the recognition); where it
// confirms, accepted submissions wait for a recogniser of their area, who
// recognises them as a batch under one decision; none twice.
func TestRecognitionChains(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	family := b.person()
	hanoi := b.submitted(family, "Nhà Lê", area.SampleCommune+".01")
	tuyenQuang := b.submitted(b.person(), "Nhà Hà", area.SampleHardshipCommune+".01")
	second := b.submitted(b.person(), "Nhà Vũ", area.SampleHardshipCommune+".02")
	reviewer := b.person("reviewer@VN")
	recogniser := b.person("recogniser@08")
	elsewhere := b.person("recogniser@01")
	if _, err := b.db.SetChain(b.ctx, "08", flows.ChainConfirm, 0, b.at); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.SetChain(b.ctx, area.SampleCommune, flows.ChainConfirm, 0, b.at); err == nil {
		t.Error("a chain set for a commune")
	}
	recognitions := func() string {
		t.Helper()
		var got string
		if err := b.db.Pool().QueryRow(b.ctx, `SELECT coalesce(string_agg(assessment_id::text || ':' || coalesce(decision_no, '-') || ':' || (ended_at IS NULL)::text, ',' ORDER BY id), '')
			FROM recognitions`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, a := range []flows.Assessment{hanoi, tuyenQuang, second} {
		if _, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: a.ID, Rev: 1, Reviewer: reviewer, State: flows.ReviewAccepted, At: b.at}); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := recognitions(), fmt.Sprintf("%d:-:true", hanoi.ID); got != want {
		t.Errorf("recognitions after the acceptances %q, want Hà Nội's alone %q", got, want)
	}
	if err := b.db.Undo(b.ctx, reviewer, hanoi.ID, 2, b.at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := recognitions(); got != fmt.Sprintf("%d:-:false", hanoi.ID) {
		t.Errorf("the undone acceptance's recognition %q", got)
	}
	// The export says each one's state: sent back, rejected, accepted and
	// waiting for its recogniser, recognised.
	if _, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: hanoi.ID, Rev: 3, Reviewer: reviewer, State: flows.ReviewNeedsChanges, Reason: "x", At: b.at}); err != nil {
		t.Fatal(err)
	}
	rejected := b.submitted(b.person(), "Nhà Đỗ", area.SampleCommune+".02")
	if _, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: rejected.ID, Rev: 1, Reviewer: reviewer, State: flows.ReviewRejected, Reason: "x", At: b.at}); err != nil {
		t.Fatal(err)
	}
	states := func() map[string]string {
		t.Helper()
		got := map[string]string{}
		err := b.db.EachExported(b.ctx, "", func(e store.Exported) error {
			got[e.SubjectName] = e.State
			if e.Assisted {
				t.Errorf("%s is assisted", e.SubjectName)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := map[string]string{"Nhà Lê": "needs_changes", "Nhà Đỗ": "rejected", "Nhà Hà": "accepted", "Nhà Vũ": "accepted"}
	if got := states(); !maps.Equal(got, want) {
		t.Errorf("exported states %v, want %v", got, want)
	}
	pending, err := b.db.Pending(b.ctx, recogniser, 10)
	if err != nil || len(pending) != 2 || pending[0].SubjectName != "Nhà Hà" {
		t.Fatalf("pending %+v %v", pending, err)
	}
	if p, err := b.db.Pending(b.ctx, elsewhere, 10); err != nil || len(p) != 0 {
		t.Errorf("Hà Nội's recogniser sees %+v %v", p, err)
	}
	batch := flows.Recognising{AssessmentIDs: []int64{tuyenQuang.ID, second.ID}, By: recogniser, DecisionNo: "12/QĐ-KH",
		DecisionDate: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), At: b.at}
	outsider := batch
	outsider.By = elsewhere
	if err := b.db.Recognise(b.ctx, outsider); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("another province's recogniser: %v", err)
	}
	if err := b.db.Recognise(b.ctx, batch); err != nil {
		t.Fatal(err)
	}
	if err := b.db.Recognise(b.ctx, batch); !errors.Is(err, flows.ErrConflict) {
		t.Errorf("the batch again: %v", err)
	}
	if p, _ := b.db.Pending(b.ctx, recogniser, 10); len(p) != 0 {
		t.Errorf("still pending %+v", p)
	}
	if got := states(); got["Nhà Hà"] != "recognised" || got["Nhà Vũ"] != "recognised" {
		t.Errorf("exported states after the recognition %v", got)
	}
	var id int64
	if err := b.db.Pool().QueryRow(b.ctx, `SELECT id FROM recognitions WHERE assessment_id = $1`, tuyenQuang.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	g, err := b.db.Recognised(b.ctx, b.person(), id)
	if !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("a stranger reads the recognition: %+v %v", g, err)
	}
	var rep int64
	if err := b.db.Pool().QueryRow(b.ctx, `SELECT person_id FROM assessments WHERE id = $1`, tuyenQuang.ID).Scan(&rep); err != nil {
		t.Fatal(err)
	}
	g, err = b.db.Recognised(b.ctx, rep, id)
	if err != nil || g.SubjectName != "Nhà Hà" || g.DecisionNo != "12/QĐ-KH" || len(g.Places) != 3 || g.Places[2].Name.VI != "Tỉnh Tuyên Quang" || g.Year != 2026 {
		t.Errorf("the recognition %+v %v", g, err)
	}
}

// TestMergeKeepsLastYearsFigures: commune T.A merges into T.B on 1 July
// 2026, its village moving with it; last year's recognitions still count
// under T.A (and Hà Nội), this year's under T.B, and the household placed
// at the commune itself moves to T.B.
func TestMergeKeepsLastYearsFigures(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	load := func(from string, csv string) store.Imported {
		t.Helper()
		rows, err := area.ReadCSV(strings.NewReader("code,name,level,parent_code,valid_from,valid_to,replaced_by\n" + csv))
		if err != nil {
			t.Fatal(err)
		}
		day, _ := time.Parse(time.DateOnly, from)
		n, err := b.db.ImportAreas(b.ctx, rows, day)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	load("2025-07-01", "T.A,Xã An,commune,01,2025-07-01,,\nT.B,Xã Bình,commune,01,2025-07-01,,\nT.A.1,Thôn Một,village,T.A,2025-07-01,,\n")
	reviewer := b.person("reviewer@01")
	recognised := func(name, areaCode string, year int, on time.Time) flows.Assessment {
		t.Helper()
		return b.accepted(b.person(), 0, name, areaCode, year, on, reviewer)
	}
	lastYear := time.Date(2025, 12, 1, 9, 0, 0, 0, time.UTC)
	recognised("Nhà Một", "T.A.1", 2025, lastYear)
	atCommune := recognised("Nhà Hai", "T.A", 2025, lastYear)

	n := load("2026-07-01", "T.A,Xã An,commune,01,2025-07-01,2026-07-01,T.B\nT.A.1,Thôn Một,village,T.B,2025-07-01,,\n")
	if n.Moved != 1 || n.SubjectsMoved != 1 {
		t.Errorf("the merge: %+v", n)
	}
	// A file that still lists the village under the merged commune is
	// refused, not left to hide it under an area that ended.
	stale, err := area.ReadCSV(strings.NewReader("code,name,level,parent_code,valid_from,valid_to,replaced_by\nT.A.1,Thôn Một,village,T.A,2025-07-01,,\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.ImportAreas(b.ctx, stale, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)); err == nil || !strings.Contains(err.Error(), `line 2, parent_code: "T.A" ended on 2026-07-01`) {
		t.Errorf("a village under the merged commune: %v", err)
	}
	recognised("Nhà Ba", "T.A.1", 2026, time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC))
	if a, err := b.db.Assessment(b.ctx, atCommune.ID); err != nil || a.AreaCode != "T.B" {
		t.Errorf("the household at the merged commune is in %q %v", a.AreaCode, err)
	}
	for _, c := range []struct {
		area string
		year int
		want int
	}{{"T.A", 2025, 2}, {"T.B", 2025, 0}, {"01", 2025, 2}, {"T.A.1", 2025, 1}, {"T.B", 2026, 1}, {"T.A", 2026, 0}, {"01", 2026, 1}} {
		if got, err := b.db.RecognisedIn(b.ctx, c.area, c.year); err != nil || got != c.want {
			t.Errorf("recognised in %s in %d: %d %v, want %d", c.area, c.year, got, err, c.want)
		}
	}
}

// TestReviewerPoints: a reviewer's points for an indicator they score are
// an answer of the submission, behind the wall, only while it waits; the
// acceptance keeps the score they make.
func TestReviewerPoints(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	a := b.submitted(b.person(), "Thôn Đông", area.SampleCommune+".01")
	reviewer, other := b.person("reviewer@"+area.SampleCommune), b.person("reviewer@"+area.SampleHardshipCommune)
	p := flows.ReviewerPoints{AssessmentID: a.ID, Rev: 1, Reviewer: other, Code: "3.3", Points: 8}
	if err := b.db.ScoreByReviewer(b.ctx, p); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("another commune's reviewer scores: %v", err)
	}
	p.Reviewer = reviewer
	if err := b.db.ScoreByReviewer(b.ctx, p); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.db.Assessment(b.ctx, a.ID); got.Answers["3.3"] != scoring.Value(8) {
		t.Errorf("the points are not an answer: %v", got.Answers)
	}
	res := scoring.Result{Total: 88, Max: 100, PassMark: 80, Passed: true}
	if _, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: a.ID, Rev: 1, Reviewer: reviewer, State: flows.ReviewAccepted, At: b.at, Result: &res}); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.db.Assessment(b.ctx, a.ID); got.Result == nil || got.Result.Total != 88 {
		t.Errorf("the result kept %+v", got.Result)
	}
	if err := b.db.ScoreByReviewer(b.ctx, p); !errors.Is(err, flows.ErrConflict) {
		t.Errorf("points after the decision: %v", err)
	}
}

// TestAssistedEntry: a reviewer enters a household's assessment on its
// behalf only within their area; it is marked as assisted, the household
// has no representative, and another reviewer reviews it.
func TestAssistedEntry(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	reviewer, other := b.person("reviewer@"+area.SampleCommune), b.person("reviewer@01")
	n := flows.NewAssessment{PersonID: reviewer, Kind: scoring.KindFamily, Name: "Nhà ông Sáu", AreaCode: area.SampleHardshipCommune + ".01",
		Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: 2026, Cursor: "1.1", Key: "as1", Assisted: true}
	if _, err := b.db.Start(b.ctx, n); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("an assisted entry outside the reviewer's area: %v", err)
	}
	n.AreaCode, n.Key = area.SampleCommune+".01", "as2"
	a, err := b.db.Start(b.ctx, n)
	if err != nil || !a.Assisted {
		t.Fatalf("the assisted entry %+v %v", a, err)
	}
	if s, _ := b.db.Subjects(b.ctx, reviewer, scoring.KindFamily); len(s) != 0 {
		t.Errorf("the reviewer represents %+v", s)
	}
	if err := b.db.Submit(b.ctx, a.ID, a.Rev, reviewer, scoring.Result{}, b.at); err != nil {
		t.Fatal(err)
	}
	if q := b.queue(reviewer); len(q) != 0 {
		t.Errorf("the reviewer reviews their own entry: %v", q)
	}
	if q := b.queue(other); len(q) != 1 {
		t.Errorf("another reviewer's queue %v", q)
	}
	tell, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: a.ID, Rev: 1, Reviewer: other, State: flows.ReviewAccepted, At: b.at})
	if err != nil || len(tell) != 0 {
		t.Errorf("told %v %v, want nobody", tell, err)
	}
	var assisted bool
	err = b.db.EachExported(b.ctx, "", func(e store.Exported) error { assisted = e.Assisted; return nil })
	if err != nil || !assisted {
		t.Errorf("the export does not mark it assisted: %v", err)
	}
}

// TestVillagesAddedAndHouseholdsMoved: a commune's leader adds villages
// (no name twice, codes that cannot collide with the statistics office's)
// and moves a household placed at the commune into one; nobody outside
// the commune may.
func TestVillagesAddedAndHouseholdsMoved(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	const baDinh = "00004" // Phường Ba Đình, with no village in the shipped tree
	family := b.person()
	a, err := b.db.Start(b.ctx, flows.NewAssessment{PersonID: family, Kind: scoring.KindFamily, Name: "Nhà Lý", AreaCode: baDinh,
		Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: 2026, Cursor: "1.1", Key: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	leader, outsider := b.person("leader@"+baDinh), b.person("leader@"+area.SampleCommune)
	if _, err := b.db.AddVillages(b.ctx, outsider, baDinh, []string{"Tổ dân phố 1"}); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("another commune's leader adds: %v", err)
	}
	added, err := b.db.AddVillages(b.ctx, leader, baDinh, []string{"Tổ dân phố 1", "Tổ dân phố 2", "to dan pho 1"})
	if err != nil || len(added) != 2 || added[0].Code != baDinh+".01" || added[1].Name.EN != "Residential group 2" {
		t.Fatalf("added %+v %v", added, err)
	}
	if again, err := b.db.AddVillages(b.ctx, leader, baDinh, []string{"TỔ DÂN PHỐ 2", "Tổ dân phố 3"}); err != nil || len(again) != 1 || again[0].Code != baDinh+".03" {
		t.Errorf("added again %+v %v", again, err)
	}
	at, err := b.db.SubjectsAt(b.ctx, leader, baDinh)
	if err != nil || len(at) != 1 || at[0].Name != "Nhà Lý" {
		t.Fatalf("the households at the ward %+v %v", at, err)
	}
	// The household was asked once, though villages were added twice,
	// and is offered every village of the ward.
	due := storetest.TakeDue(t, b.db, time.Now().Add(time.Minute))
	if len(due) != 1 || due[0].Person != family || due[0].Name != store.NoticeRelocate {
		t.Fatalf("the notices %+v", due)
	}
	asked, err := b.db.Relocation(b.ctx, family, due[0].Object)
	if err != nil || !asked.Villages || !asked.Waiting || len(asked.Candidates) != 3 || asked.Candidates[2].Code != baDinh+".03" {
		t.Fatalf("the question %+v %v", asked, err)
	}
	if _, err := b.db.Relocation(b.ctx, leader, due[0].Object); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("the leader reads the household's question: %v", err)
	}
	if err := b.db.MoveSubject(b.ctx, outsider, at[0].ID, baDinh+".01"); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("an outsider moves it: %v", err)
	}
	if err := b.db.MoveSubject(b.ctx, leader, at[0].ID, area.SampleCommune+".01"); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("moved into another commune's village: %v", err)
	}
	if err := b.db.MoveSubject(b.ctx, leader, at[0].ID, baDinh+".01"); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.db.Assessment(b.ctx, a.ID); got.AreaCode != baDinh+".01" {
		t.Errorf("the assessment is in %s", got.AreaCode)
	}
	if err := b.db.Relocate(b.ctx, family, asked.ID, baDinh+".02", time.Now()); !errors.Is(err, flows.ErrConflict) {
		t.Errorf("picked after the leader moved it: %v", err)
	}
	// A second household, asked, picks its village itself.
	other := b.person()
	if _, err := b.db.Start(b.ctx, flows.NewAssessment{PersonID: other, Kind: scoring.KindFamily, Name: "Nhà Mai", AreaCode: baDinh,
		Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: 2026, Cursor: "1.1", Key: "v2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.AddVillages(b.ctx, leader, baDinh, []string{"Tổ dân phố 4"}); err != nil {
		t.Fatal(err)
	}
	due = storetest.TakeDue(t, b.db, time.Now().Add(time.Minute))
	if len(due) != 1 || due[0].Person != other {
		t.Fatalf("the notices %+v", due)
	}
	if err := b.db.Relocate(b.ctx, other, due[0].Object, area.SampleCommune+".01", time.Now()); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("picked another commune's village: %v", err)
	}
	if err := b.db.Relocate(b.ctx, other, due[0].Object, baDinh+".04", time.Now()); err != nil {
		t.Fatal(err)
	}
	if found, err := b.db.SearchAreas(b.ctx, baDinh, "village", "to dan pho 3", 5); err != nil || len(found) != 1 {
		t.Errorf("a village added is not found: %+v %v", found, err)
	}
}

// TestSeasonsAndRegistrations: a year is Vietnam's calendar year unless
// the province set a season; registering, and starting, record a subject's
// intent once.
func TestSeasonsAndRegistrations(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	village := area.SampleCommune + ".01"
	newYearsEve := time.Date(2026, 12, 31, 18, 0, 0, 0, time.UTC) // 1 January 2027, 01:00 in Vietnam
	if y, err := b.db.SeasonYear(b.ctx, village, newYearsEve); err != nil || y != 2027 {
		t.Errorf("the year at 01:00 on 1 January in Vietnam: %d %v", y, err)
	}
	if err := b.db.SetSeason(b.ctx, "01", flows.Season{Year: 2027, Opens: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Closes: time.Date(2027, 11, 30, 0, 0, 0, 0, time.UTC)}, 0); err != nil {
		t.Fatal(err)
	}
	december := time.Date(2026, 12, 15, 3, 0, 0, 0, time.UTC)
	if y, _ := b.db.SeasonYear(b.ctx, village, december); y != 2027 {
		t.Errorf("Hà Nội's season in December: %d", y)
	}
	if y, _ := b.db.SeasonYear(b.ctx, area.SampleHardshipCommune+".01", december); y != 2026 {
		t.Errorf("Tuyên Quang's year in December: %d", y)
	}
	family := b.person()
	n := flows.NewAssessment{PersonID: family, Kind: scoring.KindFamily, Name: "Nhà Lê", AreaCode: village, Region: scoring.RegionNormal,
		SetID: "family-2015", SetVersion: 2, Year: 2027, Cursor: "1.1", Key: "r1"}
	s, err := b.db.Register(b.ctx, n, december)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := b.db.Register(b.ctx, n, december); err != nil || again.ID != s.ID {
		t.Errorf("registered again %+v %v", again, err)
	}
	a, err := b.db.Start(b.ctx, n) // the same household, found by name
	if err != nil || a.SubjectID != s.ID {
		t.Fatalf("the registered household started %+v %v", a, err)
	}
	other := n
	other.Name, other.Key = "Nhà Vũ", "r2"
	v, err := b.db.Start(b.ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		subject int64
		year    int
		want    bool
	}{{s.ID, 2027, true}, {v.SubjectID, 2027, true}, {s.ID, 2026, false}} {
		if got, err := b.db.Registered(b.ctx, c.subject, c.year); err != nil || got != c.want {
			t.Errorf("subject %d registered for %d: %v %v", c.subject, c.year, got, err)
		}
	}
}

// TestDerivedShare: a village's share of Learning Families counts the
// households placed in it recognised in the assessment's year or the year
// before; an undone recognition, an older one and a household of another
// village do not count.
func TestDerivedShare(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	rows, err := area.ReadCSV(strings.NewReader("code,name,level,parent_code,valid_from,valid_to\n" +
		"T.V,Thôn Vui,village,00376,2025-07-01,\nT.W,Thôn Xa,village,00376,2025-07-01,\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.ImportAreas(b.ctx, rows, time.Now()); err != nil {
		t.Fatal(err)
	}
	reviewer := b.person("reviewer@00376")
	head := b.person()
	village, err := b.db.Start(b.ctx, flows.NewAssessment{PersonID: head, Kind: scoring.KindCommunity, Name: "Thôn Vui", AreaCode: "T.V",
		Region: scoring.RegionNormal, SetID: "community-2021", SetVersion: 2, Year: 2026, Key: "village"})
	if err != nil {
		t.Fatal(err)
	}
	share := func(year int) flows.Share {
		t.Helper()
		s, err := b.db.Derive(b.ctx, scoring.RecognisedFamilies, village.SubjectID, year)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got := share(2026); got != (flows.Share{Year: 2026}) {
		t.Errorf("a village with no household: %+v", got)
	}
	// recognised submits and accepts a household's assessment of a year,
	// which recognises it at once (the default chain).
	recognised := func(p int64, subject int64, name, areaCode string, year int) flows.Assessment {
		t.Helper()
		b.n++
		a, err := b.db.Start(b.ctx, flows.NewAssessment{PersonID: p, SubjectID: subject, Kind: scoring.KindFamily, Name: name, AreaCode: areaCode,
			Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: year, Cursor: "1.1", Key: fmt.Sprintf("d%d", b.n)})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.db.Submit(b.ctx, a.ID, a.Rev, p, scoring.Result{}, b.at); err != nil {
			t.Fatal(err)
		}
		if _, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: a.ID, Rev: 1, Reviewer: reviewer, State: flows.ReviewAccepted, At: b.at}); err != nil {
			t.Fatal(err)
		}
		return a
	}
	pa, pb, pc, pd, pe, far := b.person(), b.person(), b.person(), b.person(), b.person(), b.person()
	a := recognised(pa, 0, "Nhà A", "T.V", 2025)
	recognised(pa, a.SubjectID, "Nhà A", "T.V", 2026)
	recognised(pb, 0, "Nhà B", "T.V", 2025)
	recognised(pe, 0, "Nhà E", "T.V", 2025)
	c := recognised(pc, 0, "Nhà C", "T.V", 2026)
	if _, err := b.db.Start(b.ctx, flows.NewAssessment{PersonID: pd, Kind: scoring.KindFamily, Name: "Nhà D", AreaCode: "T.V",
		Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: 2026, Key: "d-open"}); err != nil {
		t.Fatal(err)
	}
	recognised(far, 0, "Nhà Xa", "T.W", 2026)

	if got, want := share(2026), (flows.Share{Recognised: 4, Households: 5, Year: 2026}); got != want {
		t.Errorf("2026: %+v, want %+v", got, want)
	}
	if got, want := share(2025), (flows.Share{Recognised: 3, Households: 5, Year: 2025}); got != want {
		t.Errorf("2025: %+v, want %+v", got, want)
	}
	if got := share(2026).Percent(); got != 80 {
		t.Errorf("percent %v, want 80", got)
	}
	if err := b.db.Undo(b.ctx, reviewer, c.ID, b.rev(reviewer, c.ID), b.at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, want := share(2026), (flows.Share{Recognised: 3, Households: 5, Year: 2026}); got != want {
		t.Errorf("after an undone recognition: %+v, want %+v", got, want)
	}
	if got, want := share(2027), (flows.Share{Recognised: 1, Households: 5, Year: 2027}); got != want {
		t.Errorf("a year with no recognition yet counts the year before: %+v, want %+v", got, want)
	}
	if got, want := share(2028), (flows.Share{Households: 5, Year: 2028}); got != want {
		t.Errorf("titles two years old: %+v, want %+v", got, want)
	}
}

// TestTitleSentBack: only a recogniser or admin of the province (or the
// nation) sees and sends back a recognised title, never one of a subject
// they represent; the recognition ends, the submission waits for review
// again, marked as returned, the representatives are told, and the audit
// row holds no reason.
func TestTitleSentBack(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	family := b.person()
	a := b.submitted(family, "Nhà Lê", area.SampleCommune+".01")
	reviewer := b.person("reviewer@" + area.SampleCommune)
	if _, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: a.ID, Rev: 1, Reviewer: reviewer, State: flows.ReviewAccepted, At: b.at}); err != nil {
		t.Fatal(err)
	}
	province, nation := b.person("recogniser@01"), b.person("admin@VN")
	commune, otherProvince, leader := b.person("recogniser@"+area.SampleCommune), b.person("recogniser@08"), b.person("leader@01")
	titles := func(p int64) int {
		t.Helper()
		_, n, err := b.db.Titles(b.ctx, p, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, c := range []struct {
		who  string
		p    int64
		want int
	}{{"province", province, 1}, {"nation", nation, 1}, {"commune", commune, 0}, {"other province", otherProvince, 0}, {"leader", leader, 0}, {"reviewer", reviewer, 0}, {"family", family, 0}} {
		if got := titles(c.p); got != c.want {
			t.Errorf("the %s's recogniser sees %d titles, want %d", c.who, got, c.want)
		}
	}
	list, _, err := b.db.Titles(b.ctx, province, 0, 10)
	if err != nil || len(list) != 1 || list[0].SubjectName != "Nhà Lê" || list[0].Year != 2026 || list[0].Places[0].Code != area.SampleCommune+".01" {
		t.Fatalf("titles %+v %v", list, err)
	}
	id := list[0].ID
	for _, p := range []int64{commune, otherProvince, leader, reviewer, family} {
		if err := b.db.Return(b.ctx, flows.Returning{RecognitionID: id, By: p, Reason: "Ảnh không rõ", At: b.at}); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("person %d sent it back: %v", p, err)
		}
	}
	reason := "Ảnh minh chứng của hộ Nhà Lê không rõ"
	if err := b.db.Return(b.ctx, flows.Returning{RecognitionID: id, By: province, Reason: reason, At: b.at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := b.db.Return(b.ctx, flows.Returning{RecognitionID: id, By: nation, Reason: reason, At: b.at.Add(time.Hour)}); !errors.Is(err, flows.ErrConflict) {
		t.Errorf("sent back twice: %v", err)
	}
	if n := titles(province); n != 0 {
		t.Errorf("%d titles after the send-back", n)
	}
	if got, err := b.db.RecognisedIn(b.ctx, "01", 2026); err != nil || got != 0 {
		t.Errorf("recognised in Hà Nội after the send-back: %d %v", got, err)
	}
	q, _, err := b.db.Queue(b.ctx, reviewer, 0, 10)
	if err != nil || len(q) != 1 || q[0].Returned != 1 {
		t.Fatalf("the reviewer's queue %+v %v", q, err)
	}
	u, err := b.db.ForReview(b.ctx, reviewer, a.ID)
	if err != nil || u.Review.State != flows.ReviewWaiting || u.Review.Reason != reason || u.Review.Reviewer != 0 {
		t.Errorf("the review %+v %v", u.Review, err)
	}
	g, err := b.db.Recognised(b.ctx, family, id)
	if err != nil || !g.Ended || g.EndReason != reason {
		t.Errorf("the family reads %+v %v", g, err)
	}
	due := storetest.TakeDue(t, b.db, b.at.Add(2*time.Hour))
	if !slices.ContainsFunc(due, func(n store.Notice) bool {
		return n.Person == family && n.Name == store.NoticeReturned && n.Object == id
	}) {
		t.Errorf("the family is not told: %+v", due)
	}
	var details string
	if err := b.db.Pool().QueryRow(b.ctx, `SELECT detail::text FROM audit_log WHERE action = 'recognition.return'`).Scan(&details); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(details, "Nhà Lê") || strings.Contains(details, "rõ") {
		t.Errorf("the audit holds the reason or the name: %s", details)
	}
	// Accepted again, it is recognised again.
	if _, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: a.ID, Rev: u.Review.Rev, Reviewer: reviewer, State: flows.ReviewAccepted, At: b.at.Add(3 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got, err := b.db.RecognisedIn(b.ctx, "01", 2026); err != nil || got != 1 {
		t.Errorf("recognised again: %d %v", got, err)
	}
}

// TestClanMembers: a household joins a clan by the link of one who
// represents the clan — a person with no household is told so and the
// link is not used — and the clan's share of Learning Families counts its
// member households, wherever they live.
func TestClanMembers(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	head, cousin, stranger := b.person(), b.person(), b.person()
	clan, err := b.db.Start(b.ctx, flows.NewAssessment{PersonID: head, Kind: scoring.KindClan, Name: "Họ Nguyễn Đình", AreaCode: area.SampleCommune,
		Region: scoring.RegionNormal, SetID: "clan-2021", SetVersion: 2, Year: 2026, Key: "clan"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.CreateInvitation(b.ctx, flows.NewInvitation{Role: flows.Member, Subject: clan.SubjectID, Expires: b.at.Add(time.Hour), By: stranger}); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("a stranger invites to the clan: %v", err)
	}
	payload, err := b.db.CreateInvitation(b.ctx, flows.NewInvitation{Role: flows.Member, Subject: clan.SubjectID, Expires: b.at.Add(time.Hour), By: head})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.Redeem(b.ctx, payload, cousin, b.at); !errors.Is(err, flows.ErrNoHousehold) {
		t.Errorf("opened with no household: %v", err)
	}
	home := b.submitted(cousin, "Nhà Nguyễn Văn", area.SampleCommune+".01")
	far := b.submitted(b.person(), "Nhà Xa", area.SampleHardshipCommune+".01")
	inv, err := b.db.Redeem(b.ctx, payload, cousin, b.at)
	if err != nil || inv.SubjectName != "Họ Nguyễn Đình" || len(inv.Joined) != 1 || inv.Joined[0] != "Nhà Nguyễn Văn" {
		t.Fatalf("joined %+v %v", inv, err)
	}
	share := func() flows.Share {
		t.Helper()
		s, err := b.db.Derive(b.ctx, scoring.RecognisedFamilies, clan.SubjectID, 2026)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got := share(); got != (flows.Share{Households: 1, Year: 2026}) {
		t.Errorf("one member, not recognised: %+v", got)
	}
	reviewer := b.person("reviewer@VN")
	for _, a := range []flows.Assessment{home, far} {
		if _, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: a.ID, Rev: 1, Reviewer: reviewer, State: flows.ReviewAccepted, At: b.at}); err != nil {
			t.Fatal(err)
		}
	}
	if got := share(); got != (flows.Share{Recognised: 1, Households: 1, Year: 2026}) {
		t.Errorf("the member recognised (and one that is no member): %+v", got)
	}
	var used int
	if err := b.db.Pool().QueryRow(b.ctx, `SELECT used FROM invitations`).Scan(&used); err != nil || used != 1 {
		t.Errorf("the link used %d times %v, want 1 (not the try with no household)", used, err)
	}
}

// TestVillagesImportedAskHouseholds: villages an area file adds to a
// commune ask its households which is theirs, once.
func TestVillagesImportedAskHouseholds(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	family := b.person()
	if _, err := b.db.Start(b.ctx, flows.NewAssessment{PersonID: family, Kind: scoring.KindFamily, Name: "Nhà Lý", AreaCode: "00004",
		Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: 2026, Key: "k"}); err != nil {
		t.Fatal(err)
	}
	rows, err := area.ReadCSV(strings.NewReader("code,name,level,parent_code,valid_from,valid_to\n00004.50,Tổ dân phố 50,village,00004,2026-01-01,\n"))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{1, 0} {
		n, err := b.db.ImportAreas(b.ctx, rows, time.Now())
		if err != nil || n.Asked != want {
			t.Errorf("import %d: asked %d %v, want %d", i+1, n.Asked, err, want)
		}
	}
	due := storetest.TakeDue(t, b.db, time.Now().Add(time.Minute))
	if len(due) != 1 || due[0].Person != family || due[0].Name != store.NoticeRelocate {
		t.Fatalf("the notices %+v", due)
	}
	if r, err := b.db.Relocation(b.ctx, family, due[0].Object); err != nil || !r.Villages || len(r.Candidates) != 1 || r.Candidates[0].Code != "00004.50" {
		t.Errorf("the question %+v %v", r, err)
	}
}
