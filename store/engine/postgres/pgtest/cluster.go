package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The cluster of this test process, started by the first URL and stopped
// by Cleanup.
//
// It runs with fsync, synchronous_commit and full_page_writes off: tests
// kill the selfserve process, never PostgreSQL or the machine, so what a
// committed transaction wrote survives them from the server's memory, and
// a store test suite runs several times faster. The failover tests, which
// do kill servers, run their own durable ones.
var cluster struct {
	once   sync.Once
	err    error
	dir    string
	port   int
	cmd    *exec.Cmd
	exited chan struct{}

	mu    sync.Mutex // one change of the list of databases at a time
	n     int        // database names given
	free  []string   // emptied databases, for the next tests
	admin *pgx.Conn  // to the postgres database, kept: a connection costs 20–50 ms
}

// URL returns the address of a new, empty database on this process's
// cluster, emptied when t ends. The cluster starts on the first call;
// without PostgreSQL's programs the test is skipped (failed under CI).
func URL(t testing.TB) string {
	t.Helper()
	Require(t, "initdb")
	Require(t, "postgres")
	cluster.once.Do(func() { cluster.err = start() })
	if cluster.err != nil {
		t.Fatalf("starting PostgreSQL: %v", cluster.err)
	}
	name, err := database()
	if err != nil {
		t.Fatalf("creating a database: %v", err)
	}
	t.Cleanup(func() {
		if err := recycle(name); err != nil {
			t.Errorf("emptying database %s: %v", name, err)
		}
	})
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", cluster.port, name)
}

// database is an empty database: one a finished test left, or a new one.
func database() (string, error) {
	cluster.mu.Lock()
	defer cluster.mu.Unlock()
	if n := len(cluster.free); n > 0 {
		name := cluster.free[n-1]
		cluster.free = cluster.free[:n-1]
		return name, nil
	}
	name := nextName()
	return name, admin("postgres", "CREATE DATABASE "+name)
}

// recycle empties the database of a finished test and renames it for a
// later one: a new database costs about 0.3 s, which hundreds of store
// tests would feel, and the renamed one is as fresh, since an engine the
// test left open cannot reach it under its new name. A database that
// cannot be renamed, or holds more than the engine's table, is dropped.
func recycle(name string) error {
	cluster.mu.Lock()
	defer cluster.mu.Unlock()
	fresh := nextName()
	err := admin("postgres", "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = '"+name+"';"+
		"ALTER DATABASE "+name+" RENAME TO "+fresh)
	if err == nil {
		err = admin(fresh, `DROP TABLE IF EXISTS kv; DO $$ BEGIN
			IF EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
				WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
				AND n.nspname NOT LIKE 'pg_temp%') THEN
				RAISE 'objects left behind';
			END IF;
		END $$`)
		if err == nil {
			cluster.free = append(cluster.free, fresh)
			return nil
		}
		name = fresh
	}
	// FORCE ends the sessions of an engine the test left open.
	return admin("postgres", "DROP DATABASE "+name+" WITH (FORCE)")
}

func nextName() string {
	cluster.n++
	return fmt.Sprintf("t%d", cluster.n)
}

// Cleanup stops the cluster and removes its directory; TestMain calls it
// after m.Run. Without it the server still dies with the test process,
// but its directory stays behind.
func Cleanup() {
	if cluster.admin != nil {
		cluster.admin.Close(context.Background())
	}
	if cluster.cmd != nil {
		stop(cluster.cmd, cluster.exited)
	}
	if cluster.dir != "" {
		os.RemoveAll(cluster.dir)
	}
}

// start makes a cluster in a new temporary directory and runs it on a free
// loopback port.
func start() error {
	dir, err := os.MkdirTemp("", "selfserve-pg-")
	if err != nil {
		return err
	}
	cluster.dir = dir
	postgres, data, err := initCluster(dir)
	if err != nil {
		return err
	}
	return onFreePort(func(port int) error { return run(postgres, dir, data, port) })
}

// run starts the server on port and waits until it accepts connections.
func run(postgres, dir, data string, port int) error {
	cmd, exited, conn, err := serve(postgres, dir, data, port,
		"fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=300")
	if err != nil {
		return err
	}
	conn.Close(context.Background())
	cluster.cmd, cluster.exited, cluster.port = cmd, exited, port
	return nil
}

// stop asks the server for a fast shutdown and kills it if that takes
// more than a while.
func stop(cmd *exec.Cmd, exited chan struct{}) {
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
}

func connectAdmin(dir string, port int, db string) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=postgres dbname=%s", dir, port, db))
}

// admin runs sql, statements separated by semicolons, in the cluster's
// database db.
func admin(db string, sql string) error {
	conn := cluster.admin
	if db != "postgres" || conn == nil || conn.IsClosed() {
		var err error
		if conn, err = connectAdmin(cluster.dir, cluster.port, db); err != nil {
			return err
		}
		if db == "postgres" {
			cluster.admin = conn
		} else {
			defer conn.Close(context.Background())
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The simple protocol runs several statements in one round trip.
	_, err := conn.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	return err
}

// freePort is a loopback port nothing listened on a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
