package cli_test

import (
	"testing"
)

// Issue 10 points 14-19 as a person meets them on the command line: each
// refusal exits 1 and names the rule, and one mailbox is one member
// however its local part is quoted.
func TestAddressAndDomainRulesOnTheCommandLine(t *testing.T) {
	db := t.TempDir()
	z := startDNS(t)
	takeOver(t, db, z, "admin@contoso.com", "rms")

	// Point 18: consumer mail is refused at challenge and at verify.
	wantFail(t, db, 1, []string{"gmail.com", "consumer mail domain"},
		"domain", "challenge", "gmail.com", "--as", "admin@contoso.com", "--into", "contoso.com")
	wantFail(t, db, 1, []string{"gmail.com", "consumer mail domain"},
		"domain", "verify", "gmail.com", "--as", "admin@contoso.com", "--dns-server", z.Addr)
	wantFail(t, db, 1, []string{"co.uk", "public suffix"},
		"domain", "challenge", "co.uk", "--as", "admin@contoso.com", "--into", "contoso.com")

	// Point 17: kobe.jp's admin must publish a challenge for city.kobe.jp.
	kobe := takeOver(t, db, z, "admin@kobe.jp", "rms")
	if ch := challengeFor(t, db, "city.kobe.jp", "--as", "admin@kobe.jp", "--into", kobe.ID); ch.Challenge == nil || ch.ParentProof != "" {
		t.Errorf("city.kobe.jp under kobe.jp: %+v; want a DNS challenge", ch)
	}

	// Points 15 and 19.
	for _, email := range []string{"dan@ bellowscollege.com", "dan@\u00a0bellowscollege.com", "dan@-ä.com"} {
		wantFail(t, db, 1, []string{"invalid input"}, "signup", "start", email, "--service", "rms")
	}
	wantFail(t, db, 1, []string{"special-use"}, "signup", "start", "dan@printer.local", "--service", "rms")
	wantFail(t, db, 1, []string{"special-use"}, "domain", "challenge", "printer.local", "--as", "admin@contoso.com", "--into", "contoso.com")

	// Point 14: three spellings, one member; the code goes to the one
	// spelling of the mailbox.
	for _, email := range []string{"dan@bellowscollege.com", `"dan"@bellowscollege.com`, `"d\an"@bellowscollege.com`} {
		runOK(t, db, "signup", "start", email, "--service", "rms")
		runOK(t, db, "signup", "verify", email, "--code", code(t, db, "dan@bellowscollege.com"))
	}
	if us := users(t, db, "bellowscollege.com"); len(us) != 1 || us[0].Email != "dan@bellowscollege.com" {
		t.Errorf("members of bellowscollege.com: %+v; want dan@bellowscollege.com alone", us)
	}
}
