package model

import (
	"errors"
	"testing"
	"time"
)

func TestBudgetBucket(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	l := BudgetLimit{Burst: 3, PerHour: 6}
	var b *Budget
	if !l.Open(b, now) || l.Level(b, now) != 3 {
		t.Fatal("a budget never spent is full")
	}
	for range 3 {
		s := l.Spend(b, now)
		b = &s
	}
	if l.Open(b, now) {
		t.Fatalf("three spent of three: %+v is still open", *b)
	}
	if got := l.Reopens(b, now); !got.Equal(now.Add(10 * time.Minute)) {
		t.Errorf("reopens at %s, want 10 minutes on (6 an hour)", got)
	}
	if !l.Open(b, now.Add(10*time.Minute)) || l.Open(b, now.Add(9*time.Minute)) {
		t.Error("one token is back after exactly 10 minutes")
	}
	// Spending while empty keeps it empty from then on.
	s := l.Spend(b, now.Add(5*time.Minute))
	if l.Open(&s, now.Add(10*time.Minute)) || !l.Open(&s, now.Add(15*time.Minute)) {
		t.Error("a failure on an empty budget restarts its refill")
	}
	if l.Level(b, now.Add(24*time.Hour)) != 3 {
		t.Error("a budget refills to its burst, no further")
	}
	if CodeLength(b, nil, now) != LongCodeDigits || CodeLength(nil, b, now) != LongCodeDigits || CodeLength(nil, nil, now) != CodeDigits {
		t.Error("codes are long while either budget is spent")
	}
	var p error = &PausedError{Domain: "bellowscollege.com", Until: now}
	if !errors.Is(p, ErrTryAgain) || !IsRefusal(p) {
		t.Error("a pause is a try-again refusal")
	}
}

// Issue 10 point 11: the budgets must keep the expected time to guess one
// 6-digit code at one domain at a year or more, and the service-wide one
// too for some code at any domain. An attacker gets Burst guesses at once
// and PerHour every hour after; a guess is right with probability at most
// 1/(10^6 − MaxCodeAttempts) (distinct guesses at one code).
func TestBudgetsKeepAGuessAYearAway(t *testing.T) {
	const year = 365.25 * 24 // hours
	space := 1.0
	for range CodeDigits {
		space *= 10
	}
	for name, l := range map[string]BudgetLimit{"per domain": DomainGuesses, "overall": OverallGuesses} {
		need := space - MaxCodeAttempts // expected guesses for one success
		hours := (need - l.Burst) / l.PerHour
		if hours < year {
			t.Errorf("%s: %v guesses an hour find a code in %.0f hours on average, under a year", name, l.PerHour, hours)
		}
	}
	if DomainGuesses.PerHour >= OverallGuesses.PerHour {
		t.Error("one domain's attacker alone must not be able to spend the service-wide budget")
	}
}
