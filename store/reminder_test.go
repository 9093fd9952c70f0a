package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/scoring"
	"hoctap/store"
)

// TestRemindersPlannedOnce: an unfinished questionnaire is reminded once
// per step of days since its last change, only the latest step due;
// planning again plans nothing; a change starts the steps again; people
// who switched reminders off, blocked the bot, or whose questionnaire a
// reviewer fills in, get none.
func TestRemindersPlannedOnce(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	family := b.person()
	a, err := b.db.Start(b.ctx, flows.NewAssessment{PersonID: family, Kind: scoring.KindFamily, Name: "Nhà Lê", AreaCode: area.SampleCommune + ".01",
		Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: 2026, Cursor: "1.1", Key: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	off := b.person()
	if _, err := b.db.Start(b.ctx, flows.NewAssessment{PersonID: off, Kind: scoring.KindFamily, Name: "Nhà Mai", AreaCode: area.SampleCommune + ".01",
		Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: 2026, Cursor: "1.1", Key: "r2"}); err != nil {
		t.Fatal(err)
	}
	if err := b.db.SetReminders(b.ctx, off, false); err != nil {
		t.Fatal(err)
	}
	blocked := b.person()
	if _, err := b.db.Start(b.ctx, flows.NewAssessment{PersonID: blocked, Kind: scoring.KindFamily, Name: "Nhà Đào", AreaCode: area.SampleCommune + ".01",
		Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: 2026, Cursor: "1.1", Key: "r3"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.Pool().Exec(b.ctx, `UPDATE people SET inactive = true WHERE id = $1`, blocked); err != nil {
		t.Fatal(err)
	}
	reviewer := b.person("reviewer@" + area.SampleCommune)
	if _, err := b.db.Start(b.ctx, flows.NewAssessment{PersonID: reviewer, Kind: scoring.KindFamily, Name: "Nhà Cù", AreaCode: area.SampleCommune + ".01",
		Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: 2026, Cursor: "1.1", Key: "r4", Assisted: true}); err != nil {
		t.Fatal(err)
	}
	if on, err := b.db.RemindersOn(b.ctx, off); err != nil || on {
		t.Errorf("switched off, read as on %v %v", on, err)
	}
	left := time.Now()
	plan := func(after time.Duration) []store.ReminderJob {
		t.Helper()
		if _, err := b.db.PlanReminders(b.ctx, left.Add(after), []int{1, 3, 7}); err != nil {
			t.Fatal(err)
		}
		rows, err := b.db.Pool().Query(b.ctx, `SELECT person_id, about, period FROM reminders ORDER BY due_at`)
		if err != nil {
			t.Fatal(err)
		}
		var out []store.ReminderJob
		for rows.Next() {
			var k store.ReminderJob
			if err := rows.Scan(&k.Person, &k.About, &k.Period); err != nil {
				t.Fatal(err)
			}
			out = append(out, k)
		}
		return out
	}
	if got := plan(23 * time.Hour); len(got) != 0 {
		t.Errorf("planned within the first day: %+v", got)
	}
	if got := plan(25 * time.Hour); len(got) != 1 || got[0].Person != family || got[0].About != flows.RemindUnfinished || got[0].Period != "1:1:1" {
		t.Fatalf("after a day: %+v", got)
	}
	if got := plan(26 * time.Hour); len(got) != 1 {
		t.Errorf("planned twice: %+v", got)
	}
	// A week on, the 7-day step alone: the 3-day one, missed, is not sent
	// too.
	if got := plan(8 * 24 * time.Hour); len(got) != 2 || got[1].Period != "1:1:7" {
		t.Errorf("after a week: %+v", got)
	}
	// A change starts the steps again, from the new revision.
	if _, err := b.db.Pool().Exec(b.ctx, `UPDATE assessments SET rev = rev + 1, updated_at = $2 WHERE id = $1`, a.ID, left.Add(8*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := plan(9*24*time.Hour + time.Hour); len(got) != 3 || got[2].Period != "1:2:1" {
		t.Errorf("a day after the change: %+v", got)
	}
	var jobs int
	if err := b.db.Pool().QueryRow(b.ctx, `SELECT count(*) FROM river_job WHERE kind = 'reminder'`).Scan(&jobs); err != nil || jobs != 3 {
		t.Errorf("%d reminder jobs %v, want 3", jobs, err)
	}
	r, found, err := b.db.ReminderOf(b.ctx, store.ReminderJob{Person: family, About: flows.RemindUnfinished, Period: "1:1:1"})
	if err != nil || !found || r.Object != a.ID || r.Rev != 1 || r.Done || r.Off || r.Channel != "telegram" {
		t.Errorf("the reminder %+v %v %v", r, found, err)
	}
	if err := b.db.Reminded(b.ctx, r.ReminderJob, true, time.Now()); err != nil {
		t.Fatal(err)
	}
	if r, _, _ := b.db.ReminderOf(b.ctx, r.ReminderJob); !r.Done {
		t.Errorf("sent, read as not done")
	}
}

// TestDigestsPlannedOnceADay: a reviewer with something waiting in their
// scope gets one digest a day, not for their own household's submission;
// a recogniser gets one while accepted submissions wait in a province that
// confirms; nothing waiting, no digest.
func TestDigestsPlannedOnceADay(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	reviewer := b.person("reviewer@" + area.SampleCommune)
	idle := b.person("reviewer@" + area.SampleWard)
	recogniser := b.person("recogniser@01")
	if _, err := b.db.SetChain(b.ctx, "01", flows.ChainConfirm, 0, b.at); err != nil {
		t.Fatal(err)
	}
	b.submitted(reviewer, "Nhà của người thẩm định", area.SampleCommune+".01") // theirs: not theirs to review
	digests := func(at time.Time) map[int64][]string {
		t.Helper()
		if _, err := b.db.PlanReminders(b.ctx, at, []int{1, 3, 7}); err != nil {
			t.Fatal(err)
		}
		rows, err := b.db.Pool().Query(b.ctx, `SELECT person_id, about || '@' || period FROM reminders WHERE about <> 'unfinished' ORDER BY 1, 2`)
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64][]string{}
		for rows.Next() {
			var p int64
			var k string
			if err := rows.Scan(&p, &k); err != nil {
				t.Fatal(err)
			}
			out[p] = append(out[p], k)
		}
		return out
	}
	morning := time.Date(2026, 12, 7, 8, 0, 0, 0, store.Vietnam)
	if got := digests(morning); len(got) != 0 {
		t.Errorf("digests with nothing to review: %v", got)
	}
	family := b.person()
	a := b.submitted(family, "Nhà Lê", area.SampleCommune+".01")
	// What the digest counts: the reviewer's one, late after a week; the
	// province's recogniser may list it but not decide it.
	if w, err := b.db.Waiting(b.ctx, reviewer, b.at.Add(time.Hour)); err != nil || w.N != 1 || w.Late != 1 || !w.Oldest.Equal(b.at) {
		t.Errorf("what waits for the reviewer: %+v %v", w, err)
	}
	if w, err := b.db.Waiting(b.ctx, reviewer, b.at.Add(-time.Hour)); err != nil || w.Late != 0 {
		t.Errorf("late before it waited: %+v %v", w, err)
	}
	if w, err := b.db.Waiting(b.ctx, recogniser, b.at); err != nil || w.N != 0 {
		t.Errorf("what waits for the recogniser to decide: %+v %v", w, err)
	}
	digests(morning)
	if got := digests(morning.Add(time.Hour)); len(got) != 1 || len(got[reviewer]) != 1 || got[reviewer][0] != "review@2026-12-07" {
		t.Fatalf("the digests of the day %v", got)
	}
	if _, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: a.ID, Rev: 1, Reviewer: reviewer, State: flows.ReviewAccepted, At: b.at}); err != nil {
		t.Fatal(err)
	}
	got := digests(morning.Add(24 * time.Hour))
	if len(got[reviewer]) != 1 || len(got[recogniser]) != 1 || got[recogniser][0] != "recognise@2026-12-08" || len(got[idle]) != 0 {
		t.Errorf("the next day's digests %v", got)
	}
}

// TestRegisteredRemindedAsTheSeasonCloses: a registration not assessed is
// reminded 7 days and 1 day before its province's season closes (the
// calendar year's end without one), the nearest step once; none once it
// is started.
func TestRegisteredRemindedAsTheSeasonCloses(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	family := b.person()
	other := b.person()
	register := func(person int64, name, areaCode string) flows.Subject {
		t.Helper()
		s, err := b.db.Register(b.ctx, flows.NewAssessment{PersonID: person, Kind: scoring.KindFamily, Name: name, AreaCode: areaCode,
			Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: 2026, Key: "reg-" + name}, b.at)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	lê := register(family, "Nhà Lê", area.SampleCommune+".01")        // Hà Nội: the calendar year
	lò := register(other, "Nhà Lò", area.SampleHardshipCommune+".01") // Tuyên Quang: a season to 30 November
	if err := b.db.SetSeason(b.ctx, "08", flows.Season{Year: 2026, Opens: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Closes: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)}, 0); err != nil {
		t.Fatal(err)
	}
	periods := func(day string) []string {
		t.Helper()
		at, _ := time.ParseInLocation(time.DateOnly, day, store.Vietnam)
		if _, err := b.db.PlanReminders(b.ctx, at.Add(9*time.Hour), []int{1, 3, 7}); err != nil {
			t.Fatal(err)
		}
		return b.texts(`SELECT period FROM reminders WHERE about = 'registered' ORDER BY due_at, period`)
	}
	id := func(s flows.Subject, step string) string { return fmt.Sprintf("%d:2026:%s", s.ID, step) }
	if got := periods("2026-11-22"); len(got) != 0 {
		t.Errorf("more than a week before: %v", got)
	}
	if got := periods("2026-11-23"); !slices.Equal(got, []string{id(lò, "7")}) {
		t.Errorf("a week before Tuyên Quang's close: %v", got)
	}
	if got := periods("2026-12-30"); !slices.Equal(got, []string{id(lò, "7"), id(lê, "1")}) {
		t.Errorf("the day before the year's end: %v, want Nhà Lê's last step alone", got)
	}
	if got := periods("2027-01-02"); len(got) != 2 {
		t.Errorf("after the close: %v", got)
	}
	if _, err := b.db.Pool().Exec(b.ctx, `DELETE FROM reminders`); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.Start(b.ctx, flows.NewAssessment{PersonID: family, Kind: scoring.KindFamily, SubjectID: lê.ID, Name: lê.Name, AreaCode: lê.AreaCode,
		Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: 2026, Cursor: "1.1", Key: "started"}); err != nil {
		t.Fatal(err)
	}
	if got := periods("2026-12-30"); len(got) != 0 {
		t.Errorf("a registration started is reminded: %v", got)
	}
}
