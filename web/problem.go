package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"selfserve/model"
)

// A problem is an RFC 9457 problem document. Type is stable per refusal,
// so a client tells refusals apart by it, never by Detail, which is for
// people and may change.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// problemBase prefixes every type; each resolves to a page of this
// server describing the refusal.
const problemBase = "/v1/problems/"

// A kind is one refusal the API reports: its type name, HTTP status and
// a title that does not change between occurrences (RFC 9457 §3.1.4).
type kind struct {
	name   string
	status int
	title  string
}

var (
	kindBadRequest     = kind{"bad-request", http.StatusBadRequest, "The request body is not what this endpoint takes"}
	kindBadAddress     = kind{"bad-address", http.StatusUnprocessableEntity, "The address cannot sign up"}
	kindConsumer       = kind{"consumer-domain", http.StatusUnprocessableEntity, "Addresses of public mail services cannot sign up"}
	kindUnknownService = kind{"unknown-service", http.StatusUnprocessableEntity, "No such service"}
	kindAdHocOff       = kind{"adhoc-subscriptions-off", http.StatusForbidden, "The directory does not allow self-service sign-up"}
	kindEmailVerOff    = kind{"email-verified-users-off", http.StatusForbidden, "The directory does not allow new members"}
	kindCode           = kind{"code-rejected", http.StatusUnprocessableEntity, "The code was not accepted"}
	kindLocked         = kind{"locked", http.StatusTooManyRequests, "Too many wrong codes; wait before trying again"}
	kindTakeover       = kind{"takeover-in-progress", http.StatusServiceUnavailable, "The directory is being taken over; try again shortly"}
	kindRateLimited    = kind{"rate-limited", http.StatusTooManyRequests, "Too many requests"}
	kindTooLarge       = kind{"too-large", http.StatusRequestEntityTooLarge, "The request body is too large"}
	kindRefused        = kind{"refused", http.StatusUnprocessableEntity, "The request was refused"}
	kindNotFound       = kind{"not-found", http.StatusNotFound, "No such page"}
	kindUnavailable    = kind{"unavailable", http.StatusServiceUnavailable, "The service cannot take the request now"}
)

// kinds lists every refusal, for the problem pages and the OpenAPI test.
var kinds = []kind{kindBadRequest, kindBadAddress, kindConsumer, kindUnknownService, kindAdHocOff,
	kindEmailVerOff, kindCode, kindLocked, kindTakeover, kindRateLimited, kindTooLarge, kindRefused, kindNotFound, kindUnavailable}

// classify names the refusal err is. Anything that is not a rule saying
// no (a disk, a relay) is unavailable: its detail stays in the log.
func classify(err error) kind {
	var blocked *model.SignupBlockedError
	var paused *model.PausedError
	switch {
	case errors.As(err, &blocked):
		if blocked.Outcome == model.BlockedEmailVerified {
			return kindEmailVerOff
		}
		return kindAdHocOff
	case errors.As(err, &paused):
		return kindLocked
	case errors.Is(err, model.ErrConsumerDomain):
		return kindConsumer
	case errors.Is(err, model.ErrUnknownService):
		return kindUnknownService
	case errors.Is(err, model.ErrTakeoverRunning):
		return kindTakeover
	case errors.Is(err, model.ErrCodeRejected):
		return kindCode
	case errors.Is(err, model.ErrInvalid), errors.Is(err, model.ErrSpecialUse), errors.Is(err, model.ErrPublicSuffix):
		return kindBadAddress
	case model.IsRefusal(err):
		return kindRefused
	}
	return kindUnavailable
}

// writeProblem answers with k; detail is shown only for refusals, whose
// messages are facts for the person asking.
func writeProblem(w http.ResponseWriter, k kind, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(k.status)
	json.NewEncoder(w).Encode(problem{Type: problemBase + k.name, Title: k.title, Status: k.status, Detail: detail})
}
