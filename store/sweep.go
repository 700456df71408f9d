package store

import (
	"errors"
	"time"

	"selfserve/model"
	"selfserve/store/engine"
)

// ChallengeKeep is how long an expired challenge is kept: verifying it
// in that time says "expired, issue a new one" rather than "none issued".
const ChallengeKeep = 7 * 24 * time.Hour

// Swept counts what Sweep removed.
type Swept struct {
	Directories int `json:"directories"`
	Codes       int `json:"codes"`
	Challenges  int `json:"challenges"`
}

// sweepBatch bounds one sweeping transaction.
const sweepBatch = 1000

// Sweep removes what has outlived its use, as a long-running server must
// (a one-off command gets the same on every open): retired directories
// past their retention, code records whose code expired and whose
// request window closed (so the per-address limits still count), and
// challenges ChallengeKeep past their expiry.
func (s *Store) Sweep() (Swept, error) {
	var sw Swept
	var err error
	if sw.Directories, err = s.purgeRetired(); err != nil {
		return sw, err
	}
	now := s.Now()
	if sw.Codes, err = s.sweep(pCode, func(k, v []byte) (bool, error) {
		var r model.CodeRecord
		if err := decode(k, v, &r); err != nil {
			return false, err
		}
		return r.Expired(now) && !now.Before(r.WindowStart.Add(model.CodeRequestWindow)), nil
	}); err != nil {
		return sw, err
	}
	sw.Challenges, err = s.sweep(pChallenge, func(k, v []byte) (bool, error) {
		var c model.Challenge
		if err := decode(k, v, &c); err != nil {
			return false, err
		}
		return now.After(c.ExpiresAt.Add(ChallengeKeep)), nil
	})
	return sw, err
}

// sweep deletes the records under prefix that done says are done with,
// a bounded batch per transaction; each is judged again inside the
// deleting transaction, since a new code may replace an old record.
func (s *Store) sweep(prefix string, done func(k, v []byte) (bool, error)) (int, error) {
	n := 0
	var from []byte
	for {
		var batch [][]byte
		err := s.view(func(txn engine.Txn) error {
			return scan(txn, []byte(prefix), from, func(k, v []byte) (bool, error) {
				ok, err := done(k, v)
				if ok {
					batch = append(batch, k)
				}
				from = append(k, 0)
				return err == nil && len(batch) < sweepBatch, err
			})
		})
		if err != nil || len(batch) == 0 {
			return n, err
		}
		err = s.update(func(txn engine.Txn) error {
			for _, k := range batch {
				v, err := txn.Get(k)
				if errors.Is(err, engine.ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				still, err := done(k, v)
				if err != nil {
					return err
				}
				if still {
					if err := txn.Delete(k); err != nil {
						return err
					}
					n++
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
	}
}
