package store

import (
	"testing"

	"selfserve/store/engine/postgres/pgtest"
)

// BenchmarkChangeFeedAcrossStoresPostgres is BenchmarkChangeFeedLatency
// across servers: each sign-up committed through one Store, and a Watch on
// a second Store opened on the same PostgreSQL database (two serve
// processes behind one database) that must see it (issue 13: p50 ≤ 5 ms).
func BenchmarkChangeFeedAcrossStoresPostgres(b *testing.B) {
	url := pgtest.DurableURL(b)
	s, err := Open(url, Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	other, err := Open(url, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer other.Close()
	w, err := other.Watch()
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	feedLatency(b, s, w)
}
