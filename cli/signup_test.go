package cli_test

import (
	"strings"
	"testing"
)

// The seed's sign-up story: Dan creates Bellows College's unmanaged
// directory, colleagues join it, and the listings show it.
func TestSignupStory(t *testing.T) {
	t.Parallel()
	db := t.TempDir()

	r := runOK(t, db, "signup", "start", "Dan@BellowsCollege.com", "--service", "rms")
	if !strings.Contains(r.stdout, "outbox") {
		t.Errorf("signup start should say the code is in the outbox:\n%s", r)
	}
	msgs := outbox(t, db)
	if len(msgs) != 1 {
		t.Fatalf("want 1 message in the outbox, got %+v", msgs)
	}
	// The domain is normalised, the local part keeps the case typed.
	if msgs[0].To != "Dan@bellowscollege.com" {
		t.Errorf("code mailed to %q, want Dan@bellowscollege.com", msgs[0].To)
	}
	c := codeFrom(t, msgs[0])
	if !strings.Contains(msgs[0].Body, c) {
		t.Errorf("the body should hold the code %s too: %q", c, msgs[0].Body)
	}
	if ds := listDirectories(t, db); len(ds) != 0 {
		t.Fatalf("nothing may be created before the code is confirmed: %+v", ds)
	}

	var dan signupResult
	runJSON(t, db, &dan, "signup", "verify", "dan@bellowscollege.com", "--code", c)
	if dan.Outcome != "create-user" || !dan.CreatedDirectory {
		t.Errorf("first sign-up: outcome %q created %v, want create-user and a new directory", dan.Outcome, dan.CreatedDirectory)
	}
	if d := dan.Directory; d.State != "unmanaged" || d.Name != "bellowscollege.com" || len(d.GlobalAdmins) != 0 ||
		strings.Join(d.Domains, ",") != "bellowscollege.com" {
		t.Errorf("new directory %+v: want unmanaged bellowscollege.com without admins", d)
	}
	if !dan.Directory.Switches.AllowEmailVerifiedUsers || !dan.Directory.Switches.AllowAdHocSubscriptions {
		t.Errorf("a new directory gets both switches on by default: %+v", dan.Directory.Switches)
	}
	if u := dan.User; u.CreationMethod != "EmailVerified" || u.Kind != "member" || strings.Join(u.Grants, ",") != "rms" ||
		u.Directory != dan.Directory.ID {
		t.Errorf("Dan's user %+v: want an EmailVerified member with rms in %s", u, dan.Directory.ID)
	}

	// A colleague joins the same directory.
	alice := signup(t, db, "alice@bellowscollege.com", "sharepoint")
	if alice.CreatedDirectory || alice.Directory.ID != dan.Directory.ID || alice.Outcome != "create-user" {
		t.Errorf("second person: %+v, want create-user in directory %s", alice, dan.Directory.ID)
	}
	carol := signup(t, db, "carol@BELLOWSCOLLEGE.COM", "rms")
	if carol.Directory.ID != dan.Directory.ID {
		t.Errorf("carol joined %s, want %s", carol.Directory.ID, dan.Directory.ID)
	}
	// Dan again, typed in another case, for another service: the same user
	// is granted it (the local part is compared case-insensitively).
	again := signup(t, db, "DAN@bellowscollege.com", "sharepoint")
	if again.Outcome != "grant-service" || again.User.ID != dan.User.ID || strings.Join(again.User.Grants, ",") != "rms,sharepoint" {
		t.Errorf("Dan signing up again: %+v, want grant-service to user %s with rms,sharepoint", again, dan.User.ID)
	}

	ds := listDirectories(t, db)
	if len(ds) != 1 {
		t.Fatalf("directory list: want one directory, got %+v", ds)
	}
	if d := ds[0]; d.ID != dan.Directory.ID || d.State != "unmanaged" || d.Users != 3 || d.Grants["rms"] != 2 || d.Grants["sharepoint"] != 2 {
		t.Errorf("directory list entry %+v: want 3 users, rms 2, sharepoint 2", d)
	}
	for _, ref := range []string{"bellowscollege.com", "BellowsCollege.COM", dan.Directory.ID} {
		d := directoryShow(t, db, ref)
		if d.ID != dan.Directory.ID || d.Users != 3 || d.Name != "bellowscollege.com" {
			t.Errorf("directory show %s: %+v", ref, d)
		}
	}
	show := runOK(t, db, "directory", "show", "bellowscollege.com")
	for _, want := range []string{"unmanaged", "bellowscollege.com", "AllowEmailVerifiedUsers", "service rms"} {
		if !strings.Contains(show.stdout, want) {
			t.Errorf("directory show text should mention %q:\n%s", want, show)
		}
	}

	// Paging, one user at a time, in address order.
	var got []string
	after := ""
	for range 5 {
		args := []string{"user", "list", "bellowscollege.com", "--limit", "1"}
		if after != "" {
			args = append(args, "--after", after)
		}
		var page []user
		runJSON(t, db, &page, args...)
		if len(page) == 0 {
			break
		}
		if len(page) != 1 {
			t.Fatalf("--limit 1 returned %d users", len(page))
		}
		got = append(got, strings.ToLower(page[0].Email))
		after = page[0].Email
	}
	if strings.Join(got, " ") != "alice@bellowscollege.com carol@bellowscollege.com dan@bellowscollege.com" {
		t.Errorf("paging with --after gave %v", got)
	}
	page := runOK(t, db, "user", "list", "bellowscollege.com", "--limit", "2")
	if !strings.Contains(page.stdout, "user list bellowscollege.com --after carol@bellowscollege.com --limit 2") {
		t.Errorf("a full page should say how to get the next one:\n%s", page)
	}
	u, ok := findUser(users(t, db, "bellowscollege.com"), "dan@bellowscollege.com")
	if !ok || u.CreationMethod != "EmailVerified" || strings.Join(u.Grants, ",") != "rms,sharepoint" {
		t.Errorf("user list: Dan is %+v", u)
	}

	doms := domains(t, db)
	if rec, ok := doms["bellowscollege.com"]; !ok || rec.Directory != dan.Directory.ID || rec.Verified {
		t.Errorf("domain list: %+v, want bellowscollege.com unverified in %s", doms, dan.Directory.ID)
	}
	if len(doms) != 1 {
		t.Errorf("domain list holds %d domains, want 1: %+v", len(doms), doms)
	}
}

func listDirectories(t *testing.T, db string, args ...string) []directory {
	t.Helper()
	var ds []directory
	runJSON(t, db, &ds, append([]string{"directory", "list"}, args...)...)
	return ds
}

// wrongCode returns a code that is not c.
func wrongCode(c string) string {
	if c == "000000" {
		return "111111"
	}
	return "000000"
}

func TestCodes(t *testing.T) {
	t.Parallel()

	t.Run("wrong code counts an attempt", func(t *testing.T) {
		t.Parallel()
		db := t.TempDir()
		runOK(t, db, "signup", "start", "dan@bellowscollege.com", "--service", "rms")
		c := code(t, db, "dan@bellowscollege.com")
		wantFail(t, db, 1, []string{"not accepted", "signup start"}, "signup", "verify", "dan@bellowscollege.com", "--code", wrongCode(c))
		// Not six digits: a typo, refused before it costs an attempt.
		wantFail(t, db, 2, []string{"6 digits"}, "signup", "verify", "dan@bellowscollege.com", "--code", "12345")
		wantFail(t, db, 1, []string{"not accepted"}, "signup", "verify", "dan@bellowscollege.com", "--code", wrongCode(c))
		if ds := listDirectories(t, db); len(ds) != 0 {
			t.Errorf("a wrong code created %+v", ds)
		}
		res := signupVerify(t, db, "dan@bellowscollege.com", c)
		if res.Outcome != "create-user" {
			t.Errorf("the right code within its attempts: %+v", res)
		}
	})

	t.Run("five wrong codes lock it", func(t *testing.T) {
		t.Parallel()
		db := t.TempDir()
		runOK(t, db, "signup", "start", "dan@bellowscollege.com", "--service", "rms")
		c := code(t, db, "dan@bellowscollege.com")
		for range 5 {
			wantFail(t, db, 1, []string{"not accepted"}, "signup", "verify", "dan@bellowscollege.com", "--code", wrongCode(c))
		}
		wantFail(t, db, 1, []string{"not accepted"}, "signup", "verify", "dan@bellowscollege.com", "--code", c)
		// Asking for a new code while the locked one is live is refused
		// too, or the lock would only slow a guesser down.
		wantFail(t, db, 1, []string{"too many"}, "signup", "start", "dan@bellowscollege.com", "--service", "rms")
		if ds := listDirectories(t, db); len(ds) != 0 {
			t.Errorf("a locked code created %+v", ds)
		}
	})

	t.Run("a code works once", func(t *testing.T) {
		t.Parallel()
		db := t.TempDir()
		res := signup(t, db, "dan@bellowscollege.com", "rms")
		c := code(t, db, "dan@bellowscollege.com")
		wantFail(t, db, 1, []string{"not accepted"}, "signup", "verify", "dan@bellowscollege.com", "--code", c)
		if us := users(t, db, res.Directory.ID); len(us) != 1 {
			t.Errorf("re-using the code changed the users: %+v", us)
		}
	})

	t.Run("no code asked for", func(t *testing.T) {
		t.Parallel()
		db := t.TempDir()
		wantFail(t, db, 1, []string{"no selfserve database", "--db"}, "signup", "verify", "dan@bellowscollege.com", "--code", "123456")
		runOK(t, db, "signup", "start", "eve@bellowscollege.com", "--service", "rms")
		wantFail(t, db, 1, []string{"not accepted", "signup start"}, "signup", "verify", "dan@bellowscollege.com", "--code", "123456")
	})

	t.Run("a code is for its own address", func(t *testing.T) {
		t.Parallel()
		db := t.TempDir()
		runOK(t, db, "signup", "start", "dan@bellowscollege.com", "--service", "rms")
		c := code(t, db, "dan@bellowscollege.com")
		wantFail(t, db, 1, []string{"not accepted"}, "signup", "verify", "eve@bellowscollege.com", "--code", c)
	})

	// Refused at start: nothing is mailed.
	refusals := []struct {
		name, email, service string
		fragments            []string
	}{
		{"unknown service", "dan@bellowscollege.com", "nosuch", []string{"unknown service", "nosuch"}},
		{"consumer domain", "someone@gmail.com", "rms", []string{"gmail.com", "consumer"}},
		{"consumer domain in another case", "Someone@GMail.com", "rms", []string{"consumer"}},
		{"consumer subdomain", "someone@mail.yahoo.com", "rms", []string{"consumer"}},
		{"public suffix", "dan@co.uk", "rms", []string{"co.uk", "public suffix"}},
		{"public suffix of a hosting provider", "dan@github.io", "rms", []string{"public suffix"}},
		{"missing @", "dan.bellowscollege.com", "rms", []string{"missing @"}},
		{"display name", "Dan <dan@bellowscollege.com>", "rms", []string{"display name"}},
		{"nothing before @", "@bellowscollege.com", "rms", []string{"nothing before the @"}},
		{"no domain", "dan@", "rms", []string{"no domain"}},
		{"domain without a dot", "dan@localhost", "rms", []string{"no dot"}},
		{"two dots", "dan..x@bellowscollege.com", "rms", []string{"two dots"}},
		{"space", "dan smith@bellowscollege.com", "rms", []string{"not allowed"}},
		{"address literal", "dan@[10.0.0.1]", "rms", []string{"literal"}},
		{"IP address", "dan@10.0.0.1", "rms", []string{"IP address"}},
		{"unicode local part", "dän@bellowscollege.com", "rms", []string{"ASCII"}},
		{"CJK local part", "用户@bellowscollege.com", "rms", []string{"ASCII"}},
		{"bad international domain", "dan@\u202ebellows.com", "rms", []string{"international"}},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := t.TempDir()
			r := wantFail(t, db, 1, tc.fragments, "signup", "start", tc.email, "--service", tc.service)
			if r.stdout != "" {
				t.Errorf("a refusal prints nothing on stdout:\n%s", r)
			}
			if msgs := outbox(t, db); len(msgs) != 0 {
				t.Errorf("a refused sign-up mailed %+v", msgs)
			}
		})
	}

	// An ASCII label starting xn-- must be a valid IDNA A-label (RFC 5890):
	// xn--zz is not Punycode for anything.
	t.Run("invalid A-label", func(t *testing.T) {
		t.Parallel()
		db := t.TempDir()
		r := run(t, db, "signup", "start", "eve@xn--zz.example", "--service", "rms")
		if r.code != 1 || !strings.Contains(r.stderr, "xn--zz") {
			t.Errorf("BUG: eve@xn--zz.example has an invalid IDNA label (idna: invalid label \"zz\") and must be rejected "+
				"with exit 1 and a message naming it:\n%s", r)
		}
	})

	t.Run("fullwidth letters map to the same domain", func(t *testing.T) {
		t.Parallel()
		db := t.TempDir()
		dan := signup(t, db, "dan@bellowscollege.com", "rms")
		runOK(t, db, "signup", "start", "eve@\uff42ellowscollege.com", "--service", "rms")
		eve := signupVerify(t, db, "eve@\uff42ellowscollege.com", code(t, db, "eve@bellowscollege.com"))
		if eve.Directory.ID != dan.Directory.ID || eve.User.Email != "eve@bellowscollege.com" {
			t.Errorf("eve@ｂellowscollege.com should join bellowscollege.com: %+v", eve)
		}
		wantFail(t, db, 1, []string{"consumer"}, "signup", "start", "eve@\uff47mail.com", "--service", "rms")
	})

	t.Run("code requests are limited per address", func(t *testing.T) {
		t.Parallel()
		db := t.TempDir()
		for range 5 {
			runOK(t, db, "signup", "start", "zed@zed.example", "--service", "rms")
		}
		wantFail(t, db, 1, []string{"5 codes", "ask again after"}, "signup", "start", "Zed@zed.example", "--service", "rms")
		if n := len(outbox(t, db)); n != 5 {
			t.Errorf("outbox holds %d codes, want 5", n)
		}
		// Another address is not limited by Zed's requests.
		runOK(t, db, "signup", "start", "amy@zed.example", "--service", "rms")
		// Only the newest code works.
		res := signupVerify(t, db, "zed@zed.example", code(t, db, "zed@zed.example"))
		if res.Outcome != "create-user" {
			t.Errorf("newest code: %+v", res)
		}
	})

	t.Run("operator's consumer domain", func(t *testing.T) {
		t.Parallel()
		db := t.TempDir()
		runOK(t, db, "consumer", "add", "freemail.example")
		var list []string
		runJSON(t, db, &list, "consumer", "list")
		if !contains(list, "freemail.example") || !contains(list, "gmail.com") {
			t.Errorf("consumer list: %v", list)
		}
		wantFail(t, db, 1, []string{"consumer"}, "signup", "start", "jo@freemail.example", "--service", "rms")
	})

	t.Run("international domain", func(t *testing.T) {
		t.Parallel()
		db := t.TempDir()
		runOK(t, db, "signup", "start", "anna@Bücher.example", "--service", "rms")
		msgs := outbox(t, db)
		if len(msgs) != 1 || msgs[0].To != "anna@xn--bcher-kva.example" {
			t.Fatalf("code for the IDN address: %+v, want it to anna@xn--bcher-kva.example", msgs)
		}
		// Verify with the Unicode form: it is the same address.
		res := signupVerify(t, db, "anna@bücher.example", codeFrom(t, msgs[0]))
		if res.Directory.Name != "xn--bcher-kva.example" || res.User.Email != "anna@xn--bcher-kva.example" {
			t.Errorf("IDN sign-up: %+v", res)
		}
		if _, ok := domains(t, db)["xn--bcher-kva.example"]; !ok {
			t.Errorf("domain list lacks xn--bcher-kva.example: %+v", domains(t, db))
		}
		if d := directoryShow(t, db, "bücher.example"); d.ID != res.Directory.ID {
			t.Errorf("directory show by the Unicode name: %+v", d)
		}
	})
}

func signupVerify(t *testing.T, db, email, c string) signupResult {
	t.Helper()
	var res signupResult
	runJSON(t, db, &res, "signup", "verify", email, "--code", c)
	return res
}

// With --smtp the code goes to the relay and not to the outbox.
func TestSignupThroughSMTP(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	relay := startSMTP(t)

	r := runOK(t, db, "--smtp", relay.Addr, "--mail-from", "noreply@selfserve.example", "signup", "start", "Bob@Contoso.com", "--service", "rms")
	if !strings.Contains(r.stdout, "sent through "+relay.Addr) {
		t.Errorf("signup start should say the code was sent through the relay:\n%s", r)
	}
	if msgs := outbox(t, db); len(msgs) != 0 {
		t.Errorf("with --smtp nothing goes to the outbox: %+v", msgs)
	}
	mails := relay.messages()
	if len(mails) != 1 {
		t.Fatalf("the relay got %d messages, want 1", len(mails))
	}
	m := mails[0]
	if m.From != "noreply@selfserve.example" || strings.Join(m.To, ",") != "Bob@contoso.com" {
		t.Errorf("envelope from %q to %v", m.From, m.To)
	}
	var subject string
	for _, line := range strings.Split(m.Data, "\n") {
		if s, ok := strings.CutPrefix(line, "Subject: "); ok {
			subject = s
		}
	}
	if subject == "" || !strings.Contains(m.Data, "To: Bob@contoso.com") {
		t.Fatalf("message lacks headers:\n%s", m.Data)
	}
	c := codeFrom(t, message{Subject: subject})
	res := signupVerify(t, db, "bob@contoso.com", c)
	if res.Outcome != "create-user" || res.Directory.Name != "contoso.com" {
		t.Errorf("verify with the mailed code: %+v", res)
	}
}

func TestSignupSMTPRefused(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	addr := refusingAddr(t)
	r := wantFail(t, db, 1, []string{"SMTP relay " + addr}, "--smtp", addr, "signup", "start", "bob@contoso.com", "--service", "rms")
	if !strings.Contains(r.stderr, "; check --smtp (or SELFSERVE_SMTP) and run the command again") {
		t.Errorf("the message should say what to do:\n%s", r)
	}
	if msgs := outbox(t, db); len(msgs) != 0 {
		t.Errorf("an undeliverable code must not land in the outbox: %+v", msgs)
	}
	if ds := listDirectories(t, db); len(ds) != 0 {
		t.Errorf("nothing may be created: %+v", ds)
	}
}

// SELFSERVE_DB and SELFSERVE_SMTP are the defaults of --db and --smtp.
// Not parallel: it sets the environment.
func TestEnvironmentDefaults(t *testing.T) {
	db := t.TempDir()
	relay := startSMTP(t)
	t.Setenv("SELFSERVE_DB", db)
	t.Setenv("SELFSERVE_SMTP", relay.Addr)
	var out, errb strings.Builder
	code := runNoDB([]string{"signup", "start", "eve@fabrikam.com", "--service", "rms"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errb.String())
	}
	if len(relay.messages()) != 1 {
		t.Errorf("SELFSERVE_SMTP should send the code through the relay: got %d messages", len(relay.messages()))
	}
	t.Setenv("SELFSERVE_SMTP", "")
	out.Reset()
	if code := runNoDB([]string{"outbox", "--json"}, &out, &errb); code != 0 || strings.TrimSpace(out.String()) == "" {
		t.Errorf("outbox through SELFSERVE_DB: exit %d %q", code, out.String())
	}
	// --db wins over the environment.
	other := t.TempDir()
	if r := run(t, other, "directory", "list", "--json"); r.code != 1 || !strings.Contains(r.stderr, other) {
		t.Errorf("--db should win over SELFSERVE_DB, and it holds no database:\n%s", r)
	}
}

// Issue 10 point 12: with AllowEmailVerifiedUsers off, `signup start` and
// then `signup verify` print byte for byte the same, and exit alike, for
// an address that is a member and one that is not; only the mail, which
// only the address's owner reads, says which.
func TestSignupAnswersMembersAndOthersAlike(t *testing.T) {
	t.Parallel()
	member, other := t.TempDir(), t.TempDir()
	signup(t, member, "dan@bellowscollege.com", "rms")
	signup(t, other, "amy@bellowscollege.com", "rms")
	for _, db := range []string{member, other} {
		runOK(t, db, "settings", "bellowscollege.com", "--allow-email-verified-users=false")
	}
	steps := [][]string{
		{"signup", "start", "dan@bellowscollege.com", "--service", "sharepoint"},
		{"signup", "start", "dan@bellowscollege.com", "--service", "sharepoint", "--json"},
		{"signup", "verify", "dan@bellowscollege.com", "--code", "000000"},
		{"signup", "verify", "dan@bellowscollege.com", "--code", "000000", "--json"},
	}
	for _, args := range steps {
		m, o := alike(run(t, member, args...), member), alike(run(t, other, args...), other)
		if m.code != o.code || m.stdout != o.stdout || m.stderr != o.stderr {
			t.Errorf("%v tells a member from a non-member:\nmember:\n%s\nnon-member:\n%s", args, m, o)
		}
	}
	last := func(db string) message {
		msgs := outbox(t, db)
		return msgs[len(msgs)-1]
	}
	if m := last(member); !strings.Contains(m.Subject, "code") {
		t.Errorf("the member should have been mailed a code: %+v", m)
	}
	if m := last(other); strings.Contains(m.Subject, "code") || !strings.Contains(m.Body, "AllowEmailVerifiedUsers") {
		t.Errorf("the non-member should have been mailed why not: %+v", m)
	}
}

// alike takes the --db path, which advice repeats, out of r's output, so
// that runs on two databases can be compared byte for byte.
func alike(r result, db string) result {
	r.stdout, r.stderr = strings.ReplaceAll(r.stdout, db, "DB"), strings.ReplaceAll(r.stderr, db, "DB")
	return r
}

// `signup verify` prints the same for an address with no code pending and
// for one whose code is wrong.
func TestVerifyNoCodeAndWrongCodeAlike(t *testing.T) {
	t.Parallel()
	pending, none := t.TempDir(), t.TempDir()
	for _, db := range []string{pending, none} {
		runOK(t, db, "signup", "start", "amy@bellowscollege.com", "--service", "rms")
	}
	runOK(t, pending, "signup", "start", "dan@bellowscollege.com", "--service", "rms")
	wrong := wrongCode(code(t, pending, "dan@bellowscollege.com"))
	for _, extra := range [][]string{nil, {"--json"}} {
		args := append([]string{"signup", "verify", "dan@bellowscollege.com", "--code", wrong}, extra...)
		p, n := alike(run(t, pending, args...), pending), alike(run(t, none, args...), none)
		if p.code != 1 || p.code != n.code || p.stdout != n.stdout || p.stderr != n.stderr {
			t.Errorf("%v: a wrong code and no code answer differently:\nwrong code:\n%s\nno code:\n%s", args, p, n)
		}
	}
}
