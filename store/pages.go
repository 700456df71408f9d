package store

import (
	"bytes"
	"context"
	"slices"

	"selfserve/model"
	"selfserve/store/engine"
)

// Pages for the console: every read here is one seek plus at most limit
// records, so a screen over a directory of a million users costs the same
// as one over ten.

// DomainsFrom returns up to limit domain records whose name sorts at or
// after from, in name order. Callers that want a prefix match check the
// first record with strings.HasPrefix: the seek lands on the first domain
// that could start with it.
func (s *Store) DomainsFrom(from string, limit int) ([]model.DomainRecord, error) {
	out := []model.DomainRecord{}
	if limit <= 0 {
		return out, nil
	}
	err := s.view(func(txn engine.Txn) error {
		return scan(txn, []byte(pDomain), domainKey(from), func(k, v []byte) (bool, error) {
			var r model.DomainRecord
			if err := decode(k, v, &r); err != nil {
				return false, err
			}
			out = append(out, r)
			return len(out) < limit, nil
		})
	})
	return out, err
}

// UsersFrom returns up to limit users of a directory whose address key
// sorts at or after fromKey ("" is the first user), in address order: the
// landing page of a prefix jump, or (with fromKey = a key + "\x00") the
// page after a key.
func (s *Store) UsersFrom(ref, fromKey string, limit int) ([]model.User, error) {
	return s.usersPage(ref, fromKey, limit, false)
}

// UsersBefore returns up to limit users of a directory whose address key
// sorts strictly before beforeKey ("" means from the very end), in address
// order: the page above the first row on screen, or the last page.
func (s *Store) UsersBefore(ref, beforeKey string, limit int) ([]model.User, error) {
	return s.usersPage(ref, beforeKey, limit, true)
}

// UserRank counts a directory's users whose address key sorts before
// key: where a prefix jump landed, for the console's "user 3 of 41". It
// reads keys only, but every one before key, so callers run it in the
// background.
//
// A count walks every key before key (a million on the largest
// directory): it stops early, with ctx's error, once ctx ends.
func (s *Store) UserRank(ctx context.Context, ref, key string) (int64, error) {
	var n int64
	err := s.view(func(txn engine.Txn) error {
		d, err := resolve(txn, ref)
		if err != nil {
			return err
		}
		prefix := userPrefix(d.ID)
		return scan(txn, prefix, nil, func(k, _ []byte) (bool, error) {
			if bytes.Compare(k, userKey(d.ID, key)) >= 0 {
				return false, nil
			}
			n++
			if n%4096 == 0 && ctx.Err() != nil {
				return false, ctx.Err()
			}
			return true, nil
		})
	})
	return n, err

}

// usersPage is one bounded read of at most limit users: a console page
// is ~40 users, and reading ahead more than that costs a keystroke time
// for rows nobody asked for.
func (s *Store) usersPage(ref, at string, limit int, reverse bool) ([]model.User, error) {
	out := []model.User{}
	if limit <= 0 {
		return out, nil
	}
	err := s.view(func(txn engine.Txn) error {
		d, err := resolve(txn, ref)
		if err != nil {
			return err
		}
		prefix := userPrefix(d.ID)
		r := engine.Range{Start: userKey(d.ID, at), End: engine.PrefixEnd(prefix), Reverse: reverse, Limit: limit}
		if reverse {
			r.Start = prefix
			if at != "" {
				r.End = userKey(d.ID, at)
			}
		}
		return txn.Scan(r, func(k, v []byte) (bool, error) {
			var u model.User
			if err := decode(k, v, &u); err != nil {
				return false, err
			}
			out = append(out, u)
			return true, nil
		})
	})
	if reverse {
		slices.Reverse(out)
	}
	return out, err
}
