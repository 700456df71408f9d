package store

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"selfserve/model"
)

func TestFirstSignupCreatesDirectoryLaterOnesJoin(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	first := mustSignup(t, s, "Dan@BellowsCollege.com", "rms")
	if !first.CreatedDirectory || first.Directory.State != model.Unmanaged || first.Outcome != model.CreateUser {
		t.Fatalf("first sign-up: %+v", first)
	}
	if first.User.CreationMethod != model.EmailVerified || !first.User.HasGrant("rms") {
		t.Fatalf("user: %+v", first.User)
	}
	second := mustSignup(t, s, "eve@bellowscollege.com", "sharepoint")
	if second.CreatedDirectory || second.Directory.ID != first.Directory.ID {
		t.Fatalf("second sign-up must join %s: %+v", first.Directory.ID, second)
	}
	again := mustSignup(t, s, "DAN@bellowscollege.com", "sharepoint")
	if again.Outcome != model.GrantService || strings.Join(again.User.Grants, ",") != "rms,sharepoint" {
		t.Fatalf("existing user signing up again: %+v", again)
	}
	sum, err := s.Summary("bellowscollege.com")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Users != 2 || sum.Grants["sharepoint"] != 2 || sum.Grants["rms"] != 1 {
		t.Fatalf("counts: %+v", sum)
	}
	checkInvariants(t, s)
}

func TestConcurrentSignupsFromNewDomainMakeOneDirectory(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := signup(t, s, fmt.Sprintf("user%d@fabrikam.com", i), "rms"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	dirs, err := s.Directories("")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != 1 || dirs[0].Users != n {
		t.Fatalf("want one directory with %d users, got %+v", n, dirs)
	}
	checkInvariants(t, s)
}

func TestPolicyCheckedAtStartAndAgainAtVerify(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	mustSignup(t, s, "dan@bellowscollege.com", "rms")
	off := func(sw model.Switches) model.Switches { sw.AllowEmailVerifiedUsers = false; return sw }

	// A code asked for while allowed, confirmed after the switch flipped.
	a := addr(t, "eve@bellowscollege.com")
	var code string
	if _, err := s.StartSignup(a, "rms", false, func(c string) model.Message { code = c; return model.Message{} }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetSwitches("bellowscollege.com", "operator", true, off); err != nil {
		t.Fatal(err)
	}
	if _, err := s.VerifySignup(a, code); !errors.Is(err, model.ErrRefused) || !strings.Contains(err.Error(), "AllowEmailVerifiedUsers") {
		t.Fatalf("verify after the switch flipped: %v", err)
	}
	// And refused up front: no code is made, and the mail says why.
	var why error
	mail := SignupMail{
		Code:    func(string) model.Message { t.Error("a code was made for a refused sign-up"); return model.Message{} },
		Refused: func(reason error) model.Message { why = reason; return model.Message{To: "zed"} },
	}
	msg, err := s.StartSignupMail(addr(t, "zed@bellowscollege.com"), "rms", true, mail)
	if err != nil || msg.To != "zed" || !errors.Is(why, model.ErrRefused) || !strings.Contains(why.Error(), "AllowEmailVerifiedUsers") {
		t.Fatalf("start with the switch off: err %v, mail %+v saying %v", err, msg, why)
	}
	// An existing user may still add a service (existing-user-signup).
	if res := mustSignup(t, s, "dan@bellowscollege.com", "sharepoint"); res.Outcome != model.GrantService {
		t.Fatalf("existing user: %+v", res)
	}
	checkInvariants(t, s)
}

func TestCodeExpiryLockAndRequestLimit(t *testing.T) {
	clk := &clock{now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	s := openTest(t, t.TempDir(), Options{Now: clk.Now})
	a := addr(t, "dan@bellowscollege.com")
	var code string
	compose := func(c string) model.Message { code = c; return model.Message{} }
	rejected := func(what string, err error) {
		t.Helper()
		if want := model.CodeRejected(a.String()); err == nil || err.Error() != want.Error() || !errors.Is(err, model.ErrCodeRejected) {
			t.Fatalf("%s: %v, want %v", what, err, want)
		}
	}
	if _, err := s.StartSignup(a, "rms", false, compose); err != nil {
		t.Fatal(err)
	}
	clk.Add(model.CodeTTL)
	_, err := s.VerifySignup(a, code)
	rejected("expired code", err)
	if _, err := s.StartSignup(a, "rms", false, compose); err != nil {
		t.Fatal(err)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "999999"
	}
	for range model.MaxCodeAttempts {
		_, err := s.VerifySignup(a, wrong)
		rejected("wrong code", err)
	}
	_, err = s.VerifySignup(a, code)
	rejected("right code after the lock", err)
	if _, err := s.StartSignup(a, "rms", false, compose); err == nil {
		t.Fatal("a locked address must not get a fresh code before the lock expires")
	}
	clk.Add(model.CodeTTL)
	for i := 0; i < 3; i++ {
		if _, err := s.StartSignup(a, "rms", false, compose); err != nil {
			t.Fatalf("request %d: %v", i+3, err)
		}
	}
	if _, err := s.StartSignup(a, "rms", false, compose); !errors.Is(err, model.ErrRefused) || !strings.Contains(err.Error(), "within the hour") {
		t.Fatalf("sixth code within the hour: %v", err)
	}
	clk.Add(time.Hour)
	if _, err := s.StartSignup(a, "rms", false, compose); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	if _, err := s.VerifySignup(a, code); err != nil {
		t.Fatal(err)
	}
	_, err = s.VerifySignup(a, code)
	rejected("re-used code", err)
}

func TestSignupRefusals(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	cases := []struct {
		email, service string
		want           error
		says           string
	}{
		{"someone@gmail.com", "rms", model.ErrRefused, "consumer"},
		{"someone@mail.yahoo.com", "rms", model.ErrRefused, "consumer"},
		{"someone@co.uk", "rms", model.ErrRefused, "public suffix"},
		{"dan@bellowscollege.com", "nosuch", model.ErrNotFound, "unknown service"},
	}
	for _, c := range cases {
		_, err := signup(t, s, c.email, c.service)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s/%s: %v, want %v saying %q", c.email, c.service, err, c.want, c.says)
		}
	}
	if err := s.AddConsumerDomain("operator", "mail.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := signup(t, s, "x@mail.example", "rms"); !errors.Is(err, model.ErrRefused) {
		t.Errorf("operator's consumer domain: %v", err)
	}
	dirs, _ := s.Directories("")
	if len(dirs) != 0 {
		t.Errorf("refused sign-ups made directories: %+v", dirs)
	}
}

// switchOff changes a directory's switches as the operator.
func switchOff(t *testing.T, s *Store, dir string, change func(*model.Switches)) {
	t.Helper()
	if _, err := s.SetSwitches(dir, "operator", true, func(sw model.Switches) model.Switches { change(&sw); return sw }); err != nil {
		t.Fatal(err)
	}
}

func TestAdHocSwitchAndExemptTrials(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	mustSignup(t, s, "dan@bellowscollege.com", "rms")
	switchOff(t, s, "bellowscollege.com", func(sw *model.Switches) { sw.AllowAdHocSubscriptions = false })
	if _, err := signup(t, s, "eve@bellowscollege.com", "rms"); err == nil || !strings.Contains(err.Error(), "AllowAdHocSubscriptions") {
		t.Fatalf("new user, ad-hoc off: %v", err)
	}
	if _, err := signup(t, s, "dan@bellowscollege.com", "sharepoint"); err == nil {
		t.Fatal("existing user, ad-hoc off, non-exempt service must be refused")
	}
	if res := mustSignup(t, s, "eve@bellowscollege.com", "flow"); res.Outcome != model.CreateUser {
		t.Fatalf("exempt trial creates the user: %+v", res)
	}
	if res := mustSignup(t, s, "dan@bellowscollege.com", "powerapps"); res.Outcome != model.GrantService {
		t.Fatalf("exempt trial for existing user: %+v", res)
	}
}

func TestSettingsPermissions(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	mustSignup(t, s, "dan@bellowscollege.com", "rms")
	flip := func(sw model.Switches) model.Switches {
		sw.AllowAdHocSubscriptions = !sw.AllowAdHocSubscriptions
		return sw
	}
	if _, err := s.SetSwitches("bellowscollege.com", "dan@bellowscollege.com", false, flip); !errors.Is(err, model.ErrForbidden) {
		t.Fatalf("a user of an unmanaged directory is no admin: %v", err)
	}
	if _, err := s.SetSwitches("nosuch.example", "operator", true, flip); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("unknown directory: %v", err)
	}
	d, err := s.SetSwitches("bellowscollege.com", "operator", true, flip)
	if err != nil || d.Switches.AllowAdHocSubscriptions {
		t.Fatalf("operator change: %+v %v", d, err)
	}
	entries, _ := s.Audit(time.Time{}, 0)
	last := entries[len(entries)-1]
	if last.Action != "settings.change" || last.Actor != "operator" || last.Before == nil || last.After == nil {
		t.Fatalf("audit entry: %+v", last)
	}
}

// Issue 10 point 10: sign-ups into one busy directory all land. Every one
// of them adds to the same directory's counters, which used to make them
// conflict and give up after 50 immediate retries.
func TestSixtyFourConcurrentSignupsIntoOneDirectory(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	mustSignup(t, s, "founder@busy.example", "rms")
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if _, err := signup(t, s, fmt.Sprintf("user%02d@busy.example", i), "rms"); err != nil {
				errs <- fmt.Errorf("user%02d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	sum, err := s.Summary("busy.example")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Users != n+1 || sum.Grants["rms"] != n+1 {
		t.Errorf("busy.example counts %d users and %d rms grants, want %d of each", sum.Users, sum.Grants["rms"], n+1)
	}
	checkInvariants(t, s)
}

// A directory's sign-ups spread its counters over shards; a takeover that
// retires it must leave none of them behind once it is purged.
func TestShardedCountersOfAMergedDirectoryGoWithIt(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	s := openTest(t, dir, Options{Now: clk.Now, BatchSize: 4})
	managed(t, s)
	for i := range 20 {
		mustSignup(t, s, fmt.Sprintf("u%02d@fabrikam.co.uk", i), []string{"rms", "sharepoint"}[i%2])
	}
	admin := addr(t, "admin@contoso.com")
	c := Claim{Domain: "fabrikam.co.uk", Admin: admin, Into: "contoso.com"}
	if _, err := s.IssueChallenge(c, model.ModeTXT); err != nil {
		t.Fatal(err)
	}
	p, err := s.Pending(c.Domain, admin)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.TakeOverExternal(c, p, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	old, err := s.Summary(res.Job.Source)
	if err != nil || old.Users != 0 || len(old.Grants) != 0 {
		t.Fatalf("the retired directory still counts: %+v %v", old, err)
	}
	target, err := s.Summary("contoso.com")
	if err != nil || target.Users != 21 || target.Grants["rms"] != 10 || target.Grants["sharepoint"] != 10 {
		t.Fatalf("contoso.com after the merge: %+v %v", target, err)
	}
	checkInvariants(t, s)
	s.Close()
	clk.Add(model.RetentionAfterMerge + time.Hour)
	s = openTest(t, dir, Options{Now: clk.Now})
	if _, err := s.Directory(res.Job.Source); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("the retired directory was not purged: %v", err)
	}
	checkInvariants(t, s)
}

// Issue 10 point 12: with AllowEmailVerifiedUsers off, asking for a code
// answers a member and a non-member alike (the mail says what happened),
// and so does every later step: wrong codes, the lock, asking again.
func TestSignupAnswersMembersAndOthersAlike(t *testing.T) {
	// A still clock: the lock's message names when it ends.
	clk := &clock{now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	s := openTest(t, t.TempDir(), Options{Now: clk.Now})
	mustSignup(t, s, "dan@bellowscollege.com", "rms")
	switchOff(t, s, "bellowscollege.com", func(sw *model.Switches) { sw.AllowEmailVerifiedUsers = false })
	type step struct {
		err  string
		mail string
	}
	trace := func(email string) []step {
		a := addr(t, email)
		var steps []step
		note := func(to string, err error) {
			e := ""
			if err != nil {
				e = strings.ReplaceAll(err.Error(), a.String(), "ADDR")
			}
			steps = append(steps, step{e, to})
		}
		mail := SignupMail{
			Code:    func(string) model.Message { return model.Message{To: "code"} },
			Refused: func(error) model.Message { return model.Message{To: "why"} },
		}
		msg, err := s.StartSignupMail(a, "sharepoint", false, mail)
		steps = append(steps, step{fmt.Sprint(err), ""}) // the mail differs, by design: only its reader sees it
		if msg.To == "" {
			t.Errorf("%s: no mail at all", email)
		}
		for range model.MaxCodeAttempts + 1 {
			res, err := s.VerifySignup(a, "000000")
			note(res.User.Email, err)
		}
		msg, err = s.StartSignupMail(a, "sharepoint", false, mail)
		note(msg.To, err)
		return steps
	}
	member, other := trace("dan@bellowscollege.com"), trace("zed@bellowscollege.com")
	if fmt.Sprint(member) != fmt.Sprint(other) {
		t.Errorf("a member and a non-member are told apart:\nmember %v\nother  %v", member, other)
	}
	if u, _ := s.Users("bellowscollege.com", "", 0); len(u) != 1 {
		t.Errorf("the refused sign-up made users: %+v", u)
	}
}

// A refusal that is the same for everyone at the domain tells nothing
// about anyone, so it is answered at once.
func TestSignupRefusedAlikeIsAnsweredDirectly(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	mustSignup(t, s, "dan@bellowscollege.com", "rms")
	switchOff(t, s, "bellowscollege.com", func(sw *model.Switches) { sw.AllowAdHocSubscriptions = false })
	for _, email := range []string{"dan@bellowscollege.com", "zed@bellowscollege.com"} {
		if _, err := signup(t, s, email, "rms"); !errors.Is(err, model.ErrRefused) || !strings.Contains(err.Error(), "AllowAdHocSubscriptions") {
			t.Errorf("%s: %v, want the ad-hoc refusal", email, err)
		}
	}
}

// "No code pending" and "wrong code" are one answer.
func TestVerifyWithoutCodeAnswersAsAWrongCode(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	a := addr(t, "dan@bellowscollege.com")
	_, none := s.VerifySignup(a, "000000")
	code := startCode(t, s, a.String())
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	_, bad := s.VerifySignup(a, wrong)
	if none == nil || bad == nil || none.Error() != bad.Error() {
		t.Fatalf("no code: %v\nwrong code: %v\nwant one answer", none, bad)
	}
	if _, err := s.VerifySignup(a, code); err != nil {
		t.Fatal(err)
	}
	if _, used := s.VerifySignup(a, code); used == nil || used.Error() != bad.Error() {
		t.Fatalf("a used code: %v, want %v", used, bad)
	}
}
