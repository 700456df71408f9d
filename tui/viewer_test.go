package tui

import (
	"strings"
	"testing"

	"selfserve/model"
	"selfserve/store"
)

func viewer(t *testing.T, email string) store.Viewer {
	t.Helper()
	a, err := model.ParseAddress(email)
	if err != nil {
		t.Fatal(err)
	}
	return store.Viewer{Admin: a}
}

// An admin signed in with their key sees their own directory (and the one
// merged into it), never another company's, and cannot reach one by name.
func TestTUIAdminSeesOnlyTheirWorld(t *testing.T) {
	st := fixtureStore(t)
	r := newRunner(t, st, Options{Viewer: viewer(t, "admin@contoso.com")}, 120, 40)
	r.wantView("signed in as admin@contoso.com")
	r.wantView("contoso.com")
	r.wantView("litware.com")
	for _, other := range []string{"bellowscollege.com", "contoso.co.uk", "northwind00.example"} {
		if strings.Contains(r.view(), other) {
			t.Errorf("admin@contoso.com sees %s:\n%s", other, r.view())
		}
	}
	r.keys(":dir bellowscollege.com", "enter")
	r.wantView(`none of the directories you administer or can take over has the domain or id "bellowscollege.com"`)
	// A domain with no directory gets the same answer: :dir does not
	// tell an admin which domains have one.
	r.keys(":dir nosuch.example", "enter")
	r.wantView(`none of the directories you administer or can take over has the domain or id "nosuch.example"`)
	if strings.Contains(r.view(), "Dan@BellowsCollege.com") {
		t.Errorf("the refused directory's users show:\n%s", r.view())
	}
	r.keys(":outbox", "enter")
	r.wantView("the outbox is the operator's")
	r.keys("o")
	if strings.Contains(strings.SplitN(r.view(), "\n", 2)[0], "Outbox") {
		t.Errorf("o opened the outbox for an admin:\n%s", r.view())
	}
}

// A member of an unmanaged directory sees it: they can take it over by
// their own domain.
func TestTUIMemberSeesTheirDomain(t *testing.T) {
	st := fixtureStore(t)
	r := newRunner(t, st, Options{Viewer: viewer(t, "dan@bellowscollege.com")}, 120, 40)
	r.wantView("bellowscollege.com")
	if strings.Contains(r.view(), "contoso.com") {
		t.Errorf("dan sees contoso.com:\n%s", r.view())
	}
}

// What an admin changes is audited under their address, not "operator".
func TestTUIAdminChangesAreTheirs(t *testing.T) {
	st := fixtureStore(t)
	r := newRunner(t, st, Options{Viewer: viewer(t, "admin@contoso.com")}, 120, 40)
	r.keys("enter")
	r.wantView("Directories › contoso.com")
	r.keys("s", " ", "w", "y")
	tail, err := st.AuditTail(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tail) != 1 || tail[0].Action != "settings.change" || tail[0].Actor != "admin@contoso.com" {
		t.Fatalf("last audit entry = %+v, want settings.change by admin@contoso.com", tail)
	}
	r.keys(":audit", "enter")
	r.wantView("settings.change")
}

// :claim starts an external takeover of a directory out of reach; the
// admin is not asked who acts, and the challenge brings the directory
// within reach.
func TestTUIAdminClaims(t *testing.T) {
	st := fixtureStore(t)
	l := st.NewLoader()
	l.Directory(model.Directory{ID: "fabrikam0001", Name: "fabrikam.com", State: model.Managed, Domains: []string{"fabrikam.com"},
		GlobalAdmins: []string{"boss@fabrikam.com"}, CreatedAt: fixed})
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	v := viewer(t, "admin@contoso.com")
	r := newRunner(t, st, Options{Viewer: v}, 120, 40)
	r.keys(":claim northwind-nobody.example", "enter")
	r.wantView("nobody has signed up from northwind-nobody.example")
	r.keys(":claim contoso.com", "enter")
	r.wantView("contoso.com is managed: only an unmanaged directory can be taken over")
	r.keys(":claim contoso.co.uk", "enter")
	r.wantView("What kind of takeover?")
	r.keys("down", "enter")
	r.wantView("Merge contoso.co.uk into which managed directory?")
	r.wantSelected("contoso.com")
	if strings.Contains(r.view(), "fabrikam.com") {
		t.Errorf("another company's directory is offered as the target:\n%s", r.view())
	}
	if strings.Contains(r.view(), "Act as") {
		t.Errorf("the steps offer an admin to choose who acts:\n%s", r.view())
	}
	r.keys("enter")
	r.wantView("Create this record at the DNS provider of contoso.co.uk")
	if strings.Contains(r.view(), "Admin address") {
		t.Errorf("an admin was asked who acts:\n%s", r.view())
	}
	// The directory's size and users stay hidden until the takeover.
	if strings.Contains(r.view(), "6 users") {
		t.Errorf("the wizard shows the size of a directory out of reach:\n%s", r.view())
	}
	reach, err := st.Reach(v)
	if err != nil {
		t.Fatal(err)
	}
	if reach.Has("contosouk001") {
		t.Error("a challenge alone brought contoso.co.uk within reach")
	}
	r.keys("esc") // back to choosing the target, not to an admin prompt
	r.wantView("Merge contoso.co.uk into which managed directory?")
	if strings.Contains(r.view(), "Admin address") {
		t.Errorf("esc led to the admin prompt:\n%s", r.view())
	}
	// Out of the wizard, the claimed directory is still not listed, nor
	// reachable by name.
	r.keys("esc", "esc")
	r.wantView("unmanaged (0)")
	r.keys(":dir contoso.co.uk", "enter")
	r.wantView(`none of the directories you administer or can take over has the domain or id "contoso.co.uk"`)
}
