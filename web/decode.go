package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxBody is the most a request body may hold: an address, a service
// and a code fit in a few hundred bytes.
const maxBody = 4 << 10

// errTooLarge is a body over maxBody.
var errTooLarge = errors.New("request body too large")

// decode reads exactly one JSON object of v's type from r's body,
// refusing unknown fields (a misspelt "emial" would otherwise be
// ignored and the address read as empty), trailing data and bodies over
// maxBody.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("the body must be application/json, not %q", ct)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return errTooLarge
		}
		return fmt.Errorf("the body is not the JSON object this endpoint takes: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return errTooLarge
		}
		return errors.New("the body holds more than one JSON value")
	}
	return nil
}

// decodeOrRefuse decodes, or answers the problem and reports false.
func decodeOrRefuse(w http.ResponseWriter, r *http.Request, v any) bool {
	err := decode(w, r, v)
	switch {
	case err == nil:
		return true
	case errors.Is(err, errTooLarge):
		writeProblem(w, kindTooLarge, fmt.Sprintf("at most %d bytes", maxBody))
	default:
		writeProblem(w, kindBadRequest, err.Error())
	}
	return false
}

// writeJSON answers status with v.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
