package cli

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/charmbracelet/log"

	"selfserve/demo"
	"selfserve/ops"
	"selfserve/store"
)

// demoDB builds the default demo data in a new database.
func demoDB(b *testing.B) string {
	db := b.TempDir()
	st, err := store.Open(db, store.Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := demo.Build(st, demo.DefaultSize); err != nil {
		b.Fatal(err)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	return db
}

func listDirectories(b *testing.B, db string) {
	if code := Run(context.Background(), []string{"--db", db, "directory", "list", "--json"}, io.Discard, io.Discard); code != 0 {
		b.Fatalf("directory list: exit %d", code)
	}
}

// BenchmarkDirectoryListOpening is `directory list` on the demo data
// opening the database itself: the baseline of
// BenchmarkDirectoryListThroughSocket (issue 12: at most 2× this).
func BenchmarkDirectoryListOpening(b *testing.B) {
	db := demoDB(b)
	b.ResetTimer()
	for range b.N {
		listDirectories(b, db)
	}
}

// BenchmarkDirectoryListThroughSocket is the same command while a server
// holds the database, run inside it through its socket.
func BenchmarkDirectoryListThroughSocket(b *testing.B) {
	db := demoDB(b)
	st, err := store.Open(db, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	srv, err := listenCommands(db, &ops.Console{Store: st}, log.New(&bytes.Buffer{}))
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	b.ResetTimer()
	for range b.N {
		listDirectories(b, db)
	}
}
