package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestDurable checks that the durable cluster keeps PostgreSQL's
// durability on, and that a copy holds its template's rows and is a
// database of its own.
func TestDurable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	template := DurableTemplate(t)
	conn, err := pgx.Connect(ctx, template)
	if err != nil {
		t.Fatal(err)
	}
	for _, setting := range []string{"fsync", "synchronous_commit", "full_page_writes"} {
		var v string
		if err := conn.QueryRow(ctx, "SHOW "+setting).Scan(&v); err != nil || v != "on" {
			t.Errorf("%s is %q (%v), want on", setting, v, err)
		}
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE kv (k bytea PRIMARY KEY, v bytea NOT NULL); INSERT INTO kv VALUES ('a', 'b')"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)

	copied := DurableCopy(t, template)
	conn, err = pgx.Connect(ctx, copied)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "INSERT INTO kv VALUES ('c', 'd')"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM kv").Scan(&n); err != nil || n != 2 {
		t.Errorf("the copy holds %d rows (%v), want its template's one and its own", n, err)
	}
	conn, err = pgx.Connect(ctx, template)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM kv").Scan(&n); err != nil || n != 1 {
		t.Errorf("the template holds %d rows (%v) after a write to its copy, want 1", n, err)
	}
	if url := DurableURL(t); url == template || url == copied {
		t.Errorf("DurableURL gave %s again", url)
	}
}
