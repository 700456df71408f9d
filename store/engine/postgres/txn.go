package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"selfserve/store/engine"
)

// txn is one attempt of an Update or a View. Reads go to the server at
// once; writes wait in pending and travel with the COMMIT, or with a scan
// over them, so a sign-up's writes and notice cost one round trip, not
// six. BEGIN travels with the first statement.
type txn struct {
	e        *Engine
	ctx      context.Context
	readOnly bool
	conn     *pgxpool.Conn // acquired by the first statement
	begun    bool
	pending  map[string]write // the last write of each key not yet sent
	notes    []string
	// err is the first failure of the server or the connection: the
	// transaction is over, and every later call returns it.
	err error
}

type write struct {
	v   []byte
	del bool
}

const (
	beginSQL     = `BEGIN ISOLATION LEVEL SERIALIZABLE`
	beginViewSQL = `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`
	getSQL       = `SELECT v FROM kv WHERE k = $1`
	getManySQL   = `SELECT k, v FROM kv WHERE k = ANY($1)`
	// upsertSQL writes many records in one statement; its keys are
	// distinct, which ON CONFLICT DO UPDATE requires.
	upsertSQL   = `INSERT INTO kv (k, v) SELECT * FROM unnest($1::bytea[], $2::bytea[]) ON CONFLICT (k) DO UPDATE SET v = excluded.v`
	deleteSQL   = `DELETE FROM kv WHERE k = ANY($1)`
	notifySQL   = `SELECT pg_notify('` + channel + `', $1)`
	commitSQL   = `COMMIT`
	rollbackSQL = `ROLLBACK`
)

var errReadOnly = errors.New("a View cannot write")

func (t *txn) Get(k []byte) ([]byte, error) {
	if t.err != nil {
		return nil, t.err
	}
	if w, ok := t.pending[string(k)]; ok {
		if w.del {
			return nil, engine.ErrNotFound
		}
		return bytes.Clone(w.v), nil
	}
	var v []byte
	found := false
	b := t.batch()
	b.Queue(getSQL, nonNil(k)).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&v)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		found = err == nil
		return err
	})
	if err := t.send(b, nil); err != nil {
		return nil, err
	}
	if !found {
		return nil, engine.ErrNotFound
	}
	return v, nil
}

func (t *txn) GetMany(keys [][]byte) ([][]byte, error) {
	if t.err != nil {
		return nil, t.err
	}
	out := make([][]byte, len(keys))
	at := map[string][]int{} // where each key asked of the server goes in out
	var ask [][]byte
	for i, k := range keys {
		if w, ok := t.pending[string(k)]; ok {
			if !w.del {
				out[i] = bytes.Clone(w.v)
			}
			continue
		}
		if _, ok := at[string(k)]; !ok {
			ask = append(ask, nonNil(k))
		}
		at[string(k)] = append(at[string(k)], i)
	}
	if len(ask) == 0 {
		return out, nil
	}
	b := t.batch()
	b.Queue(getManySQL, ask).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var k pgtype.DriverBytes
			var v []byte
			if err := rows.Scan(&k, &v); err != nil {
				return err
			}
			for n, i := range at[string(k)] {
				if n > 0 {
					v = bytes.Clone(v) // each slot is the caller's own
				}
				out[i] = v
			}
		}
		return rows.Err()
	})
	if err := t.send(b, nil); err != nil {
		return nil, err
	}
	return out, nil
}

func (t *txn) Set(k, v []byte) error {
	return t.write(k, write{v: append([]byte{}, v...)})
}

func (t *txn) Delete(k []byte) error {
	return t.write(k, write{del: true})
}

func (t *txn) write(k []byte, w write) error {
	if t.readOnly {
		return errReadOnly
	}
	if t.err != nil {
		return t.err
	}
	if t.pending == nil {
		t.pending = map[string]write{}
	}
	t.pending[string(k)] = w
	return nil
}

func (t *txn) Notify(msg string) {
	if !t.readOnly {
		t.notes = append(t.notes, msg)
	}
}

// batch starts the next round trip, with BEGIN when it is the first.
func (t *txn) batch() *pgx.Batch {
	b := &pgx.Batch{}
	if !t.begun {
		if t.readOnly {
			b.Queue(beginViewSQL)
		} else {
			b.Queue(beginSQL)
		}
	}
	return b
}

// queueWrites adds the pending writes to b, in key order so that
// concurrent transactions lock rows in one order and rarely deadlock.
func (t *txn) queueWrites(b *pgx.Batch) {
	if len(t.pending) == 0 {
		return
	}
	var setK, setV, delK [][]byte
	for _, k := range slices.Sorted(maps.Keys(t.pending)) {
		w := t.pending[k]
		if w.del {
			delK = append(delK, nonNil([]byte(k)))
		} else {
			setK, setV = append(setK, nonNil([]byte(k))), append(setV, w.v)
		}
	}
	if len(setK) > 0 {
		b.Queue(upsertSQL, setK, setV)
	}
	if len(delK) > 0 {
		b.Queue(deleteSQL, delK)
	}
	t.pending = nil
}

// send makes the round trip of b. at says how far a failed one went
// towards COMMIT; nil: COMMIT was not in b. A View's COMMIT saves
// nothing, so whatever its fate the View may run again.
func (t *txn) send(b *pgx.Batch, at func() stage) error {
	if t.conn == nil {
		c, err := t.e.pool.Acquire(t.ctx)
		if err != nil {
			t.err = t.e.classify(err, t.readOnly, beforeCommit)
			return t.err
		}
		t.conn = c
	}
	t.begun = true
	if err := t.conn.SendBatch(t.ctx, b).Close(); err != nil {
		if standby(err) {
			t.conn.Conn().Close(t.ctx)
		}
		// pgx prepares the statements a connection has not seen in a
		// round trip of their own before it sends the batch: a failure
		// then leaves COMMIT unsent.
		st := beforeCommit
		if at != nil && !t.readOnly && !errors.As(err, new(pgx.ErrPreprocessingBatch)) {
			st = at()
		}
		t.err = t.e.classify(err, t.readOnly, st)
	}
	return t.err
}

// commit sends the pending writes, the notices and COMMIT in one round
// trip. NOTIFY inside the transaction is what makes a notice go out if,
// and only if, the transaction commits.
func (t *txn) commit() error {
	if !t.begun && len(t.pending) == 0 && len(t.notes) == 0 {
		return nil
	}
	b := t.batch()
	t.queueWrites(b)
	for _, n := range t.notes {
		b.Queue(notifySQL, payload(n))
	}
	// Counting the answers before COMMIT's tells a failure of COMMIT
	// from one of the statements it follows.
	before, answered := len(b.QueuedQueries), 0
	for _, q := range b.QueuedQueries {
		q.Exec(func(pgconn.CommandTag) error {
			answered++
			return nil
		})
	}
	var tag pgconn.CommandTag
	b.Queue(commitSQL).Exec(func(ct pgconn.CommandTag) error {
		tag = ct
		return nil
	})
	at := func() stage {
		if answered == before {
			return atCommit
		}
		return commitSent
	}
	if err := t.send(b, at); err != nil {
		return err
	}
	if tag.String() != commitSQL {
		t.err = fmt.Errorf("%w: postgres %s: COMMIT answered %s", engine.ErrNotSaved, t.e.where, tag)
	}
	return t.err
}

// release rolls back what did not commit and gives the connection back;
// the pool drops a connection that is closed or still in a transaction.
func (t *txn) release() {
	if t.conn == nil {
		return
	}
	if pc := t.conn.Conn().PgConn(); !pc.IsClosed() && pc.TxStatus() != 'I' {
		t.conn.Exec(t.ctx, rollbackSQL)
	}
	t.conn.Release()
}

// nonNil is k, or an empty key: pgx sends a nil slice as NULL.
func nonNil(k []byte) []byte {
	if k == nil {
		return []byte{}
	}
	return k
}
