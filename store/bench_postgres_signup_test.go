package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"selfserve/store/engine"
	"selfserve/store/engine/postgres/pgtest"
)

// Issue 13's sign-up figure: BenchmarkSignup's mix (start + verify, 8
// clients, a third of them new domains) on PostgreSQL, against raw pgx
// transactions making the same reads and writes, both on the durable
// cluster (fsync on, as Badger's SyncWrites) and with 8 connections.
//
// The raw baseline replays real sign-ups: a calibration run records
// every call the store made on its transactions (reads, scans, writes,
// notices; of each, the attempt that committed) for calibrateSignups
// sign-ups of the mix, and raw op n replays the recording of the same
// kind, with the address, domain and directory of sign-up n of the mix
// put in its keys and values, and fresh random ids and audit keys: so a
// replay reads and writes the keys the store's sign-up n did, on a
// database loaded the same way, and contends where it does. Each
// statement goes on its own, as hand-written SQL would send it, in a
// transaction of the same isolation, run again after a conflict with the
// engine's back-off. A read of a record the transaction already wrote is
// not replayed: the store answers it without the server, and
// hand-written SQL would not ask.

// pgBenchURL is a new database on the durable cluster whose pool holds
// conns connections (0: the engine's default).
func pgBenchURL(b *testing.B, conns int) string {
	u := pgtest.DurableURL(b)
	if conns > 0 {
		u += "&pool_max_conns=" + strconv.Itoa(conns)
	}
	return u
}

// BenchmarkSignupPostgres is BenchmarkSignup on PostgreSQL.
func BenchmarkSignupPostgres(b *testing.B) {
	s, err := openSignupStore(pgBenchURL(b, signupClients))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	before := s.Stats().Retries
	b.ResetTimer()
	if err := runClients(signupClients, b.N, func(i int) error { return signupOnce(s, i) }); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(float64(s.Stats().Retries-before)/float64(b.N), "retries/op")
	if err := s.CheckInvariants(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSignupBaselineRawPostgres replays recorded sign-ups through
// pgx on a database loaded as BenchmarkSignupPostgres's is, each
// statement a round trip.
func BenchmarkSignupBaselineRawPostgres(b *testing.B) {
	rawSignups(b, false)
}

// BenchmarkSignupBaselineRawPostgresBatched is the same replay in the
// engine's round trips: BEGIN with the first read, the writes and notices
// with COMMIT. Beside the figure, it tells the store's own cost from what
// the engine saves in round trips.
func BenchmarkSignupBaselineRawPostgresBatched(b *testing.B) {
	rawSignups(b, true)
}

func rawSignups(b *testing.B, batched bool) {
	recs := recordedSignups(b)
	url := pgBenchURL(b, 0)
	s, err := openSignupStore(url)
	if err != nil {
		b.Fatal(err)
	}
	s.Close()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = signupClients
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	trips := 0
	for _, r := range recs {
		trips += r.roundTrips(batched)
	}
	var retries atomic.Uint64
	b.ResetTimer()
	err = runClients(signupClients, b.N, func(i int) error {
		return recs[i%len(recs)].replay(pool, i, batched, &retries)
	})
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(float64(retries.Load())/float64(b.N), "retries/op")
	b.ReportMetric(float64(trips)/float64(len(recs)), "round-trips/op")
}

// recOp is one call a transaction made.
type recOp struct {
	kind byte     // 'g' Get, 'm' GetMany, 's' Scan, 'w' Set, 'd' Delete, 'n' Notify
	keys [][]byte // Get, Set, Delete: one; GetMany: all
	r    engine.Range
	v    []byte // Set's value, Notify's message
}

type recTxn struct {
	view bool
	ops  []recOp
}

// recSignup is one recorded sign-up of the mix: its transactions in
// order, and the id of the directory it made ("" if none).
type recSignup struct {
	n      int
	txns   []recTxn
	newDir string
}

var (
	recOnce sync.Once
	recs    []recSignup
	recErr  error
)

// recordedSignups records, once per process, the first calibrateSignups
// sign-ups of the mix run one at a time on a scratch PostgreSQL store.
func recordedSignups(b *testing.B) []recSignup {
	b.Helper()
	recOnce.Do(func() {
		s, err := openSignupStore(pgBenchURL(b, 0))
		if err != nil {
			recErr = err
			return
		}
		defer s.Close()
		// The code key is made by the first sign-up of a database, once.
		if _, recErr = s.codeKey(); recErr != nil {
			return
		}
		rec := &recordingEngine{Engine: s.eng}
		s.eng = rec
		for i := range calibrateSignups {
			rec.txns = nil
			if recErr = signupOnce(s, i); recErr != nil {
				return
			}
			recs = append(recs, recSignup{n: i, txns: rec.txns, newDir: madeDirectory(rec.txns)})
		}
		var txns, reads, writes int
		for _, r := range recs {
			txns += len(r.txns)
			for _, t := range r.txns {
				for _, op := range t.ops {
					switch {
					case op.read():
						reads++
					case op.kind != 'n':
						writes++
					}
				}
			}
		}
		b.Logf("recorded %d sign-ups: %.1f transactions, %.1f reads, %.1f writes each", len(recs),
			float64(txns)/float64(len(recs)), float64(reads)/float64(len(recs)), float64(writes)/float64(len(recs)))
	})
	if recErr != nil {
		b.Fatal(recErr)
	}
	return recs
}

// calibrateSignups is a multiple of 3, so the replays keep the mix.
const calibrateSignups = 300

// madeDirectory is the id of the directory whose record the sign-up
// wrote without reading it first: the one it made.
func madeDirectory(txns []recTxn) string {
	read := map[string]bool{}
	for _, t := range txns {
		for _, op := range t.ops {
			if len(op.keys) == 0 {
				continue
			}
			k := string(op.keys[0])
			switch {
			case op.kind == 'g':
				read[k] = true
			case op.kind == 'w' && strings.HasPrefix(k, pDirectory) && !read[k]:
				return strings.TrimPrefix(k, pDirectory)
			}
		}
	}
	return ""
}

// mixNames are the strings in sign-up n's keys and values that name its
// address, domain and directory, longest first.
func mixNames(n int) []string {
	k := n / 3
	switch n % 3 {
	case 0:
		return []string{fmt.Sprintf("new%08d.com", k)}
	case 1:
		d := (k * 7919) % signupDirs
		return []string{fmt.Sprintf("joiner%08d@", k), signupDirDomain(d), fmt.Sprintf("dir%05d", d)}
	default:
		u := k % (signupDirs * signupPerDir)
		d := u % signupDirs
		return []string{fmt.Sprintf("user%03d@%s", u/signupDirs, signupDirDomain(d)), signupDirDomain(d), fmt.Sprintf("dir%05d", d)}
	}
}

// renamer turns the recording's keys and values into those of sign-up
// n: one pass, so no replacement is replaced again.
func (r recSignup) renamer(n int) *strings.Replacer {
	from, to := mixNames(r.n), mixNames(n)
	var pairs []string
	for i := range from {
		pairs = append(pairs, from[i], to[i])
	}
	if r.newDir != "" {
		id := make([]byte, len(r.newDir)/2)
		rand.Read(id)
		pairs = append(pairs, r.newDir, hex.EncodeToString(id))
	}
	return strings.NewReplacer(pairs...)
}

// roundTrips is how many round trips a replay makes when it succeeds.
func (r recSignup) roundTrips(batched bool) int {
	n := 0
	for _, t := range r.txns {
		ops := replayed(t)
		if !batched {
			n += 2 + len(ops) // BEGIN, each op, COMMIT
			continue
		}
		n++ // COMMIT, with the writes; BEGIN goes with the first read
		for _, op := range ops {
			if op.read() {
				n++
			}
		}
	}
	return n
}

// replayed is what a replay of t sends: its calls less the reads of keys
// it wrote before.
func replayed(t recTxn) []recOp {
	written := map[string]bool{}
	var out []recOp
	for _, op := range t.ops {
		switch op.kind {
		case 'g':
			if written[string(op.keys[0])] {
				continue
			}
		case 'w', 'd':
			written[string(op.keys[0])] = true
		}
		out = append(out, op)
	}
	return out
}

// replay runs the sign-up as sign-up n of the mix through pool, each
// transaction run again after a conflict with the engine's back-off
// (engine.Retry), counted in retries; batched sends what replayBatched
// sends together.
func (r recSignup) replay(pool *pgxpool.Pool, n int, batched bool, retries *atomic.Uint64) error {
	rn := r.renamer(n)
	name := func(k []byte) []byte {
		if bytes.HasPrefix(k, []byte(pAudit)) {
			// A time and random bytes: the entry's own.
			tail := make([]byte, len(k)-len(pAudit)-8)
			rand.Read(tail)
			return timeKey(pAudit, time.Now().UnixNano(), tail)
		}
		return []byte(rn.Replace(string(k)))
	}
	run := replayTxn
	if batched {
		run = replayBatched
	}
	for _, t := range r.txns {
		err := engine.Retry(retries, func() error {
			err := run(pool, t, name, rn)
			var pe *pgconn.PgError
			if errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01" || pe.Code == "23505") {
				return engine.ErrConflict
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func replayTxn(pool *pgxpool.Pool, t recTxn, name func([]byte) []byte, rn *strings.Replacer) error {
	ctx := context.Background()
	opts := pgx.TxOptions{IsoLevel: pgx.Serializable}
	if t.view {
		opts = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	}
	tx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for _, op := range replayed(t) {
		sql, args := statement(op, name, rn)
		if err := drain(tx.Query(ctx, sql, args...)); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// replayBatched is replayTxn in the engine's round trips: BEGIN with the
// first read, each read on its own, and the writes and notices with
// COMMIT (the recorded sign-ups never scan a range they wrote in).
func replayBatched(pool *pgxpool.Pool, t recTxn, name func([]byte) []byte, rn *strings.Replacer) error {
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if conn.Conn().PgConn().TxStatus() != 'I' {
			conn.Exec(ctx, `ROLLBACK`)
		}
		conn.Release()
	}()
	b := &pgx.Batch{}
	if t.view {
		b.Queue(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`)
	} else {
		b.Queue(`BEGIN ISOLATION LEVEL SERIALIZABLE`)
	}
	var writes []recOp
	for _, op := range replayed(t) {
		if !op.read() {
			writes = append(writes, op)
			continue
		}
		sql, args := statement(op, name, rn)
		b.Queue(sql, args...)
		if err := conn.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		b = &pgx.Batch{}
	}
	for _, op := range writes {
		sql, args := statement(op, name, rn)
		b.Queue(sql, args...)
	}
	b.Queue(`COMMIT`)
	return conn.SendBatch(ctx, b).Close()
}

func (op recOp) read() bool { return op.kind == 'g' || op.kind == 'm' || op.kind == 's' }

// statement is the SQL of op, with its keys and values renamed.
func statement(op recOp, name func([]byte) []byte, rn *strings.Replacer) (string, []any) {
	switch op.kind {
	case 'g':
		return `SELECT v FROM kv WHERE k = $1`, []any{name(op.keys[0])}
	case 'm':
		ks := make([][]byte, len(op.keys))
		for i, k := range op.keys {
			ks[i] = name(k)
		}
		return `SELECT k, v FROM kv WHERE k = ANY($1)`, []any{ks}
	case 's':
		return rangeSQL(op.r), rangeArgs(op.r)
	case 'w':
		return `INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v`,
			[]any{name(op.keys[0]), []byte(rn.Replace(string(op.v)))}
	case 'd':
		return `DELETE FROM kv WHERE k = $1`, []any{name(op.keys[0])}
	default: // 'n'
		return `SELECT pg_notify('selfserve', $1)`, []any{rn.Replace(string(op.v))}
	}
}

// rangeSQL reads a Range as the engine does: a bounded walk of the index.
func rangeSQL(r engine.Range) string {
	sql := `SELECT k, v FROM kv WHERE k >= $1`
	if r.End != nil {
		sql += ` AND k < $2`
	}
	sql += ` ORDER BY k`
	if r.Reverse {
		sql += ` DESC`
	}
	return sql + ` LIMIT ` + strconv.Itoa(r.Limit)
}

func rangeArgs(r engine.Range) []any {
	args := []any{append([]byte{}, r.Start...)}
	if r.End != nil {
		args = append(args, r.End)
	}
	return args
}

// drain reads every row of a query.
func drain(rows pgx.Rows, err error) error {
	if err != nil {
		return err
	}
	for rows.Next() {
	}
	return rows.Err()
}

// recordingEngine records the transactions that commit (the last attempt
// of each) and the views.
type recordingEngine struct {
	engine.Engine
	txns []recTxn
}

func (e *recordingEngine) Update(fn func(engine.Txn) error) error {
	return e.run(false, e.Engine.Update, fn)
}

func (e *recordingEngine) View(fn func(engine.Txn) error) error {
	return e.run(true, e.Engine.View, fn)
}

func (e *recordingEngine) run(view bool, inner func(func(engine.Txn) error) error, fn func(engine.Txn) error) error {
	var last *recordingTxn
	err := inner(func(t engine.Txn) error {
		last = &recordingTxn{Txn: t}
		return fn(last)
	})
	if err == nil && last != nil {
		e.txns = append(e.txns, recTxn{view: view, ops: last.ops})
	}
	return err
}

type recordingTxn struct {
	engine.Txn
	ops []recOp
}

func clone(k []byte) []byte { return append([]byte{}, k...) }

func (t *recordingTxn) Get(k []byte) ([]byte, error) {
	t.ops = append(t.ops, recOp{kind: 'g', keys: [][]byte{clone(k)}})
	return t.Txn.Get(k)
}

func (t *recordingTxn) GetMany(keys [][]byte) ([][]byte, error) {
	op := recOp{kind: 'm'}
	for _, k := range keys {
		op.keys = append(op.keys, clone(k))
	}
	t.ops = append(t.ops, op)
	return t.Txn.GetMany(keys)
}

func (t *recordingTxn) Scan(r engine.Range, fn func(k, v []byte) (bool, error)) error {
	t.ops = append(t.ops, recOp{kind: 's', r: engine.Range{Start: clone(r.Start), End: r.End, Reverse: r.Reverse, Limit: r.Limit}})
	return t.Txn.Scan(r, fn)
}

func (t *recordingTxn) Set(k, v []byte) error {
	t.ops = append(t.ops, recOp{kind: 'w', keys: [][]byte{clone(k)}, v: clone(v)})
	return t.Txn.Set(k, v)
}

func (t *recordingTxn) Delete(k []byte) error {
	t.ops = append(t.ops, recOp{kind: 'd', keys: [][]byte{clone(k)}})
	return t.Txn.Delete(k)
}

func (t *recordingTxn) Notify(msg string) {
	t.ops = append(t.ops, recOp{kind: 'n', v: []byte(msg)})
	t.Txn.Notify(msg)
}

// BenchmarkSignupOneDirectory64Postgres is BenchmarkSignupOneDirectory64
// on PostgreSQL, through the engine's default pool (the larger of 4 and
// the number of CPUs), as a server runs it.
func BenchmarkSignupOneDirectory64Postgres(b *testing.B) {
	signupOneDirectory(b, pgBenchURL(b, 0))
}
