package cli_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	txtToken = regexp.MustCompile(`^MS=[0-9A-F]{40}$`)
	mxToken  = regexp.MustCompile(`^ms[0-9]{8}\.msv1\.invalid\.$`)
)

// Internal takeover of Bellows College by Dan, with a TXT record.
func TestInternalTakeover(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	z := startDNS(t)
	dan := signup(t, db, "Dan@BellowsCollege.com", "rms")
	signup(t, db, "alice@bellowscollege.com", "sharepoint")
	dirID := dan.Directory.ID

	ch := challengeFor(t, db, "bellowscollege.com", "--as", "Dan@BellowsCollege.com")
	c := ch.Challenge
	if c == nil {
		t.Fatalf("no challenge: %+v", ch)
	}
	if !txtToken.MatchString(c.Token) || c.Mode != "txt" || c.Kind != "internal" || c.Domain != "bellowscollege.com" ||
		c.Admin != "dan@bellowscollege.com" || c.Into != "" {
		t.Errorf("challenge %+v: want an internal TXT challenge MS= + 40 upper-case hex for dan@bellowscollege.com", c)
	}
	if d := time.Until(c.ExpiresAt); d < 7*24*time.Hour-time.Hour || d > 7*24*time.Hour+time.Minute {
		t.Errorf("challenge expires in %v, want 7 days", d)
	}
	again := challengeFor(t, db, "BellowsCollege.com", "--as", "dan@bellowscollege.com")
	if again.Challenge == nil || again.Challenge.Token != c.Token || !again.Reused {
		t.Errorf("asking again while valid must return the same record: %+v then %+v", c, again.Challenge)
	}
	text := runOK(t, db, "domain", "challenge", "bellowscollege.com", "--as", "dan@bellowscollege.com")
	for _, want := range []string{c.Token, "TXT", "bellowscollege.com.", "3600", "domain verify bellowscollege.com"} {
		if !strings.Contains(text.stdout, want) {
			t.Errorf("challenge text should show %q:\n%s", want, text)
		}
	}

	// Not a user of the directory: refused.
	wantFail(t, db, 1, []string{"not a user"}, "domain", "challenge", "bellowscollege.com", "--as", "eve@bellowscollege.com")
	wantFail(t, db, 1, []string{"not a user"}, "domain", "challenge", "bellowscollege.com", "--as", "eve@evil.example")
	// Nothing to take over.
	wantFail(t, db, 1, []string{"nothing to take over"}, "domain", "challenge", "nobody.example", "--as", "x@nobody.example")

	// Not published yet.
	r := wantFail(t, db, 1, []string{"not published"}, "domain", "verify", "bellowscollege.com", "--as", "dan@bellowscollege.com", "--dns-server", z.Addr)
	if !strings.Contains(r.stdout, "missing") {
		t.Errorf("verify should show each server's outcome:\n%s", r)
	}
	var rep verifyReport
	rj := run(t, db, "domain", "verify", "bellowscollege.com", "--as", "dan@bellowscollege.com", "--dns-server", z.Addr, "--json")
	if err := json.Unmarshal([]byte(rj.stdout), &rep); rj.code != 1 || err != nil || rep.Check == nil || rep.Check.Outcome != "missing" {
		t.Errorf("verify --json before publishing: want exit 1 and check outcome missing:\n%s", rj)
	}

	// A wrong value and a lower-cased token are not the token.
	z.publishTXT(t, "bellowscollege.com", "v=spf1 -all")
	z.publishTXT(t, "bellowscollege.com", strings.ToLower(c.Token))
	wantFail(t, db, 1, []string{"v=spf1 -all", "correct the record"}, "domain", "verify", "bellowscollege.com", "--as", "dan@bellowscollege.com", "--dns-server", z.Addr)
	// Alice's own challenge is a different record: Dan's does not prove it for her.
	alice := challengeFor(t, db, "bellowscollege.com", "--as", "alice@bellowscollege.com")
	if alice.Challenge == nil || alice.Challenge.Token == c.Token {
		t.Fatalf("Alice's challenge must be her own: %+v", alice)
	}
	z.publishTXT(t, "bellowscollege.com", c.Token)
	wantFail(t, db, 1, []string{"correct the record"}, "domain", "verify", "bellowscollege.com", "--as", "alice@bellowscollege.com", "--dns-server", z.Addr)
	if d := directoryShow(t, db, dirID); d.State != "unmanaged" {
		t.Fatalf("failed checks changed the directory: %+v", d)
	}

	// A dry run checks and changes nothing.
	var dry verifyReport
	runJSON(t, db, &dry, "domain", "verify", "bellowscollege.com", "--as", "dan@bellowscollege.com", "--dns-server", z.Addr, "--dry-run")
	if !dry.DryRun || dry.Kind != "internal" || dry.Check == nil || dry.Check.Outcome != "found" || dry.Impact != nil {
		t.Errorf("internal dry run: %+v", dry)
	}
	if d := directoryShow(t, db, dirID); d.State != "unmanaged" || len(d.GlobalAdmins) != 0 {
		t.Fatalf("a dry run changed the directory: %+v", d)
	}

	out := runOK(t, db, "domain", "verify", "bellowscollege.com", "--as", "Dan@BellowsCollege.com", "--dns-server", z.Addr)
	for _, want := range []string{"found", "internal takeover done", "dan@bellowscollege.com"} {
		if !strings.Contains(out.stdout, want) {
			t.Errorf("verify output should mention %q:\n%s", want, out)
		}
	}
	d := directoryShow(t, db, "bellowscollege.com")
	if d.ID != dirID || d.State != "managed" || strings.Join(d.GlobalAdmins, ",") != "dan@bellowscollege.com" {
		t.Errorf("after the takeover: %+v, want managed %s with admin dan@bellowscollege.com", d, dirID)
	}
	if d.Users != 2 || d.Grants["rms"] != 1 || d.Grants["sharepoint"] != 1 || d.Switches != (switches{true, true}) {
		t.Errorf("users, grants and switches are kept: %+v", d)
	}
	if rec := domains(t, db)["bellowscollege.com"]; !rec.Verified || rec.Directory != dirID || rec.Proof != "dns-txt" {
		t.Errorf("domain list after the takeover: %+v", rec)
	}
	if ds := listDirectories(t, db, "--state", "managed"); len(ds) != 1 || ds[0].ID != dirID {
		t.Errorf("directory list --state managed: %+v", ds)
	}
	if ds := listDirectories(t, db, "--state", "unmanaged"); len(ds) != 0 {
		t.Errorf("directory list --state unmanaged: %+v", ds)
	}

	// Done is done: neither Dan again nor Alice with her challenge takes it.
	wantFail(t, db, 1, nil, "domain", "verify", "bellowscollege.com", "--as", "dan@bellowscollege.com", "--dns-server", z.Addr)
	z.publishTXT(t, "bellowscollege.com", alice.Challenge.Token)
	wantFail(t, db, 1, []string{"already verified"}, "domain", "verify", "bellowscollege.com", "--as", "alice@bellowscollege.com", "--dns-server", z.Addr)
	wantFail(t, db, 1, []string{"already verified"}, "domain", "challenge", "bellowscollege.com", "--as", "alice@bellowscollege.com")
	if d := directoryShow(t, db, dirID); strings.Join(d.GlobalAdmins, ",") != "dan@bellowscollege.com" {
		t.Errorf("global admins changed: %v", d.GlobalAdmins)
	}

	// Later sign-ups join the managed directory.
	if res := signup(t, db, "bob@bellowscollege.com", "rms"); res.Directory.ID != dirID || res.Directory.State != "managed" {
		t.Errorf("sign-up after the takeover: %+v", res.Directory)
	}

	as := actions(audit(t, db))
	for _, a := range []string{"challenge.issue", "domain.check", "takeover.internal"} {
		if as[a] == 0 {
			t.Errorf("audit lacks %s: %v", a, as)
		}
	}
}

// MX mode: the exchange is compared as a canonical name.
func TestInternalTakeoverMX(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	z := startDNS(t)
	signup(t, db, "kim@fabrikam.com", "rms")

	ch := challengeFor(t, db, "fabrikam.com", "--as", "kim@fabrikam.com", "--mode", "mx")
	if ch.Challenge == nil || !mxToken.MatchString(ch.Challenge.Token) || ch.Challenge.Mode != "mx" {
		t.Fatalf("MX challenge %+v: want ms + 8 digits + .msv1.invalid.", ch.Challenge)
	}
	text := runOK(t, db, "domain", "challenge", "fabrikam.com", "--as", "kim@fabrikam.com", "--mode", "MX")
	for _, want := range []string{"MX", ch.Challenge.Token, "32767"} {
		if !strings.Contains(text.stdout, want) {
			t.Errorf("MX challenge text should show %q:\n%s", want, text)
		}
	}
	wantFail(t, db, 1, []string{"not published"}, "domain", "verify", "fabrikam.com", "--as", "kim@fabrikam.com", "--dns-server", z.Addr)

	// A real MX and the challenge host in upper case, with its trailing dot.
	z.publish(t, "fabrikam.com. 3600 IN MX 10 mail.fabrikam.com.")
	z.publish(t, "fabrikam.com. 3600 IN MX 32767 "+strings.ToUpper(ch.Challenge.Token))
	var rep verifyReport
	runJSON(t, db, &rep, "domain", "verify", "fabrikam.com", "--as", "kim@fabrikam.com", "--dns-server", z.Addr)
	if rep.Kind != "internal" || rep.Check == nil || rep.Check.Outcome != "found" || rep.Directory == nil || rep.Directory.State != "managed" {
		t.Errorf("MX verify: %+v", rep)
	}
	if rec := domains(t, db)["fabrikam.com"]; !rec.Verified || rec.Proof != "dns-mx" {
		t.Errorf("domain list: %+v", rec)
	}
	if d := directoryShow(t, db, "fabrikam.com"); d.State != "managed" || strings.Join(d.GlobalAdmins, ",") != "kim@fabrikam.com" {
		t.Errorf("after the MX takeover: %+v", d)
	}
}

// Contoso's external takeover of contoso.co.uk, with the powerbi block.
func TestExternalTakeover(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	z := startDNS(t)
	contoso := takeOver(t, db, z, "admin@contoso.com", "rms")

	ann := signup(t, db, "ann@contoso.co.uk", "rms")
	signup(t, db, "ben@contoso.co.uk", "sharepoint")
	signup(t, db, "cat@contoso.co.uk", "powerbi")
	signup(t, db, "Dee@contoso.co.uk", "rms")
	signup(t, db, "dee@contoso.co.uk", "powerbi")
	oldID := ann.Directory.ID
	oldUsers := users(t, db, oldID)
	if len(oldUsers) != 4 || oldID == contoso.ID {
		t.Fatalf("contoso.co.uk's directory: %+v", oldUsers)
	}

	// Refusals first.
	wantFail(t, db, 1, []string{"public suffix"}, "domain", "challenge", "co.uk", "--as", "admin@contoso.com", "--into", "contoso.com")
	wantFail(t, db, 1, []string{"public suffix"}, "domain", "challenge", "co.uk", "--as", "admin@contoso.com")
	signup(t, db, "joe@contoso.com", "rms")
	wantFail(t, db, 1, []string{"not a global admin"}, "domain", "challenge", "contoso.co.uk", "--as", "joe@contoso.com", "--into", "contoso.com")
	wantFail(t, db, 1, []string{"managed"}, "domain", "challenge", "contoso.com", "--as", "ann@contoso.co.uk", "--into", "contoso.co.uk")
	wantFail(t, db, 1, []string{"no directory"}, "domain", "challenge", "contoso.co.uk", "--as", "admin@contoso.com", "--into", "nosuch.example")
	wantFail(t, db, 1, []string{"already verified in your directory"}, "domain", "challenge", "contoso.com", "--as", "admin@contoso.com", "--into", "contoso.com")
	// contoso.com is verified in a managed directory: nobody else takes it.
	fab := takeOver(t, db, z, "admin@fabrikam.com", "rms")
	wantFail(t, db, 1, []string{"already verified"}, "domain", "challenge", "contoso.com", "--as", "admin@fabrikam.com", "--into", "fabrikam.com")
	wantFail(t, db, 1, []string{"already verified"}, "domain", "challenge", "contoso.com", "--as", "joe@contoso.com")

	ch := challengeFor(t, db, "contoso.co.uk", "--as", "admin@contoso.com", "--into", "contoso.com")
	if ch.Challenge == nil || ch.Challenge.Kind != "external" || ch.Challenge.Into != contoso.ID || !txtToken.MatchString(ch.Challenge.Token) {
		t.Fatalf("external challenge: %+v", ch.Challenge)
	}
	if again := challengeFor(t, db, "contoso.co.uk", "--as", "admin@contoso.com", "--into", contoso.ID); again.Challenge == nil || again.Challenge.Token != ch.Challenge.Token {
		t.Errorf("the same request by directory id must return the same record: %+v", again.Challenge)
	}
	// Another admin's challenge for the same domain is their own.
	if other := challengeFor(t, db, "contoso.co.uk", "--as", "admin@fabrikam.com", "--into", fab.ID); other.Challenge == nil || other.Challenge.Token == ch.Challenge.Token {
		t.Errorf("Fabrikam's challenge must differ: %+v", other.Challenge)
	}
	wantFail(t, db, 1, []string{"not published"}, "domain", "verify", "contoso.co.uk", "--as", "admin@contoso.com", "--dns-server", z.Addr, "--dry-run")
	z.publishTXT(t, "contoso.co.uk", ch.Challenge.Token)

	// Fabrikam's admin cannot ride on Contoso's record.
	wantFail(t, db, 1, []string{"correct the record"}, "domain", "verify", "contoso.co.uk", "--as", "admin@fabrikam.com", "--dns-server", z.Addr, "--force")

	// Dry run: the impact, and nothing changes.
	var dry verifyReport
	runJSON(t, db, &dry, "domain", "verify", "contoso.co.uk", "--as", "admin@contoso.com", "--dns-server", z.Addr, "--dry-run")
	if !dry.DryRun || dry.Kind != "external" || dry.Check == nil || dry.Check.Outcome != "found" || dry.Impact == nil {
		t.Fatalf("dry run report: %+v", dry)
	}
	im := dry.Impact
	wantServices := []serviceImpact{{"powerbi", "block", 2}, {"rms", "remap", 2}, {"sharepoint", "migrate", 1}}
	if im.Users != 4 || !slices.Equal(im.Services, wantServices) || strings.Join(im.Blocking, ",") != "powerbi" {
		t.Errorf("impact %+v: want 4 users, services %v, blocking powerbi", im, wantServices)
	}
	losing := slices.Clone(im.LosingAccess)
	slices.Sort(losing)
	if strings.Join(losing, ",") != "Dee@contoso.co.uk,cat@contoso.co.uk" {
		t.Errorf("losingAccess %v, want cat and Dee", im.LosingAccess)
	}
	if dry.Directory != nil && dry.Directory.ID != "" || dry.Job != nil {
		t.Errorf("a dry run reports no result: %+v", dry)
	}
	dryText := runOK(t, db, "domain", "verify", "contoso.co.uk", "--as", "admin@contoso.com", "--dns-server", z.Addr, "--dry-run")
	for _, want := range []string{"4 users move", "powerbi", "block", "remap", "migrate", "Dry run: nothing was changed"} {
		if !strings.Contains(dryText.stdout, want) {
			t.Errorf("dry run text should show %q:\n%s", want, dryText)
		}
	}
	assertUntouched := func(when string) {
		t.Helper()
		if d := directoryShow(t, db, "contoso.co.uk"); d.ID != oldID || d.State != "unmanaged" || d.Users != 4 || d.Grants["powerbi"] != 2 {
			t.Errorf("%s: contoso.co.uk changed: %+v", when, d)
		}
		if d := directoryShow(t, db, contoso.ID); d.Users != 2 || len(d.Domains) != 1 {
			t.Errorf("%s: contoso.com changed: %+v", when, d)
		}
		if rec := domains(t, db)["contoso.co.uk"]; rec.Verified || rec.Directory != oldID {
			t.Errorf("%s: domain record changed: %+v", when, rec)
		}
	}
	assertUntouched("after the dry run")

	// Without --force the block refuses, naming the service and the way on.
	r := wantFail(t, db, 1, []string{"powerbi", "--force", "cat@contoso.co.uk", "Dee@contoso.co.uk"},
		"domain", "verify", "contoso.co.uk", "--as", "admin@contoso.com", "--dns-server", z.Addr)
	if strings.Contains(r.stdout, "takeover done") {
		t.Errorf("a refused takeover says it is done:\n%s", r)
	}
	assertUntouched("after the refused takeover")

	// With --force it goes ahead.
	var rep verifyReport
	runJSON(t, db, &rep, "domain", "verify", "contoso.co.uk", "--as", "admin@contoso.com", "--dns-server", z.Addr, "--force")
	if rep.Job == nil || rep.Job.Moved != 4 || rep.Job.Dropped != 2 || rep.Job.State != "done" {
		t.Errorf("forced takeover job: %+v, want 4 moved, 2 grants dropped, done", rep.Job)
	}
	if rep.Directory == nil || rep.Directory.ID != contoso.ID || !slices.Contains(rep.Directory.Domains, "contoso.co.uk") {
		t.Errorf("forced takeover directory: %+v", rep.Directory)
	}

	us := users(t, db, "contoso.com")
	wantGrants := map[string]string{
		"admin@contoso.com": "rms", "joe@contoso.com": "rms",
		"ann@contoso.co.uk": "rms", "ben@contoso.co.uk": "sharepoint", "cat@contoso.co.uk": "", "dee@contoso.co.uk": "rms",
	}
	if len(us) != len(wantGrants) {
		t.Errorf("contoso.com has %d users, want %d: %+v", len(us), len(wantGrants), us)
	}
	for _, u := range us {
		g, ok := wantGrants[strings.ToLower(u.Email)]
		if !ok || strings.Join(u.Grants, ",") != g || u.Kind != "member" || u.Directory != contoso.ID {
			t.Errorf("user %+v: want a member of %s with grants %q", u, contoso.ID, g)
		}
		if strings.HasSuffix(u.Email, "@contoso.co.uk") {
			old, _ := findUser(oldUsers, u.Email)
			if u.FormerID != old.ID || u.Email != old.Email || u.CreationMethod != "EmailVerified" {
				t.Errorf("moved user %+v: want the same address, creation method and formerId %s", u, old.ID)
			}
		}
	}
	d := directoryShow(t, db, "contoso.com")
	if d.Users != 6 || d.Grants["rms"] != 4 || d.Grants["sharepoint"] != 1 || d.Grants["powerbi"] != 0 {
		t.Errorf("contoso.com after the merge: %+v", d)
	}
	if got := directoryShow(t, db, "contoso.co.uk"); got.ID != contoso.ID {
		t.Errorf("contoso.co.uk should now resolve to contoso.com: %+v", got)
	}
	old := directoryShow(t, db, oldID)
	if old.State != "retired" || old.MergedInto != contoso.ID || old.Users != 0 || len(old.Grants) != 0 {
		t.Errorf("old directory: %+v, want retired, merged into %s, empty", old, contoso.ID)
	}
	if retired := listDirectories(t, db, "--state", "retired"); len(retired) != 1 || retired[0].ID != oldID {
		t.Errorf("directory list --state retired: %+v", retired)
	}
	if rec := domains(t, db)["contoso.co.uk"]; !rec.Verified || rec.Directory != contoso.ID || rec.Proof != "dns-txt" {
		t.Errorf("domain list: contoso.co.uk is %+v, want verified in %s", rec, contoso.ID)
	}
	if es := users(t, db, oldID); len(es) != 0 {
		t.Errorf("the retired directory still holds users: %+v", es)
	}
	wantFail(t, db, 1, []string{"read-only"}, "settings", oldID, "--allow-adhoc-subscriptions=false")

	as := actions(audit(t, db))
	for _, a := range []string{"takeover.start", "takeover.batch", "takeover.external"} {
		if as[a] == 0 {
			t.Errorf("audit lacks %s: %v", a, as)
		}
	}
	// The command line is the operator's, acting as the admin --as
	// names, in every entry of the journaled job (issue 11 point 6).
	for _, e := range audit(t, db) {
		if strings.HasPrefix(e.Action, "takeover.") && e.Action != "takeover.internal" && (e.Actor != "operator" || e.As != "admin@contoso.com") {
			t.Errorf("takeover entry by %q as %q: %+v", e.Actor, e.As, e)
		}
	}

	// Sign-ups at contoso.co.uk now join contoso.com.
	if res := signup(t, db, "eve@contoso.co.uk", "rms"); res.Directory.ID != contoso.ID {
		t.Errorf("sign-up after the merge went to %+v", res.Directory)
	}
	// And the domain cannot be taken again.
	wantFail(t, db, 1, []string{"already verified"}, "domain", "challenge", "contoso.co.uk", "--as", "admin@fabrikam.com", "--into", "fabrikam.com")
	wantFail(t, db, 1, nil, "domain", "verify", "contoso.co.uk", "--as", "admin@fabrikam.com", "--dns-server", z.Addr, "--force")
}

// A takeover without any block-policy service needs no --force.
func TestExternalTakeoverWithoutBlock(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	z := startDNS(t)
	contoso := takeOver(t, db, z, "admin@contoso.com", "rms")
	signup(t, db, "ann@contoso.co.uk", "rms")
	signup(t, db, "ben@contoso.co.uk", "sharepoint")

	ch := challengeFor(t, db, "contoso.co.uk", "--as", "admin@contoso.com", "--into", "contoso.com", "--mode", "mx")
	z.publish(t, "contoso.co.uk. 3600 IN MX 32767 "+ch.Challenge.Token)
	var rep verifyReport
	runJSON(t, db, &rep, "domain", "verify", "contoso.co.uk", "--as", "admin@contoso.com", "--dns-server", z.Addr)
	if rep.Impact == nil || len(rep.Impact.Blocking) != 0 || len(rep.Impact.LosingAccess) != 0 || rep.Job == nil || rep.Job.Moved != 2 || rep.Job.Dropped != 0 {
		t.Errorf("unblocked external takeover: %+v", rep)
	}
	if us := users(t, db, contoso.ID); len(us) != 3 {
		t.Errorf("contoso.com users: %+v", us)
	}
	if rec := domains(t, db)["contoso.co.uk"]; rec.Proof != "dns-mx" || rec.Directory != contoso.ID {
		t.Errorf("domain record: %+v", rec)
	}
}

// A domain nobody signed up from is simply added to the managed directory.
func TestExternalDomainAddition(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	z := startDNS(t)
	contoso := takeOver(t, db, z, "admin@contoso.com", "rms")
	ch := challengeFor(t, db, "contoso.net", "--as", "admin@contoso.com", "--into", "contoso.com")
	z.publishTXT(t, "contoso.net", ch.Challenge.Token)
	runOK(t, db, "domain", "verify", "contoso.net", "--as", "admin@contoso.com", "--dns-server", z.Addr)
	if rec := domains(t, db)["contoso.net"]; !rec.Verified || rec.Directory != contoso.ID {
		t.Errorf("contoso.net: %+v", rec)
	}
	if d := directoryShow(t, db, "contoso.com"); !slices.Contains(d.Domains, "contoso.net") {
		t.Errorf("contoso.com domains: %v", d.Domains)
	}
	if res := signup(t, db, "sue@contoso.net", "rms"); res.CreatedDirectory || res.Directory.ID != contoso.ID {
		t.Errorf("sign-up at the added domain: %+v", res)
	}
}

// A subdomain of a domain verified in the admin's directory needs no
// challenge, and stays its own unmanaged directory until merged.
func TestSubdomainTakeover(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	z := startDNS(t)
	contoso := takeOver(t, db, z, "admin@contoso.com", "rms")

	eu := signup(t, db, "lea@eu.contoso.com", "rms")
	if !eu.CreatedDirectory || eu.Directory.ID == contoso.ID || eu.Directory.State != "unmanaged" || eu.Directory.Name != "eu.contoso.com" {
		t.Fatalf("eu.contoso.com should get its own unmanaged directory: %+v", eu.Directory)
	}
	signup(t, db, "max@eu.contoso.com", "sharepoint")

	var ch challengeResult
	r := runJSON(t, db, &ch, "domain", "challenge", "eu.contoso.com", "--as", "admin@contoso.com", "--into", "contoso.com")
	if ch.ParentProof != "contoso.com" || ch.Challenge != nil {
		t.Errorf("subdomain challenge: %+v (%s), want parentProof contoso.com and no record", ch, r.stdout)
	}
	text := runOK(t, db, "domain", "challenge", "eu.contoso.com", "--as", "admin@contoso.com", "--into", "contoso.com")
	if !strings.Contains(text.stdout, "No challenge needed") {
		t.Errorf("challenge text should say no challenge is needed:\n%s", text)
	}

	queries := z.queryCount()
	var rep verifyReport
	runJSON(t, db, &rep, "domain", "verify", "eu.contoso.com", "--as", "admin@contoso.com")
	if rep.ParentProof != "contoso.com" || rep.Check != nil || rep.Kind != "external" || rep.Job == nil || rep.Job.Moved != 2 {
		t.Errorf("subdomain verify: %+v", rep)
	}
	if z.queryCount() != queries {
		t.Errorf("a parent proof must not ask DNS")
	}
	if rec := domains(t, db)["eu.contoso.com"]; !rec.Verified || rec.Directory != contoso.ID || rec.Proof != "parent:contoso.com" {
		t.Errorf("eu.contoso.com: %+v, want verified in contoso.com by parent:contoso.com", rec)
	}
	if us := users(t, db, "contoso.com"); len(us) != 3 {
		t.Errorf("contoso.com users: %+v", us)
	}
	if d := directoryShow(t, db, eu.Directory.ID); d.State != "retired" {
		t.Errorf("eu.contoso.com's old directory: %+v", d)
	}

	// Someone who is not an admin of contoso.com gets no parent proof.
	signup(t, db, "pat@emea.contoso.com", "rms")
	wantFail(t, db, 1, nil, "domain", "verify", "emea.contoso.com", "--as", "lea@eu.contoso.com")
	wantFail(t, db, 1, []string{"not a global admin"}, "domain", "challenge", "emea.contoso.com", "--as", "lea@eu.contoso.com", "--into", "contoso.com")
}
