package model

import "errors"

// Error classes. Every refusal a person can act on wraps one of these, so
// callers test with errors.Is and users read the wrapping message.
var (
	ErrInvalid       = errors.New("invalid input")
	ErrNotFound      = errors.New("not found")
	ErrRefused       = errors.New("refused")
	ErrForbidden     = errors.New("not allowed")
	ErrConflict      = errors.New("conflict")
	ErrTryAgain      = errors.New("try again")
	ErrCodeRejected  = errors.New("code rejected")
	ErrNotVerified   = errors.New("domain not verified")
	ErrBlockedByPlan = errors.New("takeover blocked")
)

// Reasons within the classes, for front ends that word their advice per
// case: the command line names a flag, the console a key (issue 11 point
// 2: advice belongs to the front end, so the store and the model say only
// what happened). Each reason is also its class: errors.Is(err,
// ErrNoChallenge) implies errors.Is(err, ErrNotFound).
var (
	ErrNoDirectory       = Reason(ErrNotFound, "no directory")
	ErrUnknownService    = Reason(ErrNotFound, "unknown service")
	ErrNothingToTakeOver = Reason(ErrNotFound, "nothing to take over")
	ErrNoChallenge       = Reason(ErrNotFound, "no challenge")
	ErrChallengeExpired  = Reason(ErrRefused, "challenge expired")
	ErrProofChanged      = Reason(ErrRefused, "proof changed")
	ErrTooManyChecks     = Reason(ErrRefused, "too many checks")
	ErrNotMember         = Reason(ErrForbidden, "not a member")
	ErrTakeoverRunning   = Reason(ErrTryAgain, "takeover running")
)

// Reason makes a finer sentinel within class. It reads as its class, so
// "%w: detail" keeps the message a person saw before the reason existed.
func Reason(class error, name string) error { return &reason{class: class, name: name} }

type reason struct {
	class error
	name  string // for %#v and debuggers; never shown
}

func (r *reason) Error() string { return r.class.Error() }
func (r *reason) Unwrap() error { return r.class }

var refusals = []error{ErrInvalid, ErrNotFound, ErrRefused, ErrForbidden, ErrConflict,
	ErrTryAgain, ErrCodeRejected, ErrNotVerified, ErrBlockedByPlan}

// IsRefusal reports whether err is a rule saying no (as opposed to a
// failure of the machine: disk, network).
func IsRefusal(err error) bool {
	for _, r := range refusals {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}
