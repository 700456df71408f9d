package store

import (
	"fmt"
	"time"

	"selfserve/model"
	"selfserve/store/engine"
)

// DueRechecks lists verified domains whose proof record was last seen
// before cutoff (all verified domains with a record when cutoff is zero).
// Domains proven by a parent are covered by the parent's re-check.
func (s *Store) DueRechecks(cutoff time.Time) ([]model.DomainRecord, error) {
	out := []model.DomainRecord{}
	err := s.view(func(txn engine.Txn) error {
		return scan(txn, []byte(pDomain), nil, func(k, v []byte) (bool, error) {
			var r model.DomainRecord
			if err := decode(k, v, &r); err != nil {
				return false, err
			}
			if r.Verified && r.Record != nil && (cutoff.IsZero() || r.CheckedAt.Before(cutoff)) {
				out = append(out, r)
			}
			return true, nil
		})
	})
	return out, err
}

// Verdict is what a re-check learnt about a proof record.
type Verdict int

const (
	Present Verdict = iota // the record is there
	Gone                   // the servers answered without it
	Unknown                // no usable answer (timeout, DNS error): try later
)

// RecordRecheck stores a re-check's verdict. A record that is gone flags
// the domain and says so in the audit log; it never un-verifies it, since a
// DNS hiccup must not hand the directory to the next claimant. An unknown
// verdict is only logged: the domain stays due for the next run.
func (s *Store) RecordRecheck(domain string, v Verdict, why string, result any) (model.DomainRecord, error) {
	var r model.DomainRecord
	err := s.update(func(txn engine.Txn) error {
		rec, err := domainRecord(txn, domain)
		if err != nil {
			return err
		}
		if rec == nil || !rec.Verified {
			return fmt.Errorf("%w: %s is not a verified domain", model.ErrNotFound, domain)
		}
		before := *rec
		r = *rec
		now := s.Now().UTC()
		action := model.ActionRecheck
		if v != Unknown {
			r.CheckedAt = now
		}
		switch {
		case v == Unknown:
			action = model.ActionRecheckFailed
		case v == Gone && !r.Flagged:
			r.Flagged, r.FlaggedAt, r.FlagReason = true, now, why
			action = model.ActionFlagged
		case v == Gone:
			r.FlagReason = why
		case r.Flagged:
			r.Flagged, r.FlaggedAt, r.FlagReason = false, time.Time{}, ""
			action = model.ActionUnflagged
		}
		if err := put(txn, domainKey(domain), r); err != nil {
			return err
		}
		return s.audit(txn, model.Operator, action, domain, before, map[string]any{"domain": r, "check": result})
	})
	return r, err
}

// Check rate limits (PRODUCT.md §3, going beyond the seed): DNS checks cost
// the domain owner's servers and an admin's retries should back off.
const (
	MaxChecksPerDomain = 20
	DomainCheckWindow  = 10 * time.Minute
	MaxChecksPerAdmin  = 60
	AdminCheckWindow   = time.Hour
)

type window struct {
	Count int       `json:"count"`
	Start time.Time `json:"start"`
}

// CountCheck admits one DNS check for domain by admin, or refuses it
// (ErrTooManyChecks) saying when the next is allowed.
func (s *Store) CountCheck(domain, admin string) error {
	return s.update(func(txn engine.Txn) error {
		now := s.Now()
		for _, lim := range []struct {
			key, what string
			max       int
			span      time.Duration
		}{
			// Keyed on the admin too, so nobody can spend another
			// admin's checks of the same domain.
			{pRateLimit + "d/" + domain + sep + admin, domain, MaxChecksPerDomain, DomainCheckWindow},
			{pRateLimit + "a/" + admin, admin, MaxChecksPerAdmin, AdminCheckWindow},
		} {
			var w window
			if _, err := get(txn, []byte(lim.key), &w); err != nil {
				return err
			}
			if !now.Before(w.Start.Add(lim.span)) {
				w = window{Start: now}
			}
			if w.Count >= lim.max {
				return fmt.Errorf("%w: %d DNS checks for %s within %s; the next is allowed at %s",
					model.ErrTooManyChecks, w.Count, lim.what, lim.span, w.Start.Add(lim.span).UTC().Format(time.RFC3339))
			}
			w.Count++
			if err := put(txn, []byte(lim.key), w); err != nil {
				return err
			}
		}
		return nil
	})
}
