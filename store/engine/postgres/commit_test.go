package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
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

// TestCommitNotSentRunsAgain loses the connection while pgx prepares the
// statements of an Update's COMMIT batch on a fresh connection, before
// the batch itself goes out: nothing was saved, so the Update must run
// again on a new connection rather than report an unknown outcome.
func TestCommitNotSentRunsAgain(t *testing.T) {
	u, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	cut := cutAt(t, u.Host, "INSERT INTO kv")
	u.Host = cut.addr
	e := openTest(t, u.String())
	runs := 0
	err = e.Update(func(txn engine.Txn) error {
		runs++
		if _, err := txn.Get([]byte("k")); !errors.Is(err, engine.ErrNotFound) {
			return fmt.Errorf("Get of a missing key: %v", err)
		}
		return txn.Set([]byte("k"), []byte("v"))
	})
	if !cut.done.Load() {
		t.Fatal("the connection was never cut")
	}
	if err != nil || runs != 2 {
		t.Fatalf("Update whose COMMIT batch was never sent = %v after %d runs, want success on the second", err, runs)
	}
}

// cutter forwards connections to a server and closes the first whose
// client sends a statement holding a marker, before passing it on: the
// client sees the connection end without a word from the server, as
// when the server's machine dies.
type cutter struct {
	addr   string
	server string
	marker []byte
	done   atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn // closed with the test
}

func cutAt(t *testing.T, server, marker string) *cutter {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{addr: l.Addr().String(), server: server, marker: []byte(marker)}
	t.Cleanup(func() {
		l.Close()
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, conn := range c.conns {
			conn.Close()
		}
	})
	go func() {
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			go c.forward(client)
		}
	}()
	return c
}

func (c *cutter) forward(client net.Conn) {
	defer client.Close()
	up, err := net.Dial("tcp", c.server)
	if err != nil {
		return
	}
	defer up.Close()
	c.mu.Lock()
	c.conns = append(c.conns, client, up)
	c.mu.Unlock()
	go func() {
		io.Copy(client, up)
		client.Close()
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := client.Read(buf)
		if bytes.Contains(buf[:n], c.marker) && c.done.CompareAndSwap(false, true) {
			return
		}
		if _, werr := up.Write(buf[:n]); err != nil || werr != nil {
			return
		}
	}
}
