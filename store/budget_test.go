package store

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"selfserve/model"
)

// startCode asks for a code for email and returns it.
func startCode(t *testing.T, s *Store, email string) string {
	t.Helper()
	var code string
	if _, err := s.StartSignup(addr(t, email), "rms", false, func(c string) model.Message { code = c; return model.Message{} }); err != nil {
		t.Fatalf("start %s: %v", email, err)
	}
	return code
}

// Issue 10 point 11: wrong codes at one domain spend its budget whatever
// the address. Once spent, its 6-digit codes are not checked (so guessing
// stops) and new codes there have 12 digits and work at once (so nobody
// is locked out); other domains keep 6 digits until the service-wide
// budget is spent too; both come back as they refill.
func TestWrongCodesSpendTheDomainBudget(t *testing.T) {
	clk := &clock{now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	s := openTest(t, t.TempDir(), Options{Now: clk.Now})
	dan := addr(t, "dan@bellowscollege.com")
	danCode := startCode(t, s, dan.String())

	// The attacker spreads guesses over made-up addresses, five each.
	burst := int(model.DomainGuesses.Burst)
	for i := range burst {
		a := addr(t, fmt.Sprintf("x%02d@bellowscollege.com", i/model.MaxCodeAttempts))
		if i%model.MaxCodeAttempts == 0 {
			startCode(t, s, a.String())
		}
		if _, err := s.VerifySignup(a, "000000"); !errors.Is(err, model.ErrCodeRejected) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	var paused *model.PausedError
	_, err := s.VerifySignup(addr(t, "x99@bellowscollege.com"), "000000")
	if !errors.As(err, &paused) || paused.Domain != "bellowscollege.com" {
		t.Fatalf("guess %d at the domain: %v, want a pause of bellowscollege.com", burst+1, err)
	}
	perToken := time.Duration(float64(time.Hour) / model.DomainGuesses.PerHour)
	if got := paused.Until.Sub(clk.Now()); got != perToken {
		t.Errorf("paused for %s, want %s (one token)", got, perToken)
	}
	// Dan's right 6-digit code is paused too, and not spent.
	if _, err := s.VerifySignup(dan, danCode); !errors.As(err, &paused) {
		t.Fatalf("a 6-digit code while the budget is spent: %v", err)
	}
	// Dan asks again and gets 12 digits, which work at once.
	clk.Add(time.Minute)
	long := startCode(t, s, dan.String())
	if len(long) != model.LongCodeDigits {
		t.Fatalf("code while the budget is spent: %q, want %d digits", long, model.LongCodeDigits)
	}
	if res, err := s.VerifySignup(dan, long); err != nil || res.Outcome != model.CreateUser {
		t.Fatalf("the long code: %+v %v", res, err)
	}
	// Another domain is not affected.
	if c := startCode(t, s, "amy@fabrikam.com"); len(c) != model.CodeDigits {
		t.Fatalf("another domain's code: %q", c)
	}
	// Once a token is back, 6-digit codes are sent and checked again.
	clk.Add(perToken)
	eve := addr(t, "eve@bellowscollege.com")
	if c := startCode(t, s, eve.String()); len(c) != model.CodeDigits {
		t.Fatalf("after the refill: %q", c)
	} else if _, err := s.VerifySignup(eve, c); err != nil {
		t.Fatalf("a 6-digit code after the refill: %v", err)
	}
	checkInvariants(t, s)
}

// The service-wide budget: guesses spread over many domains, each within
// its own budget, pause 6-digit codes everywhere.
func TestWrongCodesSpendTheOverallBudget(t *testing.T) {
	clk := &clock{now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	s := openTest(t, t.TempDir(), Options{Now: clk.Now})
	per := int(model.DomainGuesses.Burst) - 1
	for i := range int(model.OverallGuesses.Burst) {
		a := addr(t, fmt.Sprintf("x@d%02d.example", i/per))
		if _, err := s.VerifySignup(a, "000000"); !errors.Is(err, model.ErrCodeRejected) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	var paused *model.PausedError
	if _, err := s.VerifySignup(addr(t, "y@fresh.example"), "000000"); !errors.As(err, &paused) || paused.Domain != "" {
		t.Fatalf("a domain never guessed at: %v, want the service-wide pause", err)
	}
	if c := startCode(t, s, "amy@fresh.example"); len(c) != model.LongCodeDigits {
		t.Fatalf("a code while the service-wide budget is spent: %q", c)
	}
}
