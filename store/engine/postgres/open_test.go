package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"selfserve/model"
	"selfserve/store/engine"
	"selfserve/store/engine/postgres/pgtest"
)

// secret is the password in the tests' URLs; the test cluster trusts
// loopback, so any password is accepted, and none may show in an error.
const secret = "s3cret-Pw"

// withPassword puts secret into a pgtest URL.
func withPassword(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), secret)
	return u
}

func noSecret(t *testing.T, err error) {
	t.Helper()
	if strings.Contains(err.Error(), secret) {
		t.Errorf("the error shows the password: %v", err)
	}
}

func TestOpenWithoutTable(t *testing.T) {
	u := withPassword(t, pgtest.URL(t))
	_, err := Open(u.String(), Options{})
	if !errors.Is(err, engine.ErrNoDatabase) {
		t.Fatalf("Open without Create of a database without the table = %v, want ErrNoDatabase", err)
	}
	noSecret(t, err)
	if want := u.Host + u.Path; !strings.Contains(err.Error(), want) {
		t.Errorf("the error does not say where: %v (want %s)", err, want)
	}
	// Create makes it; then Open without Create finds it.
	e, err := Open(u.String(), Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
	e, err = Open(u.String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
}

func TestOpenNoSuchDatabase(t *testing.T) {
	u := withPassword(t, pgtest.URL(t))
	u.Path = "/no_such_database"
	_, err := Open(u.String(), Options{Create: true})
	if !errors.Is(err, engine.ErrNoDatabase) {
		t.Fatalf("Open of a database the server lacks = %v, want ErrNoDatabase", err)
	}
	noSecret(t, err)
}

func TestOpenUnreachable(t *testing.T) {
	u := withPassword(t, pgtest.URL(t))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u.Host = l.Addr().String()
	l.Close() // nothing listens there now
	start := time.Now()
	_, err = Open(u.String(), Options{Create: true, ConnectTimeout: 2 * time.Second})
	if !errors.Is(err, engine.ErrUnreachable) {
		t.Fatalf("Open of a port nothing listens on = %v, want ErrUnreachable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open took %v to find nothing listening", d)
	}
	noSecret(t, err)
}

func TestOpenBadURL(t *testing.T) {
	for _, raw := range []string{
		"postgres://u:" + secret + "@127.0.0.1:notaport/db",
		"postgres://u:" + secret + "@127.0.0.1/db?connect_timeout=soon",
		"postgres://u:" + secret + "@[::1/db",
	} {
		_, err := Open(raw, Options{})
		if !errors.Is(err, model.ErrInvalid) {
			t.Errorf("Open(%q) = %v, want ErrInvalid", raw, err)
			continue
		}
		noSecret(t, err)
	}
}

// TestOpenSeveralHosts: with a dead first host, the engine and its
// listeners use the next one.
func TestOpenSeveralHosts(t *testing.T) {
	u := withPassword(t, pgtest.URL(t))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	u.Host = dead + "," + u.Host
	q := u.Query()
	q.Set("target_session_attrs", "read-write")
	u.RawQuery = q.Encode()
	e := openTest(t, u.String())
	notes := make(chan engine.Note, 10)
	stop, err := e.Listen(func(n engine.Note) { notes <- n })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	err = e.Update(func(txn engine.Txn) error {
		txn.Notify("hello")
		return txn.Set([]byte("k"), []byte("v"))
	})
	if err != nil {
		t.Fatal(err)
	}
	waitNote(t, notes, engine.Note{Msg: "hello"})
}

// TestReconnect: after the server ended every session of the engine, an
// Update runs again on a new connection, and the listener reconnects and
// says it may have missed notes.
func TestReconnect(t *testing.T) {
	raw := pgtest.URL(t)
	e := openTest(t, raw)
	notes := make(chan engine.Note, 10)
	stop, err := e.Listen(func(n engine.Note) { notes <- n })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if err := e.Update(func(txn engine.Txn) error { return txn.Set([]byte("k"), []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	before := e.Stats().Retries
	terminate(t, raw)
	var runs int
	err = e.Update(func(txn engine.Txn) error {
		runs++
		v, err := txn.Get([]byte("k"))
		if err != nil {
			return err
		}
		return txn.Set([]byte("k"), append(v, '1'))
	})
	if err != nil {
		t.Fatalf("Update after the server ended the sessions: %v", err)
	}
	if runs < 2 || e.Stats().Retries == before {
		t.Errorf("the Update ran %d times and Retries went %d → %d; want it run again and counted", runs, before, e.Stats().Retries)
	}
	waitNote(t, notes, engine.Note{Lost: true})
	err = e.Update(func(txn engine.Txn) error {
		txn.Notify("after")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	waitNote(t, notes, engine.Note{Msg: "after"})
}

// TestNotifyNotText: a message NOTIFY cannot carry does not fail the
// commit; listeners hear a loss.
func TestNotifyNotText(t *testing.T) {
	e := openTest(t, pgtest.URL(t))
	notes := make(chan engine.Note, 10)
	stop, err := e.Listen(func(n engine.Note) { notes <- n })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	for _, msg := range []string{"\xff\xfe", "a\x00b"} {
		err := e.Update(func(txn engine.Txn) error {
			txn.Notify(msg)
			return txn.Set([]byte("k"), []byte(msg))
		})
		if err != nil {
			t.Fatalf("Notify(%q): %v", msg, err)
		}
		waitNote(t, notes, engine.Note{Lost: true})
	}
}

// terminate ends every session of the database at raw but its own.
func terminate(t *testing.T, raw string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n < 2 {
		t.Fatalf("ended %d sessions, want the pool's and the listener's", n)
	}
}

func waitNote(t *testing.T, notes <-chan engine.Note, want engine.Note) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case n := <-notes:
			if n == want {
				return
			}
		case <-deadline:
			t.Fatalf("no note %s within 20 s", fmt.Sprintf("%+v", want))
		}
	}
}

// TestClosed: a closed engine refuses at once, not after reconnecting.
func TestClosed(t *testing.T) {
	e := openTest(t, pgtest.URL(t))
	e.Close()
	start := time.Now()
	if err := e.Update(func(txn engine.Txn) error { return txn.Set([]byte("k"), nil) }); err == nil {
		t.Error("Update after Close worked")
	}
	if err := e.View(func(txn engine.Txn) error { _, err := txn.Get([]byte("k")); return err }); err == nil {
		t.Error("View after Close worked")
	}
	if _, err := e.Listen(func(engine.Note) {}); err == nil {
		t.Error("Listen after Close worked")
	}
	l := e.NewLoader()
	if err := errors.Join(l.Set([]byte("k"), nil), l.Flush()); err == nil {
		t.Error("a Loader after Close worked")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusing took %v", d)
	}
}
