package cli

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"selfserve/model"
	"selfserve/store"
)

// The reasons a command cannot easily meet on purpose (a challenge
// replaced between the check and the takeover, a takeover still running,
// a failed write) get their advice too, and keep their class.
func TestAdviceForReasonsNoCommandMeetsOnDemand(t *testing.T) {
	cases := []struct {
		err  error
		tell string
	}{
		{fmt.Errorf("%w: the challenge for x.example expired at T", model.ErrChallengeExpired), "run selfserve domain challenge again and publish the new record"},
		{fmt.Errorf("%w: the challenge that was checked for x.example has expired or been replaced", model.ErrProofChanged), "run selfserve domain challenge again, publish the record it shows and verify again"},
		{fmt.Errorf("%w: x.example is being taken over right now", model.ErrTakeoverRunning), "try again in a minute"},
		{fmt.Errorf("%w (input/output error)", store.ErrNotSaved), "free disk space or check the database directory, then try again"},
		{&model.BlockedMergeError{Services: []string{"powerbi"}}, "review with --dry-run, then use --force to go ahead and drop those grants"},
	}
	for _, tc := range cases {
		got := advise(tc.err)
		if !errors.Is(got, tc.err) || !strings.HasSuffix(got.Error(), "; "+tc.tell) {
			t.Errorf("advise(%v) = %v, want it to end in %q", tc.err, got, tc.tell)
		}
	}
	if plain := errors.New("a failure nobody classified"); advise(plain) != plain {
		t.Error("a failure without a kind gets no advice")
	}
}
