package ops

import (
	"errors"
	"fmt"

	"selfserve/model"
)

// whyNoCode says, in a mail to the person who asked for a code, why none
// was sent. Only a switch of an existing directory is ever mailed
// (store.StartSignupMail returns every other refusal), and the mail goes
// to someone who may know neither the CLI nor the console: it names the
// directory, what is off and who can change it.
func whyNoCode(reason error) string {
	var b *model.SignupBlockedError
	if !errors.As(reason, &b) {
		return "this sign-up is not allowed."
	}
	what := "does not let people sign themselves up"
	if b.Outcome == model.BlockedEmailVerified {
		what = "takes no new members who sign up with their mail address"
	}
	return fmt.Sprintf("the directory %s %s (%s is off). Its administrators can change that.", b.Directory, what, b.Switch())
}
