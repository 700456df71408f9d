package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkChangeFeedLatency is how long a committed sign-up takes to
// reach a watcher (what a live console turns into a message): from the
// sign-up's return to the watcher's Next, p50 and p99 over b.N sign-ups
// (issue 12: p50 ≤ 5 ms, p99 ≤ 50 ms).
func BenchmarkChangeFeedLatency(b *testing.B) {
	s, err := Open(b.TempDir(), Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	w, err := s.Watch()
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	feedLatency(b, s, w)
}

// feedLatency times b.N sign-ups through s, each from its return until
// w's Next reports its directory, and reports p50 and p99.
func feedLatency(b *testing.B, s *Store, w *Watcher) {
	lat := make([]time.Duration, 0, b.N)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		res := mustSignup(b, s, fmt.Sprintf("u%d@d%d.example", i, i), "rms")
		committed := time.Now()
		for {
			c, err := w.Next(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if c.Directories[res.Directory.ID] {
				break
			}
		}
		lat = append(lat, time.Since(committed))
	}
	b.StopTimer()
	reportLatency(b, lat)
}

// reportLatency reports the median and 99th percentile of lat, in ms.
func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
