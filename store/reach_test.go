package store

import (
	"errors"
	"slices"
	"testing"
	"time"

	"selfserve/model"
)

// reachFixture: contoso.com (managed by admin@contoso.com), its subdomain
// eu.contoso.com and bellows.test (unmanaged), fabrikam.com (another
// company), litware.com (retired into contoso.com), contoso.co.uk
// (unmanaged, another domain of contoso's admin).
func reachFixture(t *testing.T) *Store {
	t.Helper()
	s := openTest(t, t.TempDir(), Options{})
	l := s.NewLoader()
	now := time.Now()
	for _, d := range []model.Directory{
		{ID: "contoso", Name: "contoso.com", State: model.Managed, Domains: []string{"contoso.com"}, GlobalAdmins: []string{"admin@contoso.com"}},
		{ID: "eu", Name: "eu.contoso.com", State: model.Unmanaged, Domains: []string{"eu.contoso.com"}},
		{ID: "bellows", Name: "bellows.test", State: model.Unmanaged, Domains: []string{"bellows.test"}},
		{ID: "fabrikam", Name: "fabrikam.com", State: model.Managed, Domains: []string{"fabrikam.com"}, GlobalAdmins: []string{"boss@fabrikam.com"}},
		{ID: "litware", Name: "litware.com", State: model.Retired, Domains: []string{"litware.com"}, MergedInto: "contoso"},
		{ID: "uk", Name: "contoso.co.uk", State: model.Unmanaged, Domains: []string{"contoso.co.uk"}},
	} {
		d.CreatedAt = now
		l.Directory(d)
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	return s
}

func reached(t *testing.T, s *Store, v Viewer) []string {
	t.Helper()
	r, err := s.Reach(v)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, id := range []string{"bellows", "contoso", "eu", "fabrikam", "litware", "uk"} {
		d, err := s.Directory(id)
		if err != nil {
			t.Fatal(err)
		}
		// The listing and the point check apply one rule.
		one, err := s.Reaches(v, d)
		if err != nil {
			t.Fatal(err)
		}
		if one != r.Has(id) {
			t.Errorf("%s: Reaches says %v, the listing %v", id, one, r.Has(id))
		}
		if one {
			ids = append(ids, id)
		}
	}
	return ids
}

func TestReach(t *testing.T) {
	s := reachFixture(t)
	admin := Viewer{Admin: addr(t, "Admin@Contoso.com")}
	if got, want := reached(t, s, Viewer{}), []string{"bellows", "contoso", "eu", "fabrikam", "litware", "uk"}; !slices.Equal(got, want) {
		t.Errorf("operator reaches %v, want %v", got, want)
	}
	// Own, merged into own, and a subdomain of a verified domain; not
	// another company, not a domain not yet claimed.
	if got, want := reached(t, s, admin), []string{"contoso", "eu", "litware"}; !slices.Equal(got, want) {
		t.Errorf("contoso's admin reaches %v, want %v", got, want)
	}
	// A member of an unmanaged directory reaches it by their domain.
	if got, want := reached(t, s, Viewer{Admin: addr(t, "dan@bellows.test")}), []string{"bellows"}; !slices.Equal(got, want) {
		t.Errorf("dan reaches %v, want %v", got, want)
	}
	// A challenge proves nothing yet: contoso.co.uk stays out of reach
	// until the takeover is done.
	if _, err := s.IssueChallenge(Claim{Domain: "contoso.co.uk", Admin: admin.Admin, Into: "contoso"}, model.ModeTXT); err != nil {
		t.Fatal(err)
	}
	if got, want := reached(t, s, admin), []string{"contoso", "eu", "litware"}; !slices.Equal(got, want) {
		t.Errorf("after the challenge, contoso's admin reaches %v, want %v", got, want)
	}
	if got := reached(t, s, Viewer{Admin: addr(t, "boss@fabrikam.com")}); !slices.Equal(got, []string{"fabrikam"}) {
		t.Errorf("fabrikam's admin reaches %v", got)
	}
	if err := NotWithin("fabrikam.com"); !errors.Is(err, model.ErrForbidden) {
		t.Errorf("NotWithin = %v, want ErrForbidden", err)
	}
	r, _ := s.Reach(admin)
	if !r.Covers("eu.contoso.com") || !r.Covers("contoso") || r.Covers("contoso.co.uk") || r.Covers("fabrikam.com") {
		t.Error("Covers does not follow the reach")
	}
	if admin.Actor() != "admin@contoso.com" || (Viewer{}).Actor() != "operator" {
		t.Errorf("actors %q, %q", admin.Actor(), Viewer{}.Actor())
	}
}
