package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/flows/flowstest"
	"hoctap/store"
	"hoctap/store/storetest"
)

// TestBroadcastAudiencesAndWalls: a broadcast reaches the holders of its
// role over its area and below, or the representatives of the subjects
// there, never the inactive; a leader sends only over their own area, and
// to everyone only from the nation; the sender alone sees it; the audit
// log has no text.
func TestBroadcastAudiencesAndWalls(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	leader := b.person("leader@" + area.SampleCommune)
	admin := b.person("admin@VN")
	reviewer := b.person("reviewer@" + area.SampleCommune + ".01")
	b.person("reviewer@" + area.SampleWard) // another commune's
	family := b.person()
	b.submitted(family, "Nhà Lê", area.SampleCommune+".01")
	gone := b.person("reviewer@" + area.SampleCommune)
	if _, err := b.db.Pool().Exec(b.ctx, `UPDATE people SET inactive = true WHERE id = $1`, gone); err != nil {
		t.Fatal(err)
	}
	count := func(a flows.Audience) int {
		t.Helper()
		n, err := b.db.Recipients(b.ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(flows.Audience{Role: "reviewer", Area: area.SampleCommune}); n != 1 {
		t.Errorf("the commune's reviewers: %d, want 1 (the village's; not the inactive, not the ward's)", n)
	}
	if n := count(flows.Audience{Role: flows.Representative, Area: area.SampleCommune}); n != 1 {
		t.Errorf("the commune's representatives: %d, want 1", n)
	}
	if n := count(flows.Audience{Everyone: true}); n != 5 {
		t.Errorf("everyone: %d, want the 5 active", n)
	}
	if _, err := b.db.Recipients(b.ctx, flows.Audience{Role: "mayor", Area: area.SampleCommune}); !errors.Is(err, store.ErrAudience) {
		t.Errorf("a role that is none: %v", err)
	}
	queue := func(by int64, a flows.Audience) (int64, int, error) {
		return b.db.QueueBroadcast(b.ctx, flows.NewBroadcast{Audience: a, By: by, TextVI: "Họp bí mật", TextEN: "A secret meeting", At: b.at}, b.at)
	}
	if _, _, err := queue(leader, flows.Audience{Role: "reviewer", Area: area.SampleWard}); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("a leader over another commune: %v", err)
	}
	if _, _, err := queue(leader, flows.Audience{Everyone: true}); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("a commune's leader to everyone: %v", err)
	}
	if _, _, err := queue(reviewer, flows.Audience{Role: "reviewer", Area: area.SampleCommune + ".01"}); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("a reviewer broadcasts: %v", err)
	}
	id, n, err := queue(leader, flows.Audience{Role: "reviewer", Area: area.SampleCommune})
	if err != nil || n != 1 {
		t.Fatalf("the leader's broadcast: %d %v", n, err)
	}
	if _, n, err := queue(admin, flows.Audience{Everyone: true}); err != nil || n != 5 {
		t.Errorf("the nation's admin to everyone: %d %v", n, err)
	}
	if _, err := b.db.BroadcastStatusOf(b.ctx, id, admin); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("another person reads the leader's broadcast: %v", err)
	}
	if _, err := b.db.SetBroadcast(b.ctx, id, admin, flows.BroadcastCancelled, b.at); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("another person cancels it: %v", err)
	}
	// The same draft queued twice is one broadcast.
	draft := flows.NewBroadcast{Audience: flows.Audience{Role: "reviewer", Area: area.SampleCommune}, By: leader, TextVI: "Nháp", TextEN: "Draft", At: b.at, Key: "9:draft"}
	first, _, err := b.db.QueueBroadcast(b.ctx, draft, b.at)
	if err != nil {
		t.Fatal(err)
	}
	if again, n, err := b.db.QueueBroadcast(b.ctx, draft, b.at); err != nil || again != first || n != 1 {
		t.Errorf("the draft queued again: %d (%d recipients) %v, want %d", again, n, err, first)
	}
	// A sender resumes their own pause only, and only while they may send.
	if _, err := b.db.SetBroadcast(b.ctx, first, 0, flows.BroadcastPaused, b.at); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.SetBroadcast(b.ctx, first, leader, flows.BroadcastSending, b.at); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("the sender resumed the command line's pause: %v", err)
	}
	if s, err := b.db.SetBroadcast(b.ctx, first, leader, flows.BroadcastCancelled, b.at); err != nil || s.State != flows.BroadcastCancelled {
		t.Errorf("the sender cancels it: %+v %v", s, err)
	}
	if _, err := b.db.SetBroadcast(b.ctx, id, leader, flows.BroadcastPaused, b.at); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.Pool().Exec(b.ctx, `UPDATE roles SET revoked_at = now() WHERE person_id = $1`, leader); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.SetBroadcast(b.ctx, id, leader, flows.BroadcastSending, b.at); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("resumed after the role ended: %v", err)
	}
	if _, err := b.db.Pool().Exec(b.ctx, `UPDATE roles SET revoked_at = NULL WHERE person_id = $1`, leader); err != nil {
		t.Fatal(err)
	}
	if s, err := b.db.SetBroadcast(b.ctx, id, leader, flows.BroadcastSending, b.at); err != nil || s.State != flows.BroadcastSending {
		t.Errorf("the sender resumes their own pause: %+v %v", s, err)
	}
	mine, err := b.db.Broadcasts(b.ctx, leader, 5)
	if err != nil || len(mine) != 2 || mine[1].ID != id || mine[1].Audience.Role != "reviewer" || mine[1].Pending != 1 {
		t.Errorf("the leader's broadcasts %+v %v", mine, err)
	}
	areas, err := b.db.BroadcastAreas(b.ctx, leader)
	if err != nil || len(areas) != 1 || areas[0].Code != area.SampleCommune {
		t.Errorf("the leader's areas %+v %v", areas, err)
	}
	if areas, _ := b.db.BroadcastAreas(b.ctx, reviewer); len(areas) != 0 {
		t.Errorf("a reviewer's areas %+v", areas)
	}
	details := b.texts(`SELECT detail::text FROM audit_log WHERE action LIKE 'broadcast%'`)
	if len(details) != 7 || slices.ContainsFunc(details, func(d string) bool { return strings.Contains(d, "bí mật") || strings.Contains(d, "secret") }) {
		t.Errorf("the audit rows %q", details)
	}
}

// TestAudienceRefusedInMemoryAsOnPostgreSQL: the in-memory store the
// goldens use refuses the audiences PostgreSQL refuses.
func TestAudienceRefusedInMemoryAsOnPostgreSQL(t *testing.T) {
	t.Parallel()
	stores := map[string]interface {
		Recipients(ctx context.Context, a flows.Audience) (int, error)
	}{"postgres": storetest.New(t), "memory": flowstest.New()}
	for name, s := range stores {
		for _, c := range []struct {
			a        flows.Audience
			notFound bool
		}{
			{flows.Audience{Role: "mayor", Area: area.SampleCommune}, false},
			{flows.Audience{Role: "reviewer"}, false},
			{flows.Audience{Role: "reviewer", Area: "99999"}, true},
		} {
			_, err := s.Recipients(context.Background(), c.a)
			if err == nil || c.notFound != errors.Is(err, flows.ErrNotFound) {
				t.Errorf("%s: %+v gives %v", name, c.a, err)
			}
		}
		if n, err := s.Recipients(context.Background(), flows.Audience{Role: "reviewer", Area: area.SampleCommune}); err != nil || n != 0 {
			t.Errorf("%s: a commune's reviewers %d %v", name, n, err)
		}
	}
}
