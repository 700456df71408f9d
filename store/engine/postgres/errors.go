package postgres

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"selfserve/store/engine"
)

// lostError is a transaction that never reached COMMIT because the
// connection failed, or whose COMMIT was never sent: nothing of it was
// saved, so it may run again on another connection.
type lostError struct {
	where string
	err   error
}

func (e *lostError) Error() string {
	return fmt.Sprintf("postgres %s: the connection failed before COMMIT, nothing was saved: %v", e.where, e.err)
}

func (e *lostError) Unwrap() []error { return []error{engine.ErrUnreachable, e.err} }

// conflictCodes are the SQLSTATEs of a transaction that lost a race and
// was rolled back: serialization failure, deadlock, and a unique key
// inserted by a concurrent transaction.
var conflictCodes = map[string]bool{"40001": true, "40P01": true, "23505": true}

// goneCodes are the SQLSTATEs of a server that ended the session or can
// take no writes (a standby, after a failover): the transaction did not
// commit, and another connection may reach the new primary.
var goneCodes = map[string]bool{"57P01": true, "57P02": true, "57P03": true, "25006": true}

// stage is how far a failed round trip went towards COMMIT.
type stage int

const (
	// beforeCommit: COMMIT was not sent; nothing was saved.
	beforeCommit stage = iota
	// commitSent: COMMIT followed the statement that failed.
	commitSent
	// atCommit: the failure is COMMIT's own answer.
	atCommit
)

// classify turns an error of the server or the connection into the
// engine's errors.
func (e *Engine) classify(err error, readOnly bool, st stage) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		if st != beforeCommit && !pgconn.SafeToRetry(err) {
			return e.unknown(err)
		}
		return &lostError{where: e.where, err: err}
	}
	gone := goneCodes[pe.Code] || strings.HasPrefix(pe.Code, "08")
	severity := pe.SeverityUnlocalized // "" from servers before 9.6
	if severity == "" {
		severity = pe.Severity
	}
	// A session that ends while committing may have committed: one ended
	// while its COMMIT waits for a synchronous standby has, locally (and
	// its client sees only the connection close). Any other error the
	// server reports means the transaction did not commit.
	if st == atCommit && (gone || severity == "FATAL" || severity == "PANIC") {
		return e.unknown(err)
	}
	switch {
	case conflictCodes[pe.Code]:
		return fmt.Errorf("%w: %s (SQLSTATE %s)", engine.ErrConflict, pe.Message, pe.Code)
	case gone:
		return &lostError{where: e.where, err: pe}
	case pe.Code == "53100":
		return fmt.Errorf("%w: postgres %s: %s", engine.ErrDiskFull, e.where, pe.Message)
	case pe.Code == "XX001" || pe.Code == "XX002":
		return fmt.Errorf("%w: postgres %s: %s", engine.ErrDamaged, e.where, pe.Message)
	case readOnly:
		return fmt.Errorf("postgres %s: %s (SQLSTATE %s)", e.where, pe.Message, pe.Code)
	}
	return fmt.Errorf("%w: postgres %s: %s (SQLSTATE %s)", engine.ErrNotSaved, e.where, pe.Message, pe.Code)
}

// unknown is a COMMIT whose answer was lost: it is not run again, since
// it may have been saved.
func (e *Engine) unknown(err error) error {
	return fmt.Errorf("%w: postgres %s: the connection ended during COMMIT, so whether the transaction was saved is unknown: %v",
		engine.ErrUnreachable, e.where, err)
}

// standby says err came from a server that takes no writes, so the
// connection is dropped rather than given back to the pool.
func standby(err error) bool {
	return sqlState(err) == "25006"
}
