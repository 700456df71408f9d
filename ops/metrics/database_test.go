package metrics

import (
	"strings"
	"testing"

	"selfserve/store/engine"
)

// A database server's pool shows by state; an embedded engine, which has
// none, shows only its retries.
func TestDatabaseCounters(t *testing.T) {
	m := New()
	stats := engine.Stats{Retries: 7, Pool: &engine.PoolStats{Idle: 3, InUse: 2, Max: 8, Waits: 5, WaitSeconds: 0.25}}
	m.Database(func() engine.Stats { return stats })
	out := scrape(t, m)
	for _, want := range []string{
		`selfserve_db_retries_total 7`,
		`selfserve_db_pool_connections{state="idle"} 3`,
		`selfserve_db_pool_connections{state="in use"} 2`,
		`selfserve_db_pool_connections{state="max"} 8`,
		`selfserve_db_pool_waits_total 5`,
		`selfserve_db_pool_wait_seconds_total 0.25`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	stats = engine.Stats{Retries: 8}
	if out := scrape(t, m); strings.Contains(out, "selfserve_db_pool") || !strings.Contains(out, "selfserve_db_retries_total 8") {
		t.Errorf("an engine without a pool exports:\n%s", out)
	}
}
