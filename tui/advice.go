package tui

import (
	"errors"

	"selfserve/model"
)

// remedy is a set of the takeover wizard's keys that mend a failure.
type remedy uint8

const (
	retry   remedy = 1 << iota // r: the same again (the wizard knows what failed)
	publish                    // p: put the record into the demo DNS and check again
	reissue                    // c: issue a new challenge
)

// counsel is the console's advice for one failure: what to say and the
// keys that say names, so the wizard offers exactly those keys.
type counsel struct {
	say  string
	keys remedy
}

// advice is what the console tells a person to do about err, in the
// console's words and keys: the store and the model name what happened,
// the command line words the same facts with flags (cli/errors.go), and
// this is their console wording (issue 11 point 2). say is "" when the
// message says all there is.
func advice(c Common, err error) counsel {
	switch {
	case err == nil:
		return counsel{}
	case errors.Is(err, model.ErrNoChallenge), errors.Is(err, model.ErrChallengeExpired), errors.Is(err, model.ErrProofChanged):
		return counsel{"Press c to issue a new challenge, then publish its record and check again.", reissue}
	case errors.Is(err, model.ErrNotMember) && c.Ops.Viewer().IsOperator():
		// Only the operator chose whom to act as.
		return counsel{say: "An internal takeover needs one of its users: go back and type the address of one, or choose External and pick your directory to merge it into."}
	case errors.Is(err, model.ErrNotMember):
		return counsel{say: "An internal takeover needs one of its users. To merge it into a directory you administer instead, choose External and pick your directory."}
	case errors.Is(err, model.ErrNothingToTakeOver), errors.Is(err, model.ErrNoDirectory):
		return counsel{say: "It is no longer there to take over (merged away, or nobody signed up): go back to the directory list."}
	case errors.Is(err, model.ErrNotVerified) && c.Publish != nil:
		return counsel{"Press p to publish the record to the demo DNS and check again, or r to check again.", retry | publish}
	case errors.Is(err, model.ErrNotVerified):
		return counsel{"Publish the record at the domain's DNS provider, then press r to check again: a new record can take up to an hour to show.", retry}
	case errors.Is(err, model.ErrTooManyChecks):
		return counsel{"Wait until then, and press r to check again.", retry}
	case errors.Is(err, model.ErrBlockedByPlan):
		return counsel{"The services in use changed since the preview: press r to check again and review the new impact, where f forces the merge.", retry}
	case errors.Is(err, model.ErrTakeoverRunning):
		return counsel{"Wait for it to finish, then press r to try again.", retry}
	case errors.Is(err, model.ErrTryAgain), !model.IsRefusal(err):
		// A busy database, or a failure of the machine (disk, network)
		// rather than a rule: the same request may pass later.
		return counsel{"Press r to try again.", retry}
	case errors.Is(err, model.ErrInvalid):
		return counsel{say: "Go back and correct it."}
	case errors.Is(err, model.ErrForbidden):
		return counsel{say: "Act as someone who may: one of its users for an internal takeover, a global admin of the directory it merges into for an external one."}
	}
	return counsel{}
}
