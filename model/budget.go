package model

import (
	"fmt"
	"math"
	"time"
)

// Budgets of wrong codes (issue 10 point 11). Per-address limits alone let
// an attacker spread guesses over made-up addresses at one domain: 30,000
// an hour found a 6-digit code in a day or two. Every failed `signup
// verify` now also spends a token of its domain's budget and one of the
// service-wide budget, whatever the address. While either holds less
// than one token, 6-digit codes there are not checked at all, and new
// codes there get LongCodeDigits digits instead.
//
// The arithmetic, for an attacker at one domain: 6-digit codes are
// checked at most DomainGuesses.Burst + DomainGuesses.PerHour × hours
// times, each right with probability 1 in 10^6 (codes are drawn without
// bias), so one code takes about 10^6 / 20 = 50,000 hours, 5.7 years, on
// average; for some code at any domain, 10^6 / 100 = 10,000 hours, 1.1
// years. A 12-digit code is never paused, so a person who asks for a code
// while a budget is spent gets one that works at once: the attacker can
// make codes longer but lock nobody out. Its guesses are bounded by how
// fast wrong codes can be refused, each a synced write of the domain's
// budget record that Badger lets through one at a time (see README).
type Budget struct {
	Tokens float64   `json:"tokens"`
	At     time.Time `json:"at"` // when Tokens was last counted
}

// BudgetLimit is a token bucket's size and refill rate.
type BudgetLimit struct {
	Burst   float64
	PerHour float64
}

var (
	DomainGuesses  = BudgetLimit{Burst: 20, PerHour: 20}
	OverallGuesses = BudgetLimit{Burst: 100, PerHour: 100}
)

// Level is the number of tokens b holds at now; nil, a budget never
// spent, is full.
func (l BudgetLimit) Level(b *Budget, now time.Time) float64 {
	if b == nil {
		return l.Burst
	}
	return math.Min(l.Burst, b.Tokens+max(0, now.Sub(b.At).Hours())*l.PerHour)
}

// Spend takes one token at now. An empty budget stays at zero, counted
// afresh from now, so that an attacker who keeps failing keeps it empty.
func (l BudgetLimit) Spend(b *Budget, now time.Time) Budget {
	return Budget{Tokens: max(0, l.Level(b, now)-1), At: now}
}

// Open reports whether b holds a whole token at now: 6-digit codes are
// checked and sent only then.
func (l BudgetLimit) Open(b *Budget, now time.Time) bool { return l.Level(b, now) >= 1 }

// Reopens is when b next holds a whole token, if nothing spends it.
func (l BudgetLimit) Reopens(b *Budget, now time.Time) time.Time {
	missing := 1 - l.Level(b, now)
	if missing <= 0 {
		return now
	}
	return now.Add(time.Duration(math.Ceil(missing / l.PerHour * float64(time.Hour))))
}

// PausedError refuses a 6-digit code without checking it while the
// budget of wrong codes of its domain (or of the whole service, when
// Domain is empty) is spent. Nothing is counted; the code works again
// after Until unless more wrong codes come first, and a code asked for
// now has LongCodeDigits digits and is checked at once.
type PausedError struct {
	Domain string
	Until  time.Time
}

func (e *PausedError) Error() string {
	what := fmt.Sprintf("%d-digit codes", CodeDigits)
	if e.Domain != "" {
		what += " for " + e.Domain
	}
	return fmt.Sprintf("%s: too many wrong codes were tried lately; %s are not checked until %s, and codes sent from now on have %d digits",
		ErrTryAgain, what, e.Until.UTC().Format(time.RFC3339), LongCodeDigits)
}

// Unwrap makes a pause a refusal of the ErrTryAgain class.
func (e *PausedError) Unwrap() error { return ErrTryAgain }

// CodeLength is how many digits a code sent now gets, given the two
// budgets.
func CodeLength(domain, overall *Budget, now time.Time) int {
	if DomainGuesses.Open(domain, now) && OverallGuesses.Open(overall, now) {
		return CodeDigits
	}
	return LongCodeDigits
}
