package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"selfserve/store/engine"
	"selfserve/store/engine/postgres/pgtest"
)

// A sign-up-shaped transaction (issue 13's figure: the engine ≥ 40% of
// raw SQL doing the same reads and writes) by 8 clients, each op a new
// domain: 3 reads (one shared record that exists, two keys that do not),
// 4 writes of new keys and one notice, with a console listening. The raw
// baseline sends each statement on its own through pgx, as hand-written
// SQL would; both pools hold 8 connections.

const (
	benchClients = 8
	benchValue   = 200 // bytes, about a stored user
)

func BenchmarkEngineSignupShape(b *testing.B) {
	e := benchEngine(b)
	value := make([]byte, benchValue)
	clients(b, func(n int64) error {
		return e.Update(func(txn engine.Txn) error {
			for _, k := range signupReads(n) {
				if _, err := txn.Get(k); err != nil && !errors.Is(err, engine.ErrNotFound) {
					return err
				}
			}
			for _, k := range signupWrites(n) {
				if err := txn.Set(k, value); err != nil {
					return err
				}
			}
			txn.Notify(fmt.Sprintf("dir/%d", n))
			return nil
		})
	})
}

func BenchmarkRawSignupShape(b *testing.B) {
	e := benchEngine(b)
	cfg, err := pgxpool.ParseConfig(e.listenConfig.ConnString())
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = benchClients
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	value := make([]byte, benchValue)
	clients(b, func(n int64) error {
		for {
			err := rawSignup(pool, n, value)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "40001" {
				return err
			}
		}
	})
}

func rawSignup(pool *pgxpool.Pool, n int64, value []byte) error {
	ctx := context.Background()
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for _, k := range signupReads(n) {
		var v []byte
		if err := tx.QueryRow(ctx, `SELECT v FROM kv WHERE k = $1`, k).Scan(&v); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
	}
	for _, k := range signupWrites(n) {
		if _, err := tx.Exec(ctx, `INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v`, k, value); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify('selfserve', $1)`, fmt.Sprintf("dir/%d", n)); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func signupReads(n int64) [][]byte {
	return [][]byte{[]byte("config"), fmt.Appendf(nil, "domain/%d", n), fmt.Appendf(nil, "email/%d", n)}
}

func signupWrites(n int64) [][]byte {
	return [][]byte{fmt.Appendf(nil, "dir/%d", n), fmt.Appendf(nil, "domain/%d", n),
		fmt.Appendf(nil, "user/%d", n), fmt.Appendf(nil, "email/%d", n)}
}

// benchEngine opens a new database holding the shared record, with a
// listener that drains the notices.
func benchEngine(b *testing.B) *Engine {
	e, err := Open(pgtest.URL(b), Options{Create: true, MaxConns: benchClients})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	if err := e.Update(func(txn engine.Txn) error { return txn.Set([]byte("config"), []byte("{}")) }); err != nil {
		b.Fatal(err)
	}
	stop, err := e.Listen(func(engine.Note) {})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(stop)
	return e
}

// clients runs b.N ops numbered from a fresh base on benchClients
// goroutines and reports ops/s.
func clients(b *testing.B, op func(n int64) error) {
	var next atomic.Int64
	next.Store(base.Add(1 << 32))
	last := next.Load() + int64(b.N)
	b.ResetTimer()
	var wg sync.WaitGroup
	for range benchClients {
		wg.Go(func() {
			for n := next.Add(1); n <= last; n = next.Add(1) {
				if err := op(n); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// base keeps the keys of successive runs of a benchmark apart.
var base atomic.Int64
