package tui

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"selfserve/model"
	"selfserve/ops"
)

// TestAdvice: every refusal the wizard can meet gets advice in console
// words, never the command line's, and the keys the advice names are
// exactly the keys it lets the wizard offer.
func TestAdvice(t *testing.T) {
	st := fixtureStore(t)
	operator := NewCommon(nil, (&ops.Console{Store: st}).As(ops.Viewer{}), asciiRenderer())
	addr, err := model.ParseAddress("admin@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	admin := NewCommon(nil, (&ops.Console{Store: st}).As(ops.Viewer{Admin: addr}), asciiRenderer())
	demo := operator
	demo.Publish = func(model.RecordSpec) error { return nil }
	wrapped := func(kind error) error { return fmt.Errorf("%w: some facts", kind) }
	for _, tc := range []struct {
		c    Common
		err  error
		say  string
		keys remedy
	}{
		{operator, &model.NoChallengeError{Domain: "bellowscollege.com", Admin: "dan@bellowscollege.com"}, "Press c to issue a new challenge", reissue},
		{operator, wrapped(model.ErrChallengeExpired), "Press c to issue a new challenge", reissue},
		{operator, wrapped(model.ErrProofChanged), "Press c to issue a new challenge", reissue},
		{operator, wrapped(model.ErrNotMember), "type the address of one, or choose External and pick your directory", 0},
		{admin, wrapped(model.ErrNotMember), "choose External and pick your directory", 0},
		{demo, wrapped(model.ErrNotVerified), "Press p to publish the record to the demo DNS", retry | publish},
		{operator, wrapped(model.ErrNotVerified), "at the domain's DNS provider, then press r", retry},
		{operator, wrapped(model.ErrTooManyChecks), "press r to check again", retry},
		{operator, &model.BlockedMergeError{Services: []string{"powerbi"}}, "f forces the merge", retry},
		{operator, wrapped(model.ErrTakeoverRunning), "Wait for it to finish, then press r", retry},
		{operator, wrapped(model.ErrTryAgain), "Press r to try again", retry},
		{operator, errors.New("read tcp 127.0.0.1:53: connection reset"), "Press r to try again", retry},
		{operator, wrapped(model.ErrNoDirectory), "go back to the directory list", 0},
		{operator, wrapped(model.ErrNothingToTakeOver), "go back to the directory list", 0},
		{operator, wrapped(model.ErrForbidden), "Act as someone who may", 0},
	} {
		got := advice(tc.c, tc.err)
		if !strings.Contains(got.say, tc.say) || got.keys != tc.keys {
			t.Errorf("advice(%v) = %q keys %b, want %q keys %b", tc.err, got.say, got.keys, tc.say, tc.keys)
		}
		for _, cli := range []string{"--", "selfserve ", "step "} {
			if strings.Contains(got.say, cli) {
				t.Errorf("advice(%v) = %q: command-line words %q", tc.err, got.say, cli)
			}
		}
	}
	if got := advice(operator, nil); got != (counsel{}) {
		t.Errorf("advice(nil) = %+v, want none", got)
	}
}
