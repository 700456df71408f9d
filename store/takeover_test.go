package store

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"selfserve/model"
)

// managed makes contoso.com a managed directory with admin@contoso.com as
// its global admin, the way a real one comes to be.
func managed(t *testing.T, s *Store) model.Directory {
	t.Helper()
	return takeOverAt(t, s, "contoso.com", "exchange")
}

func TestInternalTakeover(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	mustSignup(t, s, "Dan@BellowsCollege.com", "rms")
	mustSignup(t, s, "eve@bellowscollege.com", "rms")
	outsider := Claim{Domain: "bellowscollege.com", Admin: addr(t, "mallory@evil.example")}
	if _, err := s.IssueChallenge(outsider, model.ModeTXT); !errors.Is(err, model.ErrForbidden) {
		t.Fatalf("outsider's challenge: %v", err)
	}
	c := Claim{Domain: "bellowscollege.com", Admin: addr(t, "dan@bellowscollege.com")}
	first, err := s.IssueChallenge(c, model.ModeTXT)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := s.IssueChallenge(c, model.ModeTXT)
	if !again.Reused || again.Challenge.Token != first.Challenge.Token {
		t.Fatal("asking again while valid must return the same record")
	}
	mx, _ := s.IssueChallenge(c, model.ModeMX)
	if mx.Challenge.Token == first.Challenge.Token || mx.Challenge.Mode != model.ModeMX {
		t.Fatal("a different mode is a different challenge")
	}
	p, err := s.Pending("bellowscollege.com", c.Admin)
	if err != nil || p.Kind != model.Internal || p.Challenge.Token != mx.Challenge.Token {
		t.Fatalf("pending: %+v %v", p, err)
	}
	d, err := s.TakeOverInternal(c, p)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != model.Managed || !d.IsAdmin("dan@bellowscollege.com") {
		t.Fatalf("after internal takeover: %+v", d)
	}
	recs, _ := s.Domains()
	if len(recs) != 1 || !recs[0].Verified || recs[0].Proof != "dns-mx" {
		t.Fatalf("domain records: %+v", recs)
	}
	users, _ := s.Users("bellowscollege.com", "", 0)
	if len(users) != 2 {
		t.Fatalf("users kept: %d", len(users))
	}
	// Verified in a managed directory now: nobody can take it over again.
	if _, err := s.IssueChallenge(Claim{Domain: "bellowscollege.com", Admin: addr(t, "eve@bellowscollege.com")}, model.ModeTXT); !errors.Is(err, model.ErrRefused) {
		t.Fatalf("second takeover: %v", err)
	}
	checkInvariants(t, s)
}

func TestChallengeExpires(t *testing.T) {
	clk := &clock{now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	s := openTest(t, t.TempDir(), Options{Now: clk.Now, ChallengeTTL: time.Hour})
	mustSignup(t, s, "dan@bellowscollege.com", "rms")
	c := Claim{Domain: "bellowscollege.com", Admin: addr(t, "dan@bellowscollege.com")}
	first, _ := s.IssueChallenge(c, model.ModeTXT)
	clk.Add(time.Hour)
	if _, err := s.Pending(c.Domain, c.Admin); !errors.Is(err, model.ErrRefused) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired challenge: %v", err)
	}
	next, _ := s.IssueChallenge(c, model.ModeTXT)
	if next.Reused || next.Challenge.Token == first.Challenge.Token {
		t.Fatal("an expired challenge is replaced by a new one")
	}
}

func TestExternalTakeoverBlockForceAndMappings(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{BatchSize: 3})
	m := managed(t, s)
	for i := range 10 {
		svc := []string{"rms", "sharepoint", "powerbi"}[i%3]
		mustSignup(t, s, fmt.Sprintf("u%02d@contoso.co.uk", i), svc)
	}
	mustSignup(t, s, "u00@contoso.co.uk", "powerbi")
	admin := addr(t, "admin@contoso.com")
	if _, err := s.IssueChallenge(Claim{Domain: "contoso.co.uk", Admin: addr(t, "u01@contoso.co.uk"), Into: "contoso.com"}, model.ModeTXT); !errors.Is(err, model.ErrForbidden) {
		t.Fatalf("non-admin external challenge: %v", err)
	}
	c := Claim{Domain: "contoso.co.uk", Admin: admin, Into: "contoso.com"}
	if _, err := s.IssueChallenge(c, model.ModeTXT); err != nil {
		t.Fatal(err)
	}
	p, err := s.Pending(c.Domain, admin)
	if err != nil || p.Kind != model.External || p.Target.ID != m.ID {
		t.Fatalf("pending: %+v %v", p, err)
	}
	im, err := s.Preview("contoso.co.uk")
	if err != nil {
		t.Fatal(err)
	}
	if im.Users != 10 || strings.Join(im.Blocking, ",") != "powerbi" || len(im.LosingAccess) != 4 {
		t.Fatalf("impact: %+v", im)
	}
	if _, err := s.TakeOverExternal(c, p, false, nil); !errors.Is(err, model.ErrBlockedByPlan) {
		t.Fatalf("unforced: %v", err)
	}
	src, _ := s.Directory("contoso.co.uk")
	if src.State != model.Unmanaged || src.Job != "" {
		t.Fatalf("a refused takeover changes nothing: %+v", src)
	}
	// A sign-up arriving mid-takeover gets a clear try-again.
	var during error
	s.opts.AfterBatch = func(model.Job) {
		if during == nil {
			_, during = signup(t, s, "late@contoso.co.uk", "rms")
		}
	}
	res, err := s.TakeOverExternal(c, p, true, nil)
	s.opts.AfterBatch = nil
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(during, model.ErrTryAgain) {
		t.Fatalf("sign-up during the takeover: %v", during)
	}
	if res.Job.Moved != 10 || res.Job.Dropped != 4 || res.Job.State != model.JobDone {
		t.Fatalf("job: %+v", res.Job)
	}
	users, _ := s.Users("contoso.com", "", 0)
	if len(users) != 11 {
		t.Fatalf("contoso.com has %d users, want 11", len(users))
	}
	for _, u := range users {
		if u.HasGrant("powerbi") {
			t.Errorf("%s kept a dropped grant", u.Email)
		}
		if strings.HasSuffix(u.Email, ".co.uk") && u.FormerID == "" {
			t.Errorf("%s has no former id", u.Email)
		}
	}
	old, _ := s.Directory(src.ID)
	if old.State != model.Retired || old.MergedInto != m.ID {
		t.Fatalf("source after merge: %+v", old)
	}
	d, _ := s.Directory("contoso.co.uk")
	if d.ID != m.ID {
		t.Fatalf("contoso.co.uk resolves to %s, want %s", d.ID, m.ID)
	}
	maps, err := s.Mappings(m.ID, "u00@contoso.co.uk")
	if err != nil || len(maps) != 2 {
		t.Fatalf("mappings of u00: %+v %v", maps, err)
	}
	for _, mp := range maps {
		want := map[string]model.MappingStatus{"rms": model.Mapped, "powerbi": model.Dropped}[mp.Service]
		if mp.Status != want || mp.OldDir != src.ID {
			t.Errorf("mapping %+v, want %s", mp, want)
		}
	}
	// Joining after the merge lands in the managed directory.
	if res := mustSignup(t, s, "late@contoso.co.uk", "rms"); res.Directory.ID != m.ID {
		t.Fatalf("sign-up after merge: %+v", res)
	}
	checkInvariants(t, s)
}

func TestSubdomainNeedsNoChallengeAndPublicSuffixRefused(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	m := managed(t, s)
	eu := mustSignup(t, s, "ana@eu.contoso.com", "rms")
	if eu.Directory.ID == m.ID || !eu.CreatedDirectory {
		t.Fatal("an email subdomain gets its own unmanaged directory until claimed")
	}
	admin := addr(t, "admin@contoso.com")
	res, err := s.IssueChallenge(Claim{Domain: "eu.contoso.com", Admin: admin, Into: "contoso.com"}, model.ModeTXT)
	if err != nil || res.ParentProof != "contoso.com" || res.Challenge != nil {
		t.Fatalf("subdomain challenge: %+v %v", res, err)
	}
	p, err := s.Pending("eu.contoso.com", admin)
	if err != nil || p.ParentProof != "contoso.com" {
		t.Fatalf("pending by parent: %+v %v", p, err)
	}
	if _, err := s.TakeOverExternal(Claim{Domain: "eu.contoso.com", Admin: admin, Into: m.ID}, p, false, nil); err != nil {
		t.Fatal(err)
	}
	recs, _ := s.Domains()
	for _, r := range recs {
		if r.Domain == "eu.contoso.com" && (r.Proof != "parent:contoso.com" || r.Directory != m.ID) {
			t.Fatalf("subdomain record: %+v", r)
		}
	}
	for _, d := range []string{"co.uk", "com"} {
		if _, err := s.IssueChallenge(Claim{Domain: d, Admin: admin, Into: "contoso.com"}, model.ModeTXT); !errors.Is(err, model.ErrRefused) {
			t.Errorf("challenge for %s: %v", d, err)
		}
	}
	checkInvariants(t, s)
}

func TestInvite(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	managed(t, s)
	admin := addr(t, "admin@contoso.com")
	res, err := invite(s, admin, addr(t, "anna@fabrikam.com"), nil)
	if err != nil || res.Outcome != model.MemberAndGuest || !res.CreatedHome || res.Guest.HomeUser != res.HomeUser.ID {
		t.Fatalf("invite to new domain: %+v %v", res, err)
	}
	if _, err := s.SetSwitches("fabrikam.com", "operator", true, func(sw model.Switches) model.Switches {
		sw.AllowEmailVerifiedUsers = false
		return sw
	}); err != nil {
		t.Fatal(err)
	}
	res, err = invite(s, admin, addr(t, "bob@fabrikam.com"), nil)
	if err != nil || res.Outcome != model.GuestOnly || res.HomeUser != nil {
		t.Fatalf("guest-only: %+v %v", res, err)
	}
	if _, err := invite(s, addr(t, "anna@fabrikam.com"), addr(t, "x@y.example"), nil); !errors.Is(err, model.ErrForbidden) {
		t.Fatalf("non-admin inviter: %v", err)
	}
	if _, err := invite(s, admin, addr(t, "anna@fabrikam.com"), nil); !errors.Is(err, model.ErrConflict) {
		t.Fatalf("second invite: %v", err)
	}
	mailDown := errors.New("relay down")
	if _, err := invite(s, admin, addr(t, "carl@fabrikam.com"), func(model.Message) error { return mailDown }); !errors.Is(err, mailDown) {
		t.Fatalf("failed delivery: %v", err)
	}
	if users, _ := s.Users("contoso.com", "", 0); len(users) != 3 {
		t.Fatalf("an invitation whose mail failed must not be saved: %d users", len(users))
	}
	if _, err := invite(s, admin, addr(t, "carl@fabrikam.com"), nil); err != nil {
		t.Fatalf("retry after failed delivery: %v", err)
	}
	checkInvariants(t, s)
}

func invite(s *Store, admin, invitee model.Address, send func(model.Message) error) (InviteResult, error) {
	compose := func(InviteResult) model.Message { return model.Message{To: invitee.String()} }
	return s.Invite("contoso.com", admin, invitee, compose, send)
}
