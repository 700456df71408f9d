package pgtest

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The durable cluster of this test process, for benchmarks: URL's cluster
// runs with fsync off, which makes PostgreSQL several times faster than a
// server that keeps what it acknowledged, and its figures could not stand
// beside Badger's with SyncWrites on. This one keeps PostgreSQL's
// defaults: fsync, synchronous_commit and full_page_writes on.
//
// A benchmark builds a large database once per process and copies it for
// each run, so the cluster lives as long as the process: a reaper process
// removes it when this one ends, however it ends.
var durable struct {
	once sync.Once
	err  error
	dir  string
	port int
	// reaper is the reaper's input, held open until this process ends:
	// closing it, which the kernel does at exit, starts the reaper.
	reaper io.WriteCloser

	mu    sync.Mutex // one change of the list of databases at a time
	n     int        // database names given
	admin *pgx.Conn
}

// DurableURL returns the address of a new, empty database on the durable
// cluster, dropped when t ends. The cluster starts on the first call;
// without PostgreSQL's programs t is skipped (failed under CI).
func DurableURL(t testing.TB) string {
	t.Helper()
	name := durableDatabase(t, "")
	t.Cleanup(func() { dropDurable(t, name) })
	return durableAddr(name)
}

// DurableTemplate returns the address of a new, empty database on the
// durable cluster that is kept until the process ends: for a large
// database that a benchmark builds once and copies with DurableCopy.
func DurableTemplate(t testing.TB) string {
	t.Helper()
	return durableAddr(durableDatabase(t, ""))
}

// DurableCopy returns the address of a new database on the durable
// cluster holding a copy of the database at template (an address given by
// DurableTemplate or DurableURL, with no session open on it), dropped when
// t ends.
func DurableCopy(t testing.TB, template string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(template)
	if err != nil {
		t.Fatalf("copying a database: %v", err)
	}
	name := durableDatabase(t, cfg.Database)
	t.Cleanup(func() { dropDurable(t, name) })
	return durableAddr(name)
}

func durableAddr(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", durable.port, name)
}

// durableDatabase creates a database, a copy of template unless it is "".
// The copy is of the files (FILE_COPY): the default strategy writes the
// whole template into the WAL, which for a million users costs more than
// the benchmark it prepares.
func durableDatabase(t testing.TB, template string) string {
	t.Helper()
	Require(t, "initdb")
	Require(t, "postgres")
	durable.once.Do(func() { durable.err = startDurable() })
	if durable.err != nil {
		t.Fatalf("starting a durable PostgreSQL: %v", durable.err)
	}
	durable.mu.Lock()
	defer durable.mu.Unlock()
	durable.n++
	name := fmt.Sprintf("d%d", durable.n)
	sql := "CREATE DATABASE " + name
	if template != "" {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize() + " STRATEGY FILE_COPY"
	}
	if err := durableAdmin(sql); err != nil {
		t.Fatalf("creating database %s: %v", name, err)
	}
	return name
}

func dropDurable(t testing.TB, name string) {
	durable.mu.Lock()
	defer durable.mu.Unlock()
	// FORCE ends the sessions of an engine the test left open.
	if err := durableAdmin("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
		t.Errorf("dropping database %s: %v", name, err)
	}
}

// durableAdmin runs one statement in the cluster's postgres database.
func durableAdmin(sql string) error {
	if durable.admin == nil || durable.admin.IsClosed() {
		conn, err := connectAdmin(durable.dir, durable.port, "postgres")
		if err != nil {
			return err
		}
		durable.admin = conn
	}
	// A copy of a million users takes a while on a busy machine.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	_, err := durable.admin.Exec(ctx, sql)
	return err
}

// startDurable makes the cluster in a new temporary directory, with its
// reaper, and runs it on a free loopback port.
func startDurable() error {
	dir, err := os.MkdirTemp("", "selfserve-pg-durable-")
	if err != nil {
		return err
	}
	durable.dir = dir
	if err := startReaper(dir); err != nil {
		os.RemoveAll(dir)
		return err
	}
	postgres, data, err := initCluster(dir)
	if err != nil {
		return err
	}
	return onFreePort(func(port int) error { return runDurable(postgres, dir, data, port) })
}

// runDurable starts the server on port and waits until it accepts
// connections. It dies with this process (Pdeathsig), and the reaper then
// removes what it leaves.
func runDurable(postgres, dir, data string, port int) error {
	_, _, conn, err := serve(postgres, dir, data, port, "max_connections=200")
	if err != nil {
		return err
	}
	durable.admin, durable.port = conn, port
	return nil
}

// startReaper starts a process that, once this one has ended (its input
// closes), kills what still works in dir (the server's children outlive
// their killed postmaster for a moment), removes the System V segment
// the postmaster named in postmaster.pid, which a killed server leaves
// behind, and removes dir.
func startReaper(dir string) error {
	cmd := exec.Command("/bin/sh", "-c", `read -r _
for pass in 1 2 3 4 5 6 7 8 9 10; do
	killed=
	for p in /proc/[0-9]*; do
		case $(readlink "$p/cwd" 2>/dev/null) in
		"$0" | "$0"/*) kill -KILL "${p#/proc/}" 2>/dev/null && killed=1 ;;
		esac
	done
	[ -n "$killed" ] || break
	sleep 0.1
done
key=$(sed -n 7p "$0/data/postmaster.pid" 2>/dev/null)
[ -n "${key##* }" ] && ipcrm -m "${key##* }" 2>/dev/null
rm -rf "$0"`, dir)
	// Its own process group, so that ^C reaches the test but not it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	durable.reaper = in
	return nil
}
