package postgres

import (
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"selfserve/store/engine"
)

var errNoLimit = errors.New("a scan needs a positive Range.Limit")

// Scan reads the whole page before calling fn, so fn may use the
// transaction (the connection is free again) and a page never holds the
// connection while fn works. Pending writes inside the range go to the
// server first, in the same round trip, for the scan to see them.
func (t *txn) Scan(r engine.Range, fn func(k, v []byte) (more bool, err error)) error {
	if t.err != nil {
		return t.err
	}
	if r.Limit <= 0 {
		return errNoLimit
	}
	b := t.batch()
	if t.pendingIn(r) {
		t.queueWrites(b)
	}
	// One buffer holds the page; ends has the end of each key and value.
	var page []byte
	var ends []int
	sql, args := scanQuery(r)
	b.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var k, v pgtype.DriverBytes
			if err := rows.Scan(&k, &v); err != nil {
				return err
			}
			page = append(page, k...)
			ends = append(ends, len(page))
			page = append(page, v...)
			ends = append(ends, len(page))
		}
		return rows.Err()
	})
	if err := t.send(b, nil); err != nil {
		return err
	}
	for i, start := 0, 0; i < len(ends); i, start = i+2, ends[i+1] {
		kEnd, vEnd := ends[i], ends[i+1]
		more, err := fn(page[start:kEnd:kEnd], page[kEnd:vEnd:vEnd])
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// scanQuery is the SELECT of r. The limit is part of the text, not a
// parameter, so that PostgreSQL plans a walk of the key's index for any
// size of table: with LIMIT $n a cached generic plan cannot know it is
// small.
func scanQuery(r engine.Range) (string, []any) {
	sql := `SELECT k, v FROM kv WHERE k >= $1`
	args := []any{nonNil(r.Start)}
	if r.End != nil {
		sql += ` AND k < $2`
		args = append(args, r.End)
	}
	sql += ` ORDER BY k`
	if r.Reverse {
		sql += ` DESC`
	}
	return sql + ` LIMIT ` + strconv.Itoa(r.Limit), args
}

// pendingIn says a pending write falls in r.
func (t *txn) pendingIn(r engine.Range) bool {
	for k := range t.pending {
		if k >= string(r.Start) && (r.End == nil || k < string(r.End)) {
			return true
		}
	}
	return false
}
