package ops_test

import (
	"context"
	"testing"
	"time"

	"selfserve/demo"
	"selfserve/model"
	"selfserve/ops"
)

// TestTakeoverAuditNamesActorAndAdmin (issue 11 point 6): the operator
// running Dan's takeover is recorded as the operator acting as Dan, at
// every step; Dan doing it himself is recorded as Dan alone; and Dan's
// own session sees what was done under his name.
func TestTakeoverAuditNamesActorAndAdmin(t *testing.T) {
	c, d := fixture(t)
	operator := c.As(ops.Viewer{})
	ch, err := operator.Challenge(demo.Bellows, demo.Dan, model.ModeTXT, "")
	if err != nil {
		t.Fatal(err)
	}
	d.Publish(ch.Challenge.Record())
	if _, err := operator.Verify(context.Background(), demo.Bellows, demo.Dan, ops.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
	dan := mustAddress(t, demo.Dan).Key()
	entries, err := c.Store.Audit(time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		switch e.Action {
		case model.ActionChallengeIssue, model.ActionCheck, model.ActionTakeoverInt:
			seen[e.Action] = true
			if e.Actor != model.Operator || e.As != dan || e.Who() != "operator as "+dan {
				t.Errorf("%s: actor %q as %q, want the operator as %s", e.Action, e.Actor, e.As, dan)
			}
		}
	}
	if len(seen) != 3 {
		t.Errorf("audit entries seen %v, want the challenge, the check and the takeover", seen)
	}
	mine, err := c.As(ops.Viewer{Admin: mustAddress(t, demo.Dan)}).Audit(100)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range mine {
		found = found || e.Action == model.ActionChallengeIssue && e.As == dan
	}
	if !found {
		t.Errorf("Dan's session does not show the challenge issued under his name: %+v", mine)
	}
}

func TestChallengeByTheAdminNamesOnlyThem(t *testing.T) {
	c, _ := fixture(t)
	dan := mustAddress(t, demo.Dan)
	if _, err := c.As(ops.Viewer{Admin: dan}).Challenge(demo.Bellows, demo.Dan, model.ModeTXT, ""); err != nil {
		t.Fatal(err)
	}
	tail, err := c.Store.AuditTail(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := tail[0]; e.Action != model.ActionChallengeIssue || e.Actor != dan.Key() || e.As != "" {
		t.Errorf("Dan's own challenge: %+v, want Dan alone", e)
	}
}

func mustAddress(t *testing.T, s string) model.Address {
	t.Helper()
	a, err := model.ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
