package demo

import (
	"testing"
	"time"

	"selfserve/model"
	"selfserve/store"
)

// built is a new store with a small demo in it.
func built(t *testing.T) (*store.Store, Summary) {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sum, err := Build(st, Size{Directories: 50, BigUsers: 2000})
	if err != nil {
		t.Fatal(err)
	}
	return st, sum
}

func TestBuildHoldsTheStories(t *testing.T) {
	st, sum := built(t)
	if sum.Directories != 54 {
		t.Errorf("directories: %d", sum.Directories)
	}
	if err := st.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	bellows, err := st.Summary(Bellows)
	if err != nil || bellows.State != model.Unmanaged || bellows.Users < 300 || bellows.Grants["sharepoint"] == 0 {
		t.Fatalf("bellowscollege.com: %+v %v", bellows, err)
	}
	dan, _ := model.ParseAddress(Dan)
	users, _ := st.Users(Bellows, "", 0)
	found := false
	for _, u := range users {
		if u.Email == dan.String() {
			found = u.CreationMethod == model.EmailVerified && u.HasGrant("rms")
		}
	}
	if !found {
		t.Error("Dan is not an email-verified rms user of bellowscollege.com")
	}
	contoso, _ := st.Summary(Contoso)
	if contoso.State != model.Managed || !contoso.IsAdmin(ContosoAdmin) {
		t.Errorf("contoso.com: %+v", contoso)
	}
	uk, _ := st.Summary(ContosoUK)
	for _, svc := range []string{"rms", "sharepoint", "powerbi"} {
		if uk.Grants[svc] == 0 {
			t.Errorf("contoso.co.uk has no %s users", svc)
		}
	}
	big, _ := st.Summary(BigDomain)
	if big.Users != 2000 {
		t.Errorf("%s has %d users", BigDomain, big.Users)
	}
	// The demo's admin can start the external takeover story at once.
	im, err := st.Preview(ContosoUK)
	if err != nil || len(im.Blocking) != 1 || im.Blocking[0] != "powerbi" {
		t.Errorf("contoso.co.uk preview: %+v %v", im, err)
	}
}

// Issue 11 point 9: a directory is created by its first sign-up, so no
// user of the demo is older than their directory, and the oldest one
// signed up when it was created.
func TestBuildCreatesNoUserBeforeTheirDirectory(t *testing.T) {
	st, _ := built(t)
	dirs, err := st.Directories("")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		users, err := st.Users(d.ID, "", 0)
		if err != nil || len(users) == 0 {
			t.Fatalf("%s: %d users, %v", d.Name, len(users), err)
		}
		first := users[0].CreatedAt
		for _, u := range users {
			if u.CreatedAt.Before(d.CreatedAt) {
				t.Errorf("%s was created %s, before their directory %s (%s)", u.Email, u.CreatedAt.Format(time.RFC3339), d.Name, d.CreatedAt.Format(time.RFC3339))
			}
			if u.CreatedAt.After(st.Now()) {
				t.Errorf("%s is created in the future: %s", u.Email, u.CreatedAt.Format(time.RFC3339))
			}
			if u.CreatedAt.Before(first) {
				first = u.CreatedAt
			}
		}
		if !first.Equal(d.CreatedAt) {
			t.Errorf("%s was created %s, but its first user signed up %s", d.Name, d.CreatedAt.Format(time.RFC3339), first.Format(time.RFC3339))
		}
	}
}
