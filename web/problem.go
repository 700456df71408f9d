package web

import (
	"encoding/json"
	"net/http"

	"selfserve/ops"
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
	kindBadAddress     = kind{ops.ReasonBadAddress, http.StatusUnprocessableEntity, "The address cannot sign up"}
	kindConsumer       = kind{ops.ReasonConsumer, http.StatusUnprocessableEntity, "Addresses of public mail services cannot sign up"}
	kindUnknownService = kind{ops.ReasonUnknownService, http.StatusUnprocessableEntity, "No such service"}
	kindAdHocOff       = kind{ops.ReasonAdHocOff, http.StatusForbidden, "The directory does not allow self-service sign-up"}
	kindEmailVerOff    = kind{ops.ReasonEmailVerOff, http.StatusForbidden, "The directory does not allow new members"}
	kindCode           = kind{ops.ReasonCode, http.StatusUnprocessableEntity, "The code was not accepted"}
	kindLocked         = kind{ops.ReasonLocked, http.StatusTooManyRequests, "Too many wrong codes; wait before trying again"}
	kindTakeover       = kind{ops.ReasonTakeover, http.StatusServiceUnavailable, "The directory is being taken over; try again shortly"}
	kindRateLimited    = kind{ops.ReasonTooMany, http.StatusTooManyRequests, "Too many requests"}
	kindTooLarge       = kind{"too-large", http.StatusRequestEntityTooLarge, "The request body is too large"}
	kindRefused        = kind{ops.ReasonRefused, http.StatusUnprocessableEntity, "The request was refused"}
	kindNotFound       = kind{"not-found", http.StatusNotFound, "No such page"}
	kindUnavailable    = kind{"unavailable", http.StatusServiceUnavailable, "The service cannot take the request now"}
)

// kinds lists every refusal, for the problem pages and the OpenAPI test.
var kinds = []kind{kindBadRequest, kindBadAddress, kindConsumer, kindUnknownService, kindAdHocOff,
	kindEmailVerOff, kindCode, kindLocked, kindTakeover, kindRateLimited, kindTooLarge, kindRefused, kindNotFound, kindUnavailable}

// classify is the problem for a sign-up step's error.
func classify(err error, atStart bool) kind {
	switch ops.SignupReason(err, atStart) {
	case ops.ReasonBadAddress:
		return kindBadAddress
	case ops.ReasonConsumer:
		return kindConsumer
	case ops.ReasonUnknownService:
		return kindUnknownService
	case ops.ReasonAdHocOff:
		return kindAdHocOff
	case ops.ReasonEmailVerOff:
		return kindEmailVerOff
	case ops.ReasonCode:
		return kindCode
	case ops.ReasonLocked:
		return kindLocked
	case ops.ReasonTakeover:
		return kindTakeover
	case ops.ReasonRefused:
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
