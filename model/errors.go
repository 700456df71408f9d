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
