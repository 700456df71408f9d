package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"selfserve/model"
)

// Issue 11 point 2: a refusal names its reason (errors.Is) and the facts,
// and no front end's advice: no command, no flag, no "try again in".
func TestRefusalsNameTheirReasonWithoutAdvice(t *testing.T) {
	clk := &clock{now: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	s := openTest(t, t.TempDir(), Options{Now: clk.Now, BatchSize: 2})
	managed(t, s)
	mustSignup(t, s, "dan@bellowscollege.com", "rms")
	for _, u := range []string{"ann@contoso.co.uk", "bob@contoso.co.uk", "cat@contoso.co.uk"} {
		mustSignup(t, s, u, "powerbi")
	}
	dan := addr(t, "dan@bellowscollege.com")
	internal := Claim{Domain: "bellowscollege.com", Admin: dan}
	external := Claim{Domain: "contoso.co.uk", Admin: addr(t, "admin@contoso.com"), Into: "contoso.com"}
	pending := func(c Claim) PendingProof {
		t.Helper()
		if _, err := s.IssueChallenge(c, model.ModeTXT); err != nil {
			t.Fatal(err)
		}
		p, err := s.Pending(c.Domain, c.Admin)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	cases := []struct {
		name   string
		reason error
		act    func() error
	}{
		{"internal claim of a domain nobody holds", model.ErrNothingToTakeOver, func() error {
			_, err := s.IssueChallenge(Claim{Domain: "nobody.example", Admin: addr(t, "x@nobody.example")}, model.ModeTXT)
			return err
		}},
		{"verify with no challenge", model.ErrNoChallenge, func() error {
			_, err := s.Pending(internal.Domain, dan)
			return err
		}},
		{"internal claim by an outsider", model.ErrNotMember, func() error {
			_, err := s.IssueChallenge(Claim{Domain: "bellowscollege.com", Admin: addr(t, "eve@evil.example")}, model.ModeTXT)
			return err
		}},
		{"the checked challenge was replaced", model.ErrProofChanged, func() error {
			p := pending(internal)
			if _, err := s.IssueChallenge(internal, model.ModeMX); err != nil {
				t.Fatal(err)
			}
			_, err := s.TakeOverInternal(internal, p)
			return err
		}},
		{"verify after the challenge expired", model.ErrChallengeExpired, func() error {
			clk.Add(model.DefaultChallengeTTL + 1)
			_, err := s.Pending(internal.Domain, dan)
			return err
		}},
		{"an unforced merge that drops grants", model.ErrBlockedByPlan, func() error {
			pending(external)
			im, err := s.Preview(external.Domain)
			if err != nil {
				t.Fatal(err)
			}
			err = im.CheckForce(false)
			var blocked *model.BlockedMergeError
			if !errors.As(err, &blocked) || strings.Join(blocked.Services, ",") != "powerbi" || len(blocked.LosingAccess) != 3 {
				t.Errorf("the refusal names the services and who loses access: %#v", blocked)
			}
			return err
		}},
		{"a directory that does not exist", model.ErrNoDirectory, func() error {
			_, err := s.Directory("nosuch.example")
			return err
		}},
		{"a service that does not exist", model.ErrUnknownService, func() error {
			_, err := signup(t, s, "eve@bellowscollege.com", "nosuch")
			return err
		}},
		{"a sign-up a switch refuses", model.ErrRefused, func() error {
			if _, err := s.SetSwitches("bellowscollege.com", "operator", true, func(sw model.Switches) model.Switches {
				sw.AllowAdHocSubscriptions = false
				return sw
			}); err != nil {
				t.Fatal(err)
			}
			_, err := signup(t, s, "eve@bellowscollege.com", "rms")
			return err
		}},
		{"a sign-up while a takeover runs", model.ErrTakeoverRunning, func() error {
			var during error
			s.opts.AfterBatch = func(model.Job) {
				if during == nil {
					_, during = signup(t, s, "dee@contoso.co.uk", "rms")
				}
			}
			defer func() { s.opts.AfterBatch = nil }()
			if _, err := s.TakeOverExternal(external, pending(external), true, nil); err != nil {
				t.Fatal(err)
			}
			return during
		}},
		{"too many DNS checks", model.ErrTooManyChecks, func() error {
			for {
				if err := s.CountCheck("fabrikam.com", "admin@fabrikam.com"); err != nil {
					return err
				}
			}
		}},
		{"a --db that does not exist", ErrNoDatabase, func() error {
			_, err := Open(filepath.Join(t.TempDir(), "nosuch"), Options{})
			return err
		}},
		{"a --db of other files", ErrForeignDir, func() error {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Open(dir, Options{Create: true})
			return err
		}},
	}
	for _, tc := range cases {
		err := tc.act()
		if !errors.Is(err, tc.reason) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.reason)
			continue
		}
		msg := err.Error()
		for _, advice := range []string{"run selfserve", "see selfserve", "--", "try again in", "ask its admin", "; use ", "; check ", "; give "} {
			if strings.Contains(msg, advice) {
				t.Errorf("%s: %q gives advice (%q); that is the front end's", tc.name, msg, advice)
			}
		}
	}
}
