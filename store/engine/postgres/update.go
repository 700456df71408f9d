package postgres

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"selfserve/store/engine"
)

// Update runs fn in a SERIALIZABLE transaction, run again on conflict
// (engine.Retry) and on a connection lost before COMMIT (retry).
func (e *Engine) Update(fn func(txn engine.Txn) error) error {
	return e.retry(func() error { return e.attempt(fn, false) })
}

// View runs fn in a REPEATABLE READ READ ONLY transaction: one snapshot,
// which PostgreSQL never fails for serialization.
func (e *Engine) View(fn func(txn engine.Txn) error) error {
	return e.retry(func() error { return e.attempt(fn, true) })
}

const (
	// reconnectFor is how long work that reached no server keeps trying:
	// about what pg_auto_failover takes to promote a standby.
	reconnectFor = 30 * time.Second
	// attemptTimeout ends a transaction whose server stopped answering
	// without closing the connection (a network partition), which TCP
	// would notice only after minutes.
	attemptTimeout = 30 * time.Second
)

// retry runs attempt through engine.Retry, and again after a lostError
// (nothing was saved) with a back-off capped at a second, until
// reconnectFor has passed since the first loss. Both count in Retries.
func (e *Engine) retry(attempt func() error) error {
	var lostAt time.Time
	for bound := 10 * time.Millisecond; ; bound = min(2*bound, time.Second) {
		err := engine.Retry(&e.retries, attempt)
		var lost *lostError
		if !errors.As(err, &lost) {
			return err
		}
		if lostAt.IsZero() {
			lostAt = time.Now()
		} else if time.Since(lostAt) > reconnectFor {
			return err
		}
		e.retries.Add(1)
		time.Sleep(rand.N(bound))
	}
}

// attempt runs fn once. A failure of the server or the connection
// decides the outcome even when fn went on or made it its own error:
// the transaction is over either way.
func (e *Engine) attempt(fn func(engine.Txn) error, readOnly bool) error {
	if e.closed.Load() {
		return errClosed
	}
	ctx, cancel := context.WithTimeout(context.Background(), attemptTimeout)
	defer cancel()
	t := &txn{e: e, ctx: ctx, readOnly: readOnly}
	defer t.release()
	err := fn(t)
	switch {
	case t.err != nil:
		return t.err
	case err != nil:
		return err
	}
	return t.commit()
}
