package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/role"
	"hoctap/scoring"
)

// TestInvitations: a link gives its role once per person, as often as it
// allows, until it expires or is withdrawn; a payload with its number
// changed is refused before any lookup; a household link is to a village.
func TestInvitations(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	week := b.at.Add(7 * 24 * time.Hour)
	payload, err := b.db.CreateInvitation(b.ctx, flows.NewInvitation{Role: string(role.Reviewer), Area: area.SampleCommune, Uses: 2, Expires: week})
	if err != nil {
		t.Fatal(err)
	}
	one, two, three := b.person(), b.person(), b.person()
	for i, p := range []int64{one, one, two} { // the first opens it twice
		inv, err := b.db.Redeem(b.ctx, payload, p, b.at)
		if err != nil || inv.Role != "reviewer" || inv.Area.Name.VI != "Xã Sóc Sơn" {
			t.Errorf("use %d: %+v %v", i, inv, err)
		}
	}
	if _, err := b.db.Redeem(b.ctx, payload, three, b.at); !errors.Is(err, flows.ErrInviteUsedUp) {
		t.Errorf("a third person: %v, want used up", err)
	}
	if may, err := b.db.May(b.ctx, two, role.ReviewDecide); err != nil || !may {
		t.Errorf("the role is not given: %v %v", may, err)
	}
	num, sig, _ := strings.Cut(payload, "-")
	for _, forged := range []string{num + "0-" + sig, num + "-" + strings.ToUpper(sig), "1", ""} {
		if _, err := b.db.Redeem(b.ctx, forged, three, b.at); !errors.Is(err, flows.ErrInviteInvalid) {
			t.Errorf("forged %q: %v", forged, err)
		}
	}
	household, err := b.db.CreateInvitation(b.ctx, flows.NewInvitation{Role: flows.Household, Area: area.SampleCommune + ".01", Expires: week})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.Redeem(b.ctx, household, three, week); !errors.Is(err, flows.ErrInviteEnded) {
		t.Errorf("an expired invitation: %v", err)
	}
	inv, err := b.db.Redeem(b.ctx, household, three, b.at)
	if err != nil || inv.Role != flows.Household || inv.Area.Code != area.SampleCommune+".01" {
		t.Errorf("the household's: %+v %v", inv, err)
	}
	if may, _ := b.db.May(b.ctx, three, role.ReviewList); may {
		t.Error("a household invitation gives a role")
	}
	if _, err := b.db.CreateInvitation(b.ctx, flows.NewInvitation{Role: flows.Household, Area: area.SampleCommune, Expires: week}); err == nil {
		t.Error("a household invitation to a commune")
	}
	// In the bot: a leader invites to their area and below, never
	// outside it, and never to the admin role; an admin of the nation may.
	leader, admin := b.person("leader@"+area.SampleCommune), b.person("admin@VN")
	for _, c := range []struct {
		n    flows.NewInvitation
		fine bool
	}{
		{flows.NewInvitation{Role: "reviewer", Area: area.SampleCommune, By: leader}, true},
		{flows.NewInvitation{Role: flows.Household, Area: area.SampleCommune + ".02", By: leader}, true},
		{flows.NewInvitation{Role: "reviewer", Area: "01", By: leader}, false},
		{flows.NewInvitation{Role: flows.Household, Area: area.SampleHardshipCommune + ".01", By: leader}, false},
		{flows.NewInvitation{Role: "admin", Area: area.SampleCommune, By: leader}, false},
		{flows.NewInvitation{Role: "admin", Area: "01", By: admin}, true},
	} {
		c.n.Expires = week
		_, err := b.db.CreateInvitation(b.ctx, c.n)
		if c.fine != (err == nil) || (!c.fine && !errors.Is(err, flows.ErrNotFound)) {
			t.Errorf("%+v: %v", c.n, err)
		}
	}
	if _, err := b.db.Pool().Exec(b.ctx, `DELETE FROM invitations WHERE created_by IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	areas, err := b.db.AreasFor(b.ctx, leader, role.Invite)
	if err != nil || len(areas) != 1 || areas[0].Code != area.SampleCommune {
		t.Errorf("the leader's areas %+v %v", areas, err)
	}
	list, err := b.db.Invitations(b.ctx, "")
	if err != nil || len(list) != 2 || list[1].Used != 2 || list[1].Uses != 2 {
		t.Fatalf("the list %+v %v", list, err)
	}
	if err := b.db.RevokeInvitation(b.ctx, list[0].ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := b.db.RevokeInvitation(b.ctx, list[0].ID, 0); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("revoked twice: %v", err)
	}
	if _, err := b.db.Redeem(b.ctx, household, one, b.at); !errors.Is(err, flows.ErrInviteEnded) {
		t.Errorf("a withdrawn invitation: %v", err)
	}
	// In the bot a leader ends only what is in their area.
	elsewhere := b.person("reviewer@" + area.SampleHardshipCommune)
	outside, _ := b.db.Roles(b.ctx, area.SampleHardshipCommune)
	if len(outside) != 1 || outside[0].Person != elsewhere {
		t.Fatalf("Lâm Bình's roles %+v", outside)
	}
	if err := b.db.RevokeRole(b.ctx, outside[0].ID, leader); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("a leader ends a role outside their commune: %v", err)
	}
	if inv, _ := b.db.Invitations(b.ctx, area.SampleCommune); len(inv) != 2 {
		t.Errorf("the commune's invitations %+v", inv)
	}
	roles, err := b.db.Roles(b.ctx, "01") // two reviewers and the leader; not the nation's admin
	if err != nil || len(roles) != 3 || roles[1].Role != "reviewer" {
		t.Fatalf("roles in Hà Nội %+v %v", roles, err)
	}
	if err := b.db.RevokeRole(b.ctx, roles[1].ID, 0); err != nil {
		t.Fatal(err)
	}
	if may, _ := b.db.May(b.ctx, roles[1].Person, role.ReviewList); may {
		t.Error("a revoked role still allows")
	}
	var actions string
	if err := b.db.Pool().QueryRow(b.ctx, `SELECT string_agg(DISTINCT action, ',' ORDER BY action) FROM audit_log WHERE action LIKE 'invitation.%' OR action LIKE 'role.%'`).Scan(&actions); err != nil {
		t.Fatal(err)
	}
	if actions != "invitation.create,invitation.revoke,invitation.use,role.grant,role.revoke" {
		t.Errorf("audited %s", actions)
	}
}

// TestSecondRepresentative: one who represents a household invites a
// family member, who then represents it too: the household's assessment is
// in their list, and both are told of a decision.
func TestSecondRepresentative(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	first, second, stranger := b.person(), b.person(), b.person()
	a := b.submitted(first, "Nhà Lê", area.SampleCommune+".01")
	week := b.at.Add(7 * 24 * time.Hour)
	if _, err := b.db.CreateInvitation(b.ctx, flows.NewInvitation{Role: flows.Representative, Subject: a.SubjectID, Uses: 1, Expires: week, By: stranger}); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("a stranger invites to the household: %v", err)
	}
	payload, err := b.db.CreateInvitation(b.ctx, flows.NewInvitation{Role: flows.Representative, Subject: a.SubjectID, Uses: 1, Expires: week, By: first})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := b.db.Redeem(b.ctx, payload, second, b.at)
	if err != nil || inv.Role != flows.Representative || inv.SubjectName != "Nhà Lê" {
		t.Fatalf("redeemed %+v %v", inv, err)
	}
	if all, err := b.db.Assessments(b.ctx, second); err != nil || len(all) != 1 || all[0].ID != a.ID {
		t.Errorf("the second representative's assessments %+v %v", all, err)
	}
	if s, err := b.db.Subjects(b.ctx, second, scoring.KindFamily); err != nil || len(s) != 1 {
		t.Errorf("the second representative's households %+v %v", s, err)
	}
	reviewer := b.person("reviewer@" + area.SampleCommune)
	tell, err := b.db.Decide(b.ctx, flows.Decision{AssessmentID: a.ID, Rev: 1, Reviewer: reviewer, State: flows.ReviewAccepted, At: b.at})
	if err != nil || len(tell) != 2 {
		t.Errorf("told %v %v, want both representatives", tell, err)
	}
}
