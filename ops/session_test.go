package ops_test

import (
	"errors"
	"testing"

	"selfserve/demo"
	"selfserve/model"
	"selfserve/ops"
)

// An admin's session reads only what is within their reach, whichever
// read a screen makes: a screen cannot forget the rule.
func TestSessionFiltersEveryReadForAnAdmin(t *testing.T) {
	c, _ := fixture(t)
	admin, operator := withFabrikam(t, c)

	refused := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, model.ErrForbidden) {
			t.Errorf("%s of bellowscollege.com as boss@fabrikam.com: err = %v, want a refusal", what, err)
		}
	}
	_, err := admin.Summary(demo.Bellows)
	refused("Summary", err)
	_, err = admin.Directory(demo.Bellows)
	refused("Directory", err)
	_, err = admin.UsersFrom(demo.Bellows, "", 10)
	refused("UsersFrom", err)
	_, err = admin.UsersBefore(demo.Bellows, "", 10)
	refused("UsersBefore", err)
	dan, _ := model.ParseAddress(demo.Dan)
	_, _, err = admin.User(demo.Bellows, dan)
	refused("User", err)
	_, err = admin.SetSwitches(demo.Bellows, model.Switches{})
	refused("SetSwitches", err)
	if _, err := admin.Outbox(); !errors.Is(err, ops.ErrOperatorOnly) {
		t.Errorf("Outbox as an admin: err = %v", err)
	}
	// A directory that does not exist reads as one out of reach.
	_, err = admin.Directory("nosuch.example")
	refused("Directory of a missing domain", err)

	list, err := admin.Directories("")
	if err != nil || len(list) != 1 || list[0].Name != "fabrikam.com" {
		t.Errorf("Directories as boss@fabrikam.com = %v, %v; want fabrikam.com only", list, err)
	}
	recs, _, err := admin.DomainsFrom("", 10)
	if err != nil || len(recs) != 1 || recs[0].Domain != "fabrikam.com" {
		t.Errorf("DomainsFrom as boss@fabrikam.com = %v, %v; want fabrikam.com only", recs, err)
	}
	entries, err := admin.Audit(100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("boss@fabrikam.com sees an audit entry of someone else's directory: %+v", e)
	}
	// The claim is the one way to an unmanaged directory out of reach:
	// its counts, never its users.
	sum, inReach, err := admin.Claimable(demo.Bellows)
	if err != nil || inReach || sum.Users != 1 {
		t.Errorf("Claimable(%s) = %d users, in reach %v, %v", demo.Bellows, sum.Users, inReach, err)
	}

	// The operator reads everything.
	if all, err := operator.Directories(""); err != nil || len(all) != 2 {
		t.Errorf("Directories as the operator = %d, %v; want 2", len(all), err)
	}
	if us, err := operator.UsersFrom(demo.Bellows, "", 10); err != nil || len(us) != 1 {
		t.Errorf("UsersFrom as the operator = %v, %v", us, err)
	}
	if all, err := operator.Audit(100); err != nil || len(all) == 0 {
		t.Errorf("Audit as the operator = %d entries, %v; want Dan's sign-up", len(all), err)
	}
	if _, err := operator.Outbox(); err != nil {
		t.Errorf("Outbox as the operator: %v", err)
	}
}
