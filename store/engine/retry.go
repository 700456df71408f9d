package engine

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"selfserve/model"
)

// Retry runs attempt until it ends in anything but ErrConflict, waiting
// between runs a random time up to a bound that doubles with each
// conflict ("full jitter"): retrying at once makes the transactions that
// just collided collide again, and under 64 concurrent sign-ups into one
// directory some used to give up after 50 immediate retries (issue 10
// point 10). Conflicts for longer than retryFor end in model.ErrTryAgain.
// retries, when not nil, counts the runs after the first.
func Retry(retries *atomic.Uint64, attempt func() error) error {
	deadline := time.Now().Add(retryFor)
	for bound := retryFirst; ; bound = min(2*bound, retryMax) {
		err := attempt()
		if !errors.Is(err, ErrConflict) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: the database was too busy to save this; nothing was changed", model.ErrTryAgain)
		}
		if retries != nil {
			retries.Add(1)
		}
		time.Sleep(rand.N(bound))
	}
}

// The back-off of Retry: the first bound is about one synced commit, the
// largest keeps one wait short next to what a person notices.
const (
	retryFirst = time.Millisecond
	retryMax   = 100 * time.Millisecond
	retryFor   = 10 * time.Second
)

// Stats are an engine's counters for /metrics.
type Stats struct {
	// Retries counts transactions run again after a conflict.
	Retries uint64
	// Pool is the connection pool of an engine across a network.
	Pool *PoolStats
}

// PoolStats describe a connection pool.
type PoolStats struct {
	Total, Idle, InUse, Max int32
	// Waits counts acquisitions that waited for a connection.
	Waits int64
	// WaitSeconds is the time spent waiting.
	WaitSeconds float64
}

// Statser is an Engine with counters.
type Statser interface{ Stats() Stats }
