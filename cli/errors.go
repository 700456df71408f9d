package cli

import (
	"errors"
	"fmt"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/store"
)

// advise adds what the user can do, in command-line words, to a failure
// that the layers below only name and describe (issue 11 point 2: store
// and model return sentinels and facts; the console words the same facts
// for its keys). The first kind that matches gives the advice.
//
// A damaged database is never repaired in place (issue 10 point 1): the
// way back is a backup, restored beside the damaged copy.
func advise(err error) error {
	if say := advice(err); say != "" {
		return fmt.Errorf("%w; %s", err, say)
	}
	return err
}

// adviceFor is the command line's advice per failure kind, most specific
// first (a reason before its class).
var adviceFor = []struct {
	kind error
	say  string
}{
	{store.ErrDamaged, "restore a backup into a new directory (selfserve restore BACKUP --db NEWDIR) and use that"},
	{store.ErrDiskFull, "free disk space there (or move --db to a larger disk), then try again"},
	{store.ErrNotSaved, "free disk space or check the database directory, then try again"},
	{store.ErrUnreachable, "check the database server and the URL in --db (or SELFSERVE_DB); if it says the outcome is unknown, look whether the change was made before running it again"},
	{store.ErrNoDatabase, "check --db (or SELFSERVE_DB), or start one with signup start or demo"},
	{store.ErrForeignDir, "give --db an empty or new directory"},
	{store.ErrCodeKey, "if the file is damaged, remove it and a new key is made (codes sent before then stop working)"},
	{store.ErrBusy, "close it (or wait longer with --lock-timeout) and try again"},
	{model.ErrNoDirectory, "see selfserve directory list"},
	{model.ErrUnknownService, "see selfserve service list"},
	{model.ErrNothingToTakeOver, "to add it to your managed directory use --into DIR"},
	{model.ErrChallengeExpired, "run selfserve domain challenge again and publish the new record"},
	{model.ErrProofChanged, "run selfserve domain challenge again, publish the record it shows and verify again"},
	{model.ErrNotMember, "sign up first with an address at that domain, or use --into DIR for an external takeover"},
	{model.ErrTakeoverRunning, "try again in a minute"},
	{model.ErrBlockedByPlan, "review with --dry-run, then use --force to go ahead and drop those grants"},
	{ops.ErrNotSent, "check --smtp (or SELFSERVE_SMTP) and run the command again"},
}

func advice(err error) string {
	var none *model.NoChallengeError
	if errors.As(err, &none) {
		return fmt.Sprintf("run selfserve domain challenge %s --as %s first", none.Domain, none.Admin)
	}
	var blocked *model.SignupBlockedError
	if errors.As(err, &blocked) {
		return "ask its admin"
	}
	for _, a := range adviceFor {
		if errors.Is(err, a.kind) {
			return a.say
		}
	}
	return ""
}
