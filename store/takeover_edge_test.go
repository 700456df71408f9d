package store

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"selfserve/model"
)

// Users with long addresses and many grants make a 1,000-user batch too
// big for one Badger transaction; the job halves its batches and finishes.
func TestTakeoverBatchTooBigIsHalved(t *testing.T) {
	badgerOnly(t) // a PostgreSQL transaction has no such limit
	s := openTest(t, t.TempDir(), Options{})
	managed(t, s)
	grants := []string{"exchange", "flow", "onedrive", "powerapps", "rms", "sharepoint", "skype", "stream"}
	l := s.NewLoader()
	l.Directory(model.Directory{ID: "u", Name: "fabrikam-university.com", State: model.Unmanaged, Domains: []string{"fabrikam-university.com"}})
	for i := range 1500 {
		l.User(model.User{ID: fmt.Sprintf("old%05d", i), Email: fmt.Sprintf("firstname.lastname%06d@fabrikam-university.com", i),
			Directory: "u", Kind: model.Member, CreationMethod: model.EmailVerified, Grants: grants})
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	c := Claim{Domain: "fabrikam-university.com", Admin: addr(t, "admin@contoso.com"), Into: "contoso.com"}
	if _, err := s.IssueChallenge(c, model.ModeTXT); err != nil {
		t.Fatal(err)
	}
	p, _ := s.Pending(c.Domain, c.Admin)
	first := 0
	s.opts.AfterBatch = func(j model.Job) {
		if first == 0 {
			first = j.Moved
		}
	}
	res, err := s.TakeOverExternal(c, p, false, nil)
	if err != nil || res.Job.Moved != 1500 {
		t.Fatalf("job %+v: %v", res.Job, err)
	}
	if first >= defaultBatchSize {
		t.Fatalf("the first batch moved %d users: this data should not fit one transaction", first)
	}
	checkInvariants(t, s)
}

// The policies the admin agreed to in the preview hold for the whole job,
// even if the operator changes the catalogue half-way.
func TestTakeoverKeepsTheCatalogueItStartedWith(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{BatchSize: 2})
	managed(t, s)
	for i := range 6 {
		mustSignup(t, s, fmt.Sprintf("u%d@contoso.co.uk", i), "rms")
	}
	c := Claim{Domain: "contoso.co.uk", Admin: addr(t, "admin@contoso.com"), Into: "contoso.com"}
	s.IssueChallenge(c, model.ModeTXT)
	p, _ := s.Pending(c.Domain, c.Admin)
	changed := false
	s.opts.AfterBatch = func(model.Job) {
		if !changed {
			changed = true
			if _, err := s.PutService("operator", model.Service{Name: "rms", Takeover: model.Block}); err != nil {
				t.Error(err)
			}
		}
	}
	res, err := s.TakeOverExternal(c, p, false, nil)
	if err != nil || res.Job.Dropped != 0 || res.Job.Moved != 6 {
		t.Fatalf("job %+v: %v", res.Job, err)
	}
}

// A code confirmed while the directory is being taken over is not spent:
// the same code works once the takeover is done.
func TestTryAgainKeepsTheCode(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{BatchSize: 1})
	managed(t, s)
	mustSignup(t, s, "u0@contoso.co.uk", "rms")
	mustSignup(t, s, "u1@contoso.co.uk", "rms")
	late := addr(t, "late@contoso.co.uk")
	var code string
	if _, err := s.StartSignup(late, "rms", false, func(c string) model.Message { code = c; return model.Message{} }); err != nil {
		t.Fatal(err)
	}
	c := Claim{Domain: "contoso.co.uk", Admin: addr(t, "admin@contoso.com"), Into: "contoso.com"}
	s.IssueChallenge(c, model.ModeTXT)
	p, _ := s.Pending(c.Domain, c.Admin)
	var during error
	s.opts.AfterBatch = func(model.Job) {
		if during == nil {
			_, during = s.VerifySignup(late, code)
		}
	}
	if _, err := s.TakeOverExternal(c, p, false, nil); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(during, model.ErrTryAgain) {
		t.Fatalf("during the takeover: %v", during)
	}
	res, err := s.VerifySignup(late, code)
	if err != nil || res.Directory.Name != "contoso.com" {
		t.Fatalf("the same code after the takeover: %+v %v", res, err)
	}
}

// A proof checked before the challenge expired or was replaced no longer
// takes the directory over.
func TestTakeoverRechecksTheChallenge(t *testing.T) {
	clk := &clock{now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	s := openTest(t, t.TempDir(), Options{Now: clk.Now})
	mustSignup(t, s, "dan@bellowscollege.com", "rms")
	c := Claim{Domain: "bellowscollege.com", Admin: addr(t, "dan@bellowscollege.com")}
	s.IssueChallenge(c, model.ModeTXT)
	p, err := s.Pending(c.Domain, c.Admin)
	if err != nil {
		t.Fatal(err)
	}
	s.IssueChallenge(c, model.ModeMX) // replaces the TXT one
	if _, err := s.TakeOverInternal(c, p); !errors.Is(err, model.ErrRefused) || !strings.Contains(err.Error(), "replaced") {
		t.Fatalf("replaced challenge: %v", err)
	}
	p, _ = s.Pending(c.Domain, c.Admin)
	clk.Add(model.DefaultChallengeTTL)
	if _, err := s.TakeOverInternal(c, p); !errors.Is(err, model.ErrRefused) {
		t.Fatalf("expired challenge: %v", err)
	}
	if _, err := s.TakeOverInternal(c, PendingProof{}); err == nil {
		t.Fatal("no proof at all must be refused")
	}
}

// An invitee who is a guest in their own home directory becomes its
// member, counted once.
func TestInvitePromotesAGuestAtHome(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	managed(t, s)
	if _, err := s.SetDefaultSwitches("operator", func(sw model.Switches) model.Switches { sw.AllowEmailVerifiedUsers = false; return sw }); err != nil {
		t.Fatal(err)
	}
	admin := addr(t, "admin@contoso.com")
	bob := addr(t, "bob@northwind.com")
	if res, err := invite(s, admin, bob, nil); err != nil || res.Outcome != model.GuestOnly {
		t.Fatalf("guest-only: %+v %v", res, err)
	}
	// contoso adds northwind.com: bob is now a guest in his home directory.
	c := Claim{Domain: "northwind.com", Admin: admin, Into: "contoso.com"}
	s.IssueChallenge(c, model.ModeTXT)
	p, _ := s.Pending(c.Domain, admin)
	if _, err := s.TakeOverExternal(c, p, false, nil); err != nil {
		t.Fatal(err)
	}
	s.SetDefaultSwitches("operator", func(sw model.Switches) model.Switches { sw.AllowEmailVerifiedUsers = true; return sw })
	s.SetSwitches("northwind.com", "operator", true, func(sw model.Switches) model.Switches { sw.AllowEmailVerifiedUsers = true; return sw })
	fabrikam := addr(t, "admin@fabrikam.com")
	mustSignup(t, s, "admin@fabrikam.com", "rms")
	fc := Claim{Domain: "fabrikam.com", Admin: fabrikam}
	s.IssueChallenge(fc, model.ModeTXT)
	fp, _ := s.Pending("fabrikam.com", fabrikam)
	if _, err := s.TakeOverInternal(fc, fp); err != nil {
		t.Fatal(err)
	}
	res, err := s.Invite("fabrikam.com", fabrikam, bob, func(InviteResult) model.Message { return model.Message{} }, nil)
	if err != nil || res.HomeUser == nil || res.HomeUser.Kind != model.Member {
		t.Fatalf("invite of a guest at home: %+v %v", res, err)
	}
	checkInvariants(t, s)
}
