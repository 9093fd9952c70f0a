package role

import (
	"slices"
	"testing"
)

func TestTable(t *testing.T) {
	if !Allows(Reviewer, ReviewDecide) || Allows(Leader, ReviewDecide) || Allows(Recogniser, ReviewDecide) {
		t.Error("only reviewers and admins decide")
	}
	if got := Holders(ReviewDecide); !slices.Equal(got, []string{"admin", "reviewer"}) {
		t.Errorf("deciders %v", got)
	}
	if !Allows(Admin, Administer) || Allows(Leader, Administer) {
		t.Error("only admins administer")
	}
	if !Valid("leader") || Valid("representative") || Valid("") {
		t.Error("Valid")
	}
}
