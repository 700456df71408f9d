// Package enginetest is the contract of store/engine as tests, which each
// engine's package runs against itself: the store's rules are written
// once, so both engines must keep the same promises.
package enginetest

import (
	"testing"

	"selfserve/store/engine"
)

// Run checks the contract on one engine at a time. open returns an engine
// on a new, empty database and closes it when t ends.
func Run(t *testing.T, open func(t *testing.T) engine.Engine) {
	tests := []struct {
		name string
		fn   func(t *testing.T, e engine.Engine)
	}{
		{"GetSetDelete", testGetSetDelete},
		{"GetMany", testGetMany},
		{"Scan", testScan},
		{"ReadYourWrites", testReadYourWrites},
		{"Rollback", testRollback},
		{"ViewSnapshot", testViewSnapshot},
		{"LostUpdate", testLostUpdate},
		{"Counter", testCounter},
		{"CreateOnce", testCreateOnce},
		{"Notify", testNotify},
		{"ListenStop", testListenStop},
		{"Loader", testLoader},
		{"Reset", testReset},
		{"Stats", testStats},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// RunShared checks what holds when several engines, as in several
// processes, use one database: engines that keep a database to one
// process (Badger) skip it. fresh makes a new, empty database and returns
// a function that opens one more engine on it, closed when t ends.
func RunShared(t *testing.T, fresh func(t *testing.T) (open func() engine.Engine)) {
	tests := []struct {
		name string
		fn   func(t *testing.T, a, b engine.Engine)
	}{
		{"SeesCommits", testSharedCommits},
		{"Listen", testSharedListen},
		{"Counter", testSharedCounter},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			open := fresh(t)
			tc.fn(t, open(), open())
		})
	}
}
