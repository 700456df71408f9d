package pgtest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestFailover kills the primary of a formation while four clients
// write through a pool on the multi-host URL, and checks that the
// standby took over by itself, that the clients found it by themselves,
// and that every write the old primary acknowledged is on the new one.
func TestFailover(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	began := time.Now()
	f := StartFormation(t)
	setup := time.Since(began)

	if err := f.CreateDatabase(ctx, "failover"); err != nil {
		t.Fatal(err)
	}
	url := f.URL("failover")
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	var standbys string
	if err := conn.QueryRow(ctx, "SHOW synchronous_standby_names").Scan(&standbys); err != nil || standbys == "" {
		t.Fatalf("the primary does not wait for its standby (synchronous_standby_names %q, %v)", standbys, err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE acked (id bigint PRIMARY KEY, writer int NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)

	config, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	config.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, config)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	writing, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stop()
	killed := make(chan struct{})
	writers := make([]*writer, 4)
	for i := range writers {
		writers[i] = &writer{id: i, pool: pool, killed: killed, before: make(chan struct{}), after: make(chan struct{})}
		wg.Go(func() { writers[i].run(writing) })
	}

	// Writes flow for a while, to the primary and its standby.
	for _, w := range writers {
		select {
		case <-w.before:
		case <-ctx.Done():
			t.Fatalf("writer %d wrote fewer than 100 rows before the kill", w.id)
		}
	}

	kill := time.Now()
	old, err := f.KillPrimary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	close(killed)
	promoted, waited, err := f.WaitForPrimary(ctx, old.Port)
	if err != nil {
		t.Fatal(err)
	}
	promotedAt := time.Now()
	// Each client reconnects by itself.
	for _, w := range writers {
		select {
		case <-w.after:
		case <-ctx.Done():
			t.Fatalf("writer %d wrote nothing after the kill", w.id)
		}
	}
	stop()
	wg.Wait()

	var first time.Time
	acked := 0
	for _, w := range writers {
		if first.IsZero() || w.firstAfter.Before(first) {
			first = w.firstAfter
		}
		acked += len(w.acked)
	}

	conn, err = pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var port int
	if err := conn.QueryRow(ctx, "SELECT inet_server_port()").Scan(&port); err != nil || port != promoted.Port {
		t.Fatalf("the URL reached port %d (%v), want the new primary %s on %d", port, err, promoted.Name, promoted.Port)
	}
	rows, err := conn.Query(ctx, "SELECT id FROM acked")
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	present := make(map[int64]bool, len(ids))
	for _, id := range ids {
		present[id] = true
	}
	lost := 0
	for _, w := range writers {
		for _, id := range w.acked {
			if !present[id] {
				lost++
			}
		}
	}
	t.Logf("formation up in %v; killed %s; the clients wrote again %v after the kill, and %s committed for WaitForPrimary after %v (it waited %v); %d of %d acknowledged writes missing, %d rows",
		setup.Round(time.Millisecond), old.Name, first.Sub(kill).Round(time.Millisecond),
		promoted.Name, promotedAt.Sub(kill).Round(time.Millisecond), waited.Round(time.Millisecond), lost, acked, len(ids))
	if lost > 0 {
		t.Errorf("%d of %d acknowledged writes are missing on the new primary %s", lost, acked, promoted.Name)
	}
}

// writer inserts rows one at a time and keeps the ids the server
// acknowledged. The pool replaces a connection that failed with a new
// one to whichever host takes writes.
type writer struct {
	id     int
	pool   *pgxpool.Pool
	killed <-chan struct{}

	before     chan struct{} // closed at the 100th acknowledged write
	after      chan struct{} // closed at the first acknowledged write sent once killed was closed
	firstAfter time.Time
	acked      []int64
}

func (w *writer) run(ctx context.Context) {
	for seq := int64(0); ctx.Err() == nil; seq++ {
		id := int64(w.id)<<40 | seq
		sentAfterKill := false
		select {
		case <-w.killed:
			sentAfterKill = true
		default:
		}
		if _, err := w.pool.Exec(ctx, "INSERT INTO acked (id, writer) VALUES ($1, $2)", id, w.id); err != nil {
			// The outcome of this write is unknown; it is not counted.
			// Neither node may take writes yet: not too fast a loop.
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		w.acked = append(w.acked, id)
		if len(w.acked) == 100 {
			close(w.before)
		}
		if sentAfterKill && w.firstAfter.IsZero() {
			w.firstAfter = time.Now()
			close(w.after)
		}
	}
}
