package ops

import (
	"errors"

	"selfserve/model"
)

// Refusal reasons of a sign-up, stable names for machines: the HTTP
// API's problem types and the metrics' labels are these, so one rule
// decides what a refusal is called.
const (
	ReasonBadAddress     = "bad-address"
	ReasonConsumer       = "consumer-domain"
	ReasonUnknownService = "unknown-service"
	ReasonAdHocOff       = "adhoc-subscriptions-off"
	ReasonEmailVerOff    = "email-verified-users-off"
	ReasonCode           = "code-rejected"
	ReasonLocked         = "locked"
	ReasonTakeover       = "takeover-in-progress"
	ReasonTooMany        = "rate-limited"
	ReasonRefused        = "refused"
	ReasonFailure        = "failure" // not a rule: a disk, a relay
)

// SignupReason names why a sign-up step failed ("" for none). At the
// start a rejected code means the address is locked: too many wrong
// codes until the last one expires.
func SignupReason(err error, atStart bool) string {
	var blocked *model.SignupBlockedError
	var paused *model.PausedError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &blocked):
		if blocked.Outcome == model.BlockedEmailVerified {
			return ReasonEmailVerOff
		}
		return ReasonAdHocOff
	case errors.As(err, &paused):
		return ReasonLocked
	case errors.Is(err, model.ErrConsumerDomain):
		return ReasonConsumer
	case errors.Is(err, model.ErrUnknownService):
		return ReasonUnknownService
	case errors.Is(err, model.ErrTakeoverRunning):
		return ReasonTakeover
	case errors.Is(err, model.ErrCodeRejected) && atStart:
		return ReasonLocked
	case errors.Is(err, model.ErrCodeRejected):
		return ReasonCode
	case errors.Is(err, model.ErrInvalid), errors.Is(err, model.ErrSpecialUse), errors.Is(err, model.ErrPublicSuffix):
		return ReasonBadAddress
	case model.IsRefusal(err):
		return ReasonRefused
	}
	return ReasonFailure
}
