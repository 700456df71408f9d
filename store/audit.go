package store

import (
	"fmt"
	"io"
	"slices"
	"time"

	"selfserve/model"
	"selfserve/store/engine"
)

// audit appends an entry in the same transaction as the change it
// describes, so the log never misses a change nor records one that did
// not happen.
func (s *Store) audit(txn engine.Txn, actor, action, target string, before, after any) error {
	return s.auditAs(txn, actor, "", action, target, before, after)
}

// auditAs is audit for a change actor made under as's name ("" for their
// own): the operator running a takeover for an admin (issue 11 point 6).
func (s *Store) auditAs(txn engine.Txn, actor, as, action, target string, before, after any) error {
	tail := make([]byte, 8)
	if _, err := io.ReadFull(s.rand, tail); err != nil {
		return err
	}
	e := model.AuditEntry{Time: s.Now().UTC(), Actor: actor, As: as, Action: action, Target: target, Before: before, After: after}
	return put(txn, timeKey(pAudit, e.Time.UnixNano(), tail), e)
}

// Audit returns entries at or after since, oldest first, at most limit
// (0: all).
func (s *Store) Audit(since time.Time, limit int) ([]model.AuditEntry, error) {
	out := []model.AuditEntry{}
	err := s.view(func(txn engine.Txn) error {
		var from []byte
		if !since.IsZero() {
			from = timeKey(pAudit, since.UnixNano(), nil)
		}
		return scan(txn, []byte(pAudit), from, func(k, v []byte) (bool, error) {
			var e model.AuditEntry
			if err := decode(k, v, &e); err != nil {
				return false, err
			}
			out = append(out, e)
			return limit == 0 || len(out) < limit, nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}

// auditScanLimit bounds how far back a filtered tail looks, so an admin
// with little history does not make the console read a log of millions.
const auditScanLimit = 200_000

// AuditTail returns the newest n entries that keep accepts (nil: all),
// oldest first.
func (s *Store) AuditTail(n int, keep func(model.AuditEntry) bool) ([]model.AuditEntry, error) {
	out := []model.AuditEntry{}
	err := s.view(func(txn engine.Txn) error {
		seen := 0
		return scanBack(txn, []byte(pAudit), nil, func(k, v []byte) (bool, error) {
			seen++
			var e model.AuditEntry
			if err := decode(k, v, &e); err != nil {
				return false, err
			}
			if keep == nil || keep(e) {
				out = append(out, e)
			}
			return len(out) < n && (keep == nil || seen < auditScanLimit), nil
		})
	})
	slices.Reverse(out)
	return out, err
}

// Outbox lists the mail, oldest first: kept, queued, sent and failed.
func (s *Store) Outbox() ([]model.Message, error) {
	out := []model.Message{}
	err := s.view(func(txn engine.Txn) error {
		return scan(txn, []byte(pOutbox), nil, func(k, v []byte) (bool, error) {
			var m model.Message
			if err := decode(k, v, &m); err != nil {
				return false, err
			}
			m.ID = messageID(k)
			out = append(out, m)
			return true, nil
		})
	})
	return out, err
}
