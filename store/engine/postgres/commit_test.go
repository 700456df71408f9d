package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"selfserve/store/engine"
	"selfserve/store/engine/postgres/pgtest"
)

// TestCommitOutcomeUnknown ends the session of an Update while its COMMIT
// waits for a synchronous standby that never answers: the transaction
// has committed locally, so the engine must say the outcome is unknown
// rather than run it again (which would apply it twice).
func TestCommitOutcomeUnknown(t *testing.T) {
	raw := pgtest.URL(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	openTest(t, raw).Close() // makes the table
	// The test cluster commits with synchronous_commit off, which never
	// waits for a standby; this engine's sessions turn it on.
	standbys(t, admin, "nobody")
	t.Cleanup(func() { standbys(t, admin, "") })
	e := openTest(t, raw+"&synchronous_commit=on")

	done := make(chan error, 1)
	runs := 0
	go func() {
		done <- e.Update(func(txn engine.Txn) error {
			runs++
			n, err := txn.Get([]byte("n"))
			if errors.Is(err, engine.ErrNotFound) {
				n, err = []byte{}, nil
			}
			if err != nil {
				return err
			}
			return txn.Set([]byte("n"), append(n, 'x'))
		})
	}()
	var pid int
	for pid == 0 {
		err := admin.QueryRow(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'SyncRep'`).Scan(&pid)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			t.Fatal(err)
		}
		if ctx.Err() != nil {
			t.Fatal("no COMMIT waited for the standby within a minute")
		}
		time.Sleep(5 * time.Millisecond) // between polls
	}
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	err = <-done
	if !errors.Is(err, engine.ErrUnreachable) || !strings.Contains(err.Error(), "unknown") {
		t.Errorf("Update whose session ended in COMMIT = %v, want ErrUnreachable saying the outcome is unknown", err)
	}
	if runs != 1 {
		t.Errorf("the Update ran %d times, want once", runs)
	}
	standbys(t, admin, "")
	var n []byte
	if err := admin.QueryRow(ctx, `SELECT v FROM kv WHERE k = 'n'`).Scan(&n); err != nil || string(n) != "x" {
		t.Errorf("the record is %q, %v; want the one write, committed locally", n, err)
	}
}

// standbys sets synchronous_standby_names and waits until new sessions
// see it.
func standbys(t *testing.T, admin *pgx.Conn, names string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := admin.Exec(ctx, `ALTER SYSTEM SET synchronous_standby_names = '`+names+`'`); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, `SELECT pg_reload_conf()`); err != nil {
		t.Fatal(err)
	}
	for {
		conn, err := pgx.ConnectConfig(ctx, admin.Config())
		if err != nil {
			t.Fatal(err)
		}
		var got string
		err = conn.QueryRow(ctx, `SHOW synchronous_standby_names`).Scan(&got)
		conn.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got == names {
			return
		}
		time.Sleep(5 * time.Millisecond) // between polls
	}
}
