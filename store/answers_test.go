package store

import (
	"testing"
	"time"
)

// Answers is what /readyz reports: an open database answers, a closed
// one does not, and a probe never waits longer than it was given.
func TestAnswers(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	if !s.Answers(10 * time.Second) {
		t.Fatal("an open database does not answer")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if s.Answers(10 * time.Second) {
		t.Fatal("a closed database answers")
	}
	if took := time.Since(start); took > 10*time.Second+time.Second {
		t.Errorf("the probe took %v, past its 10 s", took)
	}
}
