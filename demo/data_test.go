package demo

import (
	"testing"

	"selfserve/model"
	"selfserve/store"
)

func TestBuildHoldsTheStories(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sum, err := Build(st, Size{Directories: 50, BigUsers: 2000})
	if err != nil {
		t.Fatal(err)
	}
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
