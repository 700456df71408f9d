package store

import (
	"fmt"
	"time"

	"selfserve/model"
	"selfserve/store/engine"
)

// Leases let several servers on one database share work that must run
// once: a takeover job, the mail courier, the scheduled re-checks and
// sweeps (issue 13 point 3). A lease is a record naming its holder, until
// when, and a fence that grows when it changes hands; taking and renewing
// it is one serializable transaction, so two servers never both hold it.
// A Badger store is the only process on its database, so it holds every
// lease without writing one.

// errLeaseLost says another store took the lease over: a holder that
// stalled past Until stops at its next write instead of racing the new
// one, which goes on with the work. (A refusal, so the front ends say
// what it means rather than "saving failed".)
var errLeaseLost = model.Reason(model.ErrTakeoverRunning, "lease lost")

// exclusive says no other process can use the database.
func (s *Store) exclusive() bool { return !IsURL(s.db) }

// TakeLease makes this store the holder of the lease name for at least
// ttl/2 from now, renewing it when it already holds it; held is false
// while another store holds it. A holder renews for ttl once half of it
// has passed: the courier asks at every pass, twice a mail, and each
// write would cost a durable commit and wake every server's watchers.
func (s *Store) TakeLease(name string, ttl time.Duration) (held bool, err error) {
	if s.exclusive() {
		return true, nil
	}
	err = s.update(func(txn engine.Txn) error {
		var l model.Lease
		if _, err := get(txn, leaseKey(name), &l); err != nil {
			return err
		}
		now := s.Now()
		if l.Owner == s.owner && l.Until.After(now.Add(ttl/2)) {
			held = true
			return nil
		}
		held = claim(&l, s.owner, now, ttl)
		if !held {
			return nil
		}
		return put(txn, leaseKey(name), l)
	})
	return held, err
}

// DropLease gives the lease up, if this store holds it, so another can
// take it at once (a server shutting down). The record stays, holding no
// one, so that the fence goes on growing: deleted, it would start again
// at 1, and a stale holder's fence could match a later holder's.
func (s *Store) DropLease(name string) error {
	if s.exclusive() {
		return nil
	}
	return s.update(func(txn engine.Txn) error {
		var l model.Lease
		if _, err := get(txn, leaseKey(name), &l); err != nil || l.Owner != s.owner {
			return err
		}
		l.Owner, l.Until = "", time.Time{}
		return put(txn, leaseKey(name), l)
	})
}

// claim takes or renews l for owner when it is free, run out or already
// owner's, and reports whether owner holds it.
func claim(l *model.Lease, owner string, now time.Time, ttl time.Duration) bool {
	switch {
	case l.Owner == owner:
	case l.Owner == "" || now.After(l.Until):
		l.Owner = owner
		l.Fence++
	default:
		return false
	}
	l.Until = now.Add(ttl).UTC()
	return true
}

// holds checks, in a transaction that is about to write work under the
// lease, that owner still holds it with the fence it took it with.
func holds(l model.Lease, owner string, fence uint64) error {
	if l.Owner != owner || l.Fence != fence {
		return fmt.Errorf("%w: another server runs it now (fence %d, ours %d)", errLeaseLost, l.Fence, fence)
	}
	return nil
}
