package store

import (
	"errors"
	"strings"
	"testing"

	"selfserve/model"
)

// takeOverAt makes domain's directory managed with admin@domain, signed
// up for service, as its global admin: sign-up, challenge, internal
// takeover.
func takeOverAt(t *testing.T, s *Store, domain, service string) model.Directory {
	t.Helper()
	c := Claim{Domain: domain, Admin: addr(t, "admin@"+domain)}
	mustSignup(t, s, c.Admin.String(), service)
	if _, err := s.IssueChallenge(c, model.ModeTXT); err != nil {
		t.Fatal(err)
	}
	p, err := s.Pending(domain, c.Admin)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.TakeOverInternal(c, p)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Issue 10 point 17: for each !city.X.jp exception rule of the Public
// Suffix List, city.X.jp is registrable on its own, so an admin of X.jp
// must publish a challenge for it like for any stranger's domain; a
// subdomain of city.X.jp is still proved by city.X.jp.
func TestPSLExceptionParentProvesNothing(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	for _, registry := range []string{"kawasaki.jp", "kitakyushu.jp", "kobe.jp", "nagoya.jp", "sapporo.jp", "sendai.jp", "yokohama.jp"} {
		m := takeOverAt(t, s, registry, "rms")
		admin := addr(t, "admin@"+registry)
		city := "city." + registry
		if _, err := s.Pending(city, admin); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("verify %s with no challenge, by the admin of %s: %v; want ErrNotFound", city, registry, err)
		}
		res, err := s.IssueChallenge(Claim{Domain: city, Admin: admin, Into: m.ID}, model.ModeTXT)
		if err != nil || res.ParentProof != "" || res.Challenge == nil {
			t.Errorf("challenge %s into %s: %+v, %v; want a DNS challenge, not a parent proof", city, registry, res, err)
		}
		p, err := s.Pending(city, admin)
		if err != nil || p.ParentProof != "" || p.Challenge == nil {
			t.Errorf("pending %s: %+v, %v; want the challenge", city, p, err)
		}
	}
	// Within one owner the parent rule stands: city.kobe.jp, once verified,
	// proves www.city.kobe.jp.
	city := takeOverAt(t, s, "city.kobe.jp", "rms")
	res, err := s.IssueChallenge(Claim{Domain: "www.city.kobe.jp", Admin: addr(t, "admin@city.kobe.jp"), Into: city.ID}, model.ModeTXT)
	if err != nil || res.ParentProof != "city.kobe.jp" {
		t.Errorf("www.city.kobe.jp under verified city.kobe.jp: %+v, %v", res, err)
	}
	checkInvariants(t, s)
}

// Issue 10 point 18: a consumer domain is refused at challenge and at
// verify as a public suffix is, with its own sentinel; an operator's
// addition made between the two counts.
func TestConsumerDomainRefusedAtChallengeAndVerify(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	m := managed(t, s)
	admin := addr(t, "admin@contoso.com")
	for _, d := range []string{"gmail.com", "mail.yahoo.com", "outlook.com"} {
		_, err := s.IssueChallenge(Claim{Domain: d, Admin: admin, Into: m.ID}, model.ModeTXT)
		if !errors.Is(err, model.ErrConsumerDomain) || !errors.Is(err, model.ErrRefused) {
			t.Errorf("challenge %s: %v; want ErrConsumerDomain and ErrRefused", d, err)
		}
		if _, err := s.Pending(d, admin); !errors.Is(err, model.ErrConsumerDomain) {
			t.Errorf("verify %s: %v; want ErrConsumerDomain", d, err)
		}
	}
	_, err := s.IssueChallenge(Claim{Domain: "co.uk", Admin: admin, Into: m.ID}, model.ModeTXT)
	if !errors.Is(err, model.ErrPublicSuffix) || !errors.Is(err, model.ErrRefused) {
		t.Errorf("challenge co.uk: %v; want ErrPublicSuffix and ErrRefused", err)
	}

	// Challenged while allowed, listed as consumer mail before the check.
	c := Claim{Domain: "mail.example.net", Admin: admin, Into: m.ID}
	if _, err := s.IssueChallenge(c, model.ModeTXT); err != nil {
		t.Fatal(err)
	}
	p, err := s.Pending(c.Domain, admin)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddConsumerDomain("operator", "example.net"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pending(c.Domain, admin); !errors.Is(err, model.ErrConsumerDomain) {
		t.Errorf("verify after the operator listed example.net: %v; want ErrConsumerDomain", err)
	}
	if _, err := s.TakeOverExternal(c, p, false, nil); !errors.Is(err, model.ErrConsumerDomain) {
		t.Errorf("takeover with the proof checked before the listing: %v; want ErrConsumerDomain", err)
	}
	recs, _ := s.Domains()
	for _, r := range recs {
		if r.Domain != "contoso.com" {
			t.Errorf("domain record %+v: only contoso.com may be held", r)
		}
	}
	checkInvariants(t, s)
}

// Issue 10 point 14: dan@, "dan"@ and "d\an"@ are one mailbox, so one
// member and one per-address code budget, whichever spelling asks.
func TestQuotedSpellingsShareOneMemberAndCodeBudget(t *testing.T) {
	spellings := []string{`dan@bellowscollege.com`, `"dan"@bellowscollege.com`, `"d\an"@bellowscollege.com`, `"DAN"@BellowsCollege.com`}
	s := openTest(t, t.TempDir(), Options{})
	first := mustSignup(t, s, spellings[0], "rms")
	for _, sp := range spellings[1:] {
		res := mustSignup(t, s, sp, "sharepoint")
		if res.User.ID != first.User.ID || res.Directory.ID != first.Directory.ID {
			t.Errorf("%s became user %s in %s; %s is user %s in %s", sp, res.User.ID, res.Directory.ID, spellings[0], first.User.ID, first.Directory.ID)
		}
	}
	users, err := s.Users("bellowscollege.com", "", 0)
	if err != nil || len(users) != 1 {
		t.Fatalf("members of bellowscollege.com: %d (%v); want 1", len(users), err)
	}

	s = openTest(t, t.TempDir(), Options{})
	compose := func(string) model.Message { return model.Message{} }
	var refused error
	for i := 0; i <= model.MaxCodeRequests && refused == nil; i++ {
		sp := spellings[i%len(spellings)]
		if _, err := s.StartSignup(addr(t, sp), "rms", false, compose); err != nil {
			if i < model.MaxCodeRequests {
				t.Fatalf("code request %d (%s): %v", i+1, sp, err)
			}
			refused = err
		}
	}
	if refused == nil || !model.IsRefusal(refused) || !strings.Contains(refused.Error(), "dan@bellowscollege.com") {
		t.Fatalf("code request %d across the spellings: %v; want the per-address limit", model.MaxCodeRequests+1, refused)
	}
}
