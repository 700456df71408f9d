package cli_test

import (
	"strings"
	"testing"
)

// TestAuditOperatorAsAdmin (issue 11 points 5 and 6): `domain
// challenge/verify --as dan@…` run by the operator is audited as the
// operator acting as Dan, in the table and in --json, and a check's line
// says what the servers answered.
func TestAuditOperatorAsAdmin(t *testing.T) {
	t.Parallel()
	db, _ := danChallenged(t)
	z := startDNS(t) // knows no zone: NXDOMAIN for every name
	wantFail(t, db, 1, []string{"bellowscollege.com"},
		"domain", "verify", "bellowscollege.com", "--as", "dan@bellowscollege.com", "--dns-server", z.Addr)

	checks := 0
	for _, e := range audit(t, db) {
		switch e.Action {
		case "challenge.issue", "domain.check":
			checks++
			if e.Actor != "operator" || e.As != "dan@bellowscollege.com" {
				t.Errorf("%s by %q as %q, want the operator as dan@bellowscollege.com", e.Action, e.Actor, e.As)
			}
		}
	}
	if checks != 2 {
		t.Errorf("%d challenge and check entries, want 2", checks)
	}
	out := runOK(t, db, "audit").stdout
	for _, want := range [][]string{
		{"operator as dan@bellowscollege.com", "challenge.issue"},
		{"operator as dan@bellowscollege.com", "domain.check", "missing at 1 of 1 server"},
	} {
		if !hasLine(out, want...) {
			t.Errorf("selfserve audit has no line with %q:\n%s", want, out)
		}
	}
}

// hasLine reports whether one line of out holds every part, in order.
func hasLine(out string, parts ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		rest, ok := l, true
		for _, p := range parts {
			_, rest, ok = strings.Cut(rest, p)
			if !ok {
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
