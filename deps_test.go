package main

import (
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// TestDependencyFloors keeps modules with published advisories at or above
// their fixed versions (GO-2026-5841 in klauspost/compress, GO-2026-5158 in
// otel): both are linked in through Badger even though we call neither, so
// a downgrade by `go get` or a careless go.mod merge must fail here.
func TestDependencyFloors(t *testing.T) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("no build information in the test binary")
	}
	floors := map[string]string{
		"github.com/klauspost/compress": "v1.18.7",
		"go.opentelemetry.io/otel":      "v1.42.0",
	}
	seen := map[string]bool{}
	for _, m := range info.Deps {
		if m.Replace != nil {
			m = m.Replace
		}
		floor, ok := floors[m.Path]
		if !ok {
			continue
		}
		seen[m.Path] = true
		if older(m.Version, floor) {
			t.Errorf("%s %s is linked in; the advisory is fixed from %s", m.Path, m.Version, floor)
		}
	}
	for path := range floors {
		if !seen[path] {
			t.Errorf("%s is no longer linked in: drop its floor from this test", path)
		}
	}
}

// older compares vMAJOR.MINOR.PATCH versions; a pre-release counts as its
// release, which is the lenient side for a floor.
func older(v, floor string) bool {
	a, b := fields(v), fields(floor)
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

func fields(v string) [3]int {
	var out [3]int
	core, _, _ := strings.Cut(strings.TrimPrefix(v, "v"), "-")
	for i, p := range strings.SplitN(core, ".", 3) {
		out[i], _ = strconv.Atoi(p)
	}
	return out
}
