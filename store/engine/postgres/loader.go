package postgres

import (
	"context"
	"time"

	"selfserve/store/engine"
)

const (
	// loadBatch is the records of one statement of a Loader: large
	// enough that round trips stop mattering, small enough for one
	// statement's memory on both ends.
	loadBatch = 1000
	// loadSQL writes a batch in one statement, whose keys are distinct
	// (ON CONFLICT DO UPDATE cannot touch one row twice).
	loadSQL      = `INSERT INTO kv (k, v) SELECT * FROM unnest($1::bytea[], $2::bytea[]) ON CONFLICT (k) DO UPDATE SET v = excluded.v`
	loadTimeout  = time.Minute
	resetTimeout = 10 * time.Minute
	resetSQL     = `DELETE FROM kv`
)

// NewLoader writes batches of loadBatch (1000) records, each one upsert that
// commits on its own; a batch's keys are distinct, as upsertSQL needs.
func (e *Engine) NewLoader() engine.Loader {
	return &loader{e: e, at: map[string]int{}}
}

type loader struct {
	e          *Engine
	keys, vals [][]byte
	at         map[string]int // index in keys of each key of the batch
	err        error
}

// Set keeps the last value of a key set twice in one batch.
func (l *loader) Set(k, v []byte) error {
	if l.err != nil {
		return l.err
	}
	v = append([]byte{}, v...)
	if i, ok := l.at[string(k)]; ok {
		l.vals[i] = v
		return nil
	}
	l.at[string(k)] = len(l.keys)
	l.keys, l.vals = append(l.keys, append([]byte{}, k...)), append(l.vals, v)
	if len(l.keys) >= loadBatch {
		return l.send()
	}
	return nil
}

func (l *loader) Flush() error {
	if l.err != nil || len(l.keys) == 0 {
		return l.err
	}
	return l.send()
}

func (l *loader) send() error {
	l.err = l.e.exec(loadTimeout, upsertSQL, l.keys, l.vals)
	l.keys, l.vals = l.keys[:0], l.vals[:0]
	clear(l.at)
	return l.err
}

// Reset deletes every record; DELETE rather than TRUNCATE, which would
// wait for every other session's transactions.
func (e *Engine) Reset() error {
	return e.exec(resetTimeout, resetSQL)
}

// exec runs one statement that may run twice with the same effect (an
// upsert, a delete of everything), so it is run again even after a
// connection lost during its commit.
func (e *Engine) exec(timeout time.Duration, sql string, args ...any) error {
	return e.retry(func() error {
		if e.closed.Load() {
			return errClosed
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if _, err := e.pool.Exec(ctx, sql, args...); err != nil {
			return e.classify(err, false, beforeCommit)
		}
		return nil
	})
}
