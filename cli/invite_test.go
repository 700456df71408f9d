package cli_test

import (
	"strings"
	"testing"
)

func TestInvite(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	z := startDNS(t)
	contoso := takeOver(t, db, z, "admin@contoso.com", "rms")

	// No directory at fabrikam.com yet: member there, guest here.
	var anna inviteResult
	runJSON(t, db, &anna, "invite", "Anna@Fabrikam.com", "--from", "contoso.com", "--as", "Admin@Contoso.com")
	if anna.Outcome != "member-and-guest" || !anna.CreatedHome {
		t.Fatalf("invite into a new domain: %+v, want member-and-guest with a new home directory", anna)
	}
	if h := anna.Home; h == nil || h.Name != "fabrikam.com" || h.State != "unmanaged" || h.ID == contoso.ID {
		t.Errorf("home directory %+v, want a new unmanaged fabrikam.com", h)
	}
	if anna.HomeUser == nil || anna.HomeUser.Kind != "member" || anna.HomeUser.Email != "Anna@fabrikam.com" {
		t.Fatalf("home user %+v", anna.HomeUser)
	}
	if g := anna.Guest; g.Kind != "guest" || g.Directory != contoso.ID || g.CreationMethod != "Invitation" || g.HomeUser != anna.HomeUser.ID {
		t.Errorf("guest %+v: want a guest of contoso.com linked to %s", g, anna.HomeUser.ID)
	}
	if u, ok := findUser(users(t, db, "fabrikam.com"), "anna@fabrikam.com"); !ok || u.Kind != "member" {
		t.Errorf("fabrikam.com lacks the member Anna: %+v", u)
	}
	if u, ok := findUser(users(t, db, "contoso.com"), "anna@fabrikam.com"); !ok || u.Kind != "guest" {
		t.Errorf("contoso.com lacks the guest Anna: %+v", u)
	}
	var invited bool
	for _, m := range outbox(t, db) {
		if m.To == "Anna@fabrikam.com" && strings.Contains(m.Subject, "invited you") {
			invited = true
		}
	}
	if !invited {
		t.Errorf("no invitation mail for Anna in the outbox: %+v", outbox(t, db))
	}
	text := runOK(t, db, "invite", "zoe@northwind.example", "--from", "contoso.com", "--as", "admin@contoso.com")
	if !strings.Contains(text.stdout, "member-and-guest") {
		t.Errorf("invite text:\n%s", text)
	}

	// An invitee already at home gets only the guest, linked to that member.
	cara := signup(t, db, "cara@fabrikam.com", "rms")
	var ci inviteResult
	runJSON(t, db, &ci, "invite", "cara@fabrikam.com", "--from", "contoso.com", "--as", "admin@contoso.com")
	if ci.Outcome != "guest-only" || ci.CreatedHome || ci.Guest.HomeUser != cara.User.ID {
		t.Errorf("invite of an existing member: %+v, want guest-only linked to %s", ci, cara.User.ID)
	}

	// fabrikam.com no longer allows email-verified users: guest only.
	runOK(t, db, "settings", "fabrikam.com", "--allow-email-verified-users=false")
	var ben inviteResult
	runJSON(t, db, &ben, "invite", "ben@fabrikam.com", "--from", "contoso.com", "--as", "admin@contoso.com")
	if ben.Outcome != "guest-only" || ben.HomeUser != nil || ben.CreatedHome || ben.Guest.Kind != "guest" {
		t.Errorf("invite with AEVU off at home: %+v, want guest-only", ben)
	}
	if _, ok := findUser(users(t, db, "fabrikam.com"), "ben@fabrikam.com"); ok {
		t.Error("a guest-only invitation created a member at home")
	}
	if _, ok := findUser(users(t, db, "contoso.com"), "ben@fabrikam.com"); !ok {
		t.Error("the guest Ben is missing from contoso.com")
	}

	// Refusals.
	wantFail(t, db, 1, []string{"already"}, "invite", "anna@fabrikam.com", "--from", "contoso.com", "--as", "admin@contoso.com")
	signup(t, db, "joe@contoso.com", "rms")
	wantFail(t, db, 1, []string{"not a global admin"}, "invite", "lou@fabrikam.com", "--from", "contoso.com", "--as", "joe@contoso.com")
	wantFail(t, db, 1, []string{"not a global admin"}, "invite", "lou@fabrikam.com", "--from", "contoso.com", "--as", "admin@fabrikam.com")
	wantFail(t, db, 1, []string{"not a global admin"}, "invite", "lou@contoso.com", "--from", "fabrikam.com", "--as", "cara@fabrikam.com")
	wantFail(t, db, 1, []string{"members, not guests"}, "invite", "kim@contoso.com", "--from", "contoso.com", "--as", "admin@contoso.com")
	wantFail(t, db, 1, []string{"no directory"}, "invite", "lou@fabrikam.com", "--from", "nosuch.example", "--as", "admin@contoso.com")
	wantFail(t, db, 1, []string{"missing @"}, "invite", "lou.fabrikam.com", "--from", "contoso.com", "--as", "admin@contoso.com")
	if _, ok := findUser(users(t, db, "contoso.com"), "lou@fabrikam.com"); ok {
		t.Error("a refused invitation created a guest")
	}

	// A consumer address never gets a home directory.
	var g inviteResult
	runJSON(t, db, &g, "invite", "someone@gmail.com", "--from", "contoso.com", "--as", "admin@contoso.com")
	if g.Outcome != "guest-only" || g.Home != nil || g.HomeUser != nil {
		t.Errorf("consumer invitee: %+v", g)
	}
	if _, ok := domains(t, db)["gmail.com"]; ok {
		t.Error("gmail.com got a directory")
	}
	if n := actions(audit(t, db))["invite"]; n != 5 {
		t.Errorf("want 5 invite audit entries, got %d", n)
	}
}

// With the operator's default AllowEmailVerifiedUsers off, an invitee whose
// domain has no directory yet gets only the guest, and no directory.
func TestInviteDefaultsGuestOnly(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	z := startDNS(t)
	takeOver(t, db, z, "admin@contoso.com", "rms")
	runOK(t, db, "settings", "defaults", "--allow-email-verified-users=false")
	var res inviteResult
	runJSON(t, db, &res, "invite", "anna@fabrikam.com", "--from", "contoso.com", "--as", "admin@contoso.com")
	if res.Outcome != "guest-only" || res.CreatedHome || res.HomeUser != nil {
		t.Errorf("invite under default AEVU off: %+v", res)
	}
	if _, ok := domains(t, db)["fabrikam.com"]; ok {
		t.Error("a guest-only invitation created a home directory")
	}
}

// An unmanaged directory has no admin who could invite.
func TestInviteFromUnmanaged(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	signup(t, db, "dan@bellowscollege.com", "rms")
	wantFail(t, db, 1, []string{"not a global admin"}, "invite", "anna@fabrikam.com", "--from", "bellowscollege.com", "--as", "dan@bellowscollege.com")
	if ds := listDirectories(t, db); len(ds) != 1 {
		t.Errorf("a refused invitation created a directory: %+v", ds)
	}
}

// A guest whose home directory is then merged into the inviting directory
// becomes one member there, and the counts agree with the listing.
func TestGuestMergedByTakeover(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	z := startDNS(t)
	contoso := takeOver(t, db, z, "admin@contoso.com", "rms")
	var bob inviteResult
	runJSON(t, db, &bob, "invite", "bob@northwind.example", "--from", "contoso.com", "--as", "admin@contoso.com")
	signup(t, db, "bob@northwind.example", "rms")
	signup(t, db, "cy@northwind.example", "sharepoint")

	ch := challengeFor(t, db, "northwind.example", "--as", "admin@contoso.com", "--into", "contoso.com")
	z.publishTXT(t, "northwind.example", ch.Challenge.Token)
	runOK(t, db, "domain", "verify", "northwind.example", "--as", "admin@contoso.com", "--dns-server", z.Addr)

	us := users(t, db, contoso.ID)
	d := directoryShow(t, db, contoso.ID)
	if int(d.Users) != len(us) || len(us) != 3 {
		t.Errorf("contoso.com counts %d users, lists %d (%+v); want 3", d.Users, len(us), us)
	}
	var n int
	for _, u := range us {
		if strings.EqualFold(u.Email, "bob@northwind.example") {
			n++
			if u.Kind != "member" || strings.Join(u.Grants, ",") != "rms" {
				t.Errorf("Bob after the merge: %+v, want a member with rms", u)
			}
		}
	}
	if n != 1 {
		t.Errorf("Bob is in contoso.com %d times", n)
	}
	if d.Grants["rms"] != 2 || d.Grants["sharepoint"] != 1 {
		t.Errorf("grant counts %v", d.Grants)
	}
}

// A guest whose domain is later added to the inviting directory (a plain
// domain addition: nobody had signed up there) and who then signs up is
// one user of the directory, and the directory's count agrees with its
// listing.
func TestGuestAtAddedDomainSignsUp(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	z := startDNS(t)
	contoso := takeOver(t, db, z, "admin@contoso.com", "rms")
	// Guest-only: fabrikam.com gets no directory.
	runOK(t, db, "settings", "defaults", "--allow-email-verified-users=false")
	var ben inviteResult
	runJSON(t, db, &ben, "invite", "ben@fabrikam.com", "--from", "contoso.com", "--as", "admin@contoso.com")
	if ben.Outcome != "guest-only" || ben.Home != nil {
		t.Fatalf("set-up: %+v", ben)
	}
	runOK(t, db, "settings", "defaults", "--allow-email-verified-users=true")
	ch := challengeFor(t, db, "fabrikam.com", "--as", "admin@contoso.com", "--into", "contoso.com")
	z.publishTXT(t, "fabrikam.com", ch.Challenge.Token)
	runOK(t, db, "domain", "verify", "fabrikam.com", "--as", "admin@contoso.com", "--dns-server", z.Addr)

	r := run(t, db, "signup", "start", "ben@fabrikam.com", "--service", "rms")
	if r.code == 0 {
		r = run(t, db, "signup", "verify", "ben@fabrikam.com", "--code", code(t, db, "ben@fabrikam.com"))
	}
	us := users(t, db, contoso.ID)
	d := directoryShow(t, db, contoso.ID)
	if int(d.Users) != len(us) {
		t.Errorf("BUG: contoso.com counts %d users but lists %d after guest ben@fabrikam.com signed up at the added domain "+
			"(the sign-up wrote a new member over the guest's record and counted one more user): %+v\nsign-up:\n%s", d.Users, len(us), us, r)
	}
	var n int
	for _, u := range us {
		if strings.EqualFold(u.Email, "ben@fabrikam.com") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("Ben is in contoso.com %d times", n)
	}
}

// When the invitation mail cannot be delivered, the admin can send it
// again: re-running the same invite with a working relay delivers it.
func TestInviteMailFailureIsRetryable(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	z := startDNS(t)
	takeOver(t, db, z, "admin@contoso.com", "rms")
	bad := refusingAddr(t)
	wantFail(t, db, 1, []string{"SMTP relay " + bad}, "--smtp", bad, "invite", "ann@fabrikam.com", "--from", "contoso.com", "--as", "admin@contoso.com")

	relay := startSMTP(t)
	r := run(t, db, "--smtp", relay.Addr, "invite", "ann@fabrikam.com", "--from", "contoso.com", "--as", "admin@contoso.com")
	if r.code != 0 || len(relay.messages()) != 1 {
		_, guest := findUser(users(t, db, "contoso.com"), "ann@fabrikam.com")
		t.Errorf("BUG: the first invite failed to mail (exit 1) yet created the guest (guest exists: %v), and running it again "+
			"with a working relay does not deliver the invitation (relay got %d messages):\n%s", guest, len(relay.messages()), r)
	}
}
