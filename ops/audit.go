package ops

import (
	"encoding/json"

	"selfserve/dnscheck"
	"selfserve/model"
)

// CheckOf reads back the DNS check an audit entry records (a check or a
// re-check), with what each server answered; ok is false for any other
// entry. The store keeps entries as JSON, so the check comes back as a
// map and is decoded again into the checker's result.
func CheckOf(e model.AuditEntry) (r dnscheck.Result, ok bool) {
	rec := e.After
	switch {
	case e.Action == model.ActionCheck:
	case model.IsRecheck(e.Action):
		m, _ := e.After.(map[string]any)
		rec = m["check"]
	default:
		return r, false
	}
	b, err := json.Marshal(rec)
	if err != nil || json.Unmarshal(b, &r) != nil || r.Domain == "" {
		return dnscheck.Result{}, false
	}
	return r, true
}
