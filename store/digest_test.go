package store_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/store"
)

// TestWeekOf: the digests' week begins on Monday at 07:00, Vietnam's
// time; the small hours of a Monday still belong to the week before.
func TestWeekOf(t *testing.T) {
	t.Parallel()
	at := func(day, hour, minute int) time.Time {
		return time.Date(2026, 12, day, hour, minute, 0, 0, store.Vietnam)
	}
	for _, c := range []struct{ at, want time.Time }{
		{at(7, 7, 0), at(7, 7, 0)},
		{at(9, 12, 0), at(7, 7, 0)},
		{at(13, 23, 59), at(7, 7, 0)},
		{at(14, 6, 59), at(7, 7, 0)},
		{at(14, 7, 0), at(14, 7, 0)},
		{at(14, 0, 30).UTC(), at(7, 7, 0)}, // 17:30 on Sunday, UTC
	} {
		if got := store.WeekOf(c.at); !got.Equal(c.want) {
			t.Errorf("WeekOf(%v) = %v, want %v", c.at, got, c.want)
		}
	}
}

// TestProgressDigestPlannedWeekly: a leader switches on an area's weekly
// digest, which their screen then shows; it is planned once a week, on
// Monday from 07:00 and never later in the week, from the week after it
// was switched on; not while their reminders are off, nor once the
// digest is off; switched on again it is the same digest. One who may
// not see the area's figures cannot switch it on.
func TestProgressDigestPlannedWeekly(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	leader := b.person("leader@01")
	reviewer := b.person("reviewer@" + area.SampleCommune)
	at := func(day, hour int) time.Time { return time.Date(2026, 12, day, hour, 0, 0, 0, store.Vietnam) }
	if err := b.db.SetDigest(b.ctx, reviewer, "01", true, at(9, 10)); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("a reviewer switches on Hà Nội's digest: %v", err)
	}
	if err := b.db.SetDigest(b.ctx, leader, "01", true, at(9, 10)); err != nil {
		t.Fatal(err)
	}
	if err := b.db.SetDigest(b.ctx, leader, "01", true, at(9, 11)); err != nil {
		t.Fatalf("switched on twice: %v", err)
	}
	if p, err := b.db.Progress(b.ctx, leader, "01", 2026, at(9, 12)); err != nil || !p.Digest {
		t.Errorf("the screen after switching on: digest %v, %v", p.Digest, err)
	}
	if p, err := b.db.Progress(b.ctx, leader, area.SampleCommune, 2026, at(9, 12)); err != nil || p.Digest {
		t.Errorf("a commune's screen: digest %v, %v", p.Digest, err)
	}
	plan := func(at time.Time) []string {
		t.Helper()
		if _, err := b.db.PlanReminders(b.ctx, at, []int{1, 3, 7}); err != nil {
			t.Fatal(err)
		}
		rows, err := b.db.Pool().Query(b.ctx, `SELECT person_id, period, object_id, due_at FROM reminders WHERE about = $1 ORDER BY due_at`, flows.RemindProgress)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for rows.Next() {
			var person, object int64
			var period string
			var due time.Time
			if err := rows.Scan(&person, &period, &object, &due); err != nil {
				t.Fatal(err)
			}
			code, on, err := b.db.DigestArea(b.ctx, person, object)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%d %s %s %v %s", person, period[:8], code, on, due.In(store.Vietnam).Format("02 15:04")))
		}
		return out
	}
	if got := plan(at(10, 9)); len(got) != 0 {
		t.Errorf("in the week it was switched on: %v", got)
	}
	if got := plan(at(14, 6)); len(got) != 0 {
		t.Errorf("on Monday before 07:00: %v", got)
	}
	monday := fmt.Sprintf("%d 2026-W51 01 true 14 07:00", leader)
	if got := plan(at(14, 7)); !slices.Equal(got, []string{monday}) {
		t.Errorf("on Monday at 07:00: %v", got)
	}
	if got := plan(at(15, 9)); !slices.Equal(got, []string{monday}) {
		t.Errorf("on Tuesday: %v", got)
	}
	if err := b.db.SetReminders(b.ctx, leader, false); err != nil {
		t.Fatal(err)
	}
	if got := plan(at(21, 8)); !slices.Equal(got, []string{monday}) {
		t.Errorf("with reminders off: %v", got)
	}
	if err := b.db.SetReminders(b.ctx, leader, true); err != nil {
		t.Fatal(err)
	}
	if got := plan(at(22, 9)); !slices.Equal(got, []string{monday}) {
		t.Errorf("reminders on again on Tuesday: %v", got)
	}
	if err := b.db.SetDigest(b.ctx, leader, "01", false, at(22, 10)); err != nil {
		t.Fatal(err)
	}
	if p, err := b.db.Progress(b.ctx, leader, "01", 2026, at(22, 10)); err != nil || p.Digest {
		t.Errorf("the screen after switching off: digest %v, %v", p.Digest, err)
	}
	off := fmt.Sprintf("%d 2026-W51 01 false 14 07:00", leader) // the same digest, off
	if got := plan(at(28, 8)); !slices.Equal(got, []string{off}) {
		t.Errorf("switched off: %v", got)
	}
	// On again on a Monday: the same digest (its past reminder reads it
	// on), from the next week.
	if err := b.db.SetDigest(b.ctx, leader, "01", true, at(28, 9)); err != nil {
		t.Fatal(err)
	}
	if got := plan(at(28, 10)); !slices.Equal(got, []string{monday}) {
		t.Errorf("switched on again on a Monday: %v", got)
	}
	if got := plan(time.Date(2027, 1, 4, 7, 5, 0, 0, store.Vietnam)); !slices.Equal(got, []string{monday, fmt.Sprintf("%d 2027-W01 01 true 04 07:05", leader)}) {
		t.Errorf("the next Monday: %v", got)
	}
}
