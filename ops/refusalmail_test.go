package ops_test

import (
	"context"
	"strings"
	"testing"

	"selfserve/model"
	"selfserve/ops"
)

// Issue 11 point 2: when a switch keeps a code from being sent, the mail
// to the address says why in words for the person who asked (the
// directory, the switch, who can change it), not the command line's
// advice, and no error class.
func TestNoCodeMailSaysWhyInMailWords(t *testing.T) {
	c, _ := fixture(t)
	admin := ops.Viewer{} // the operator
	for _, tc := range []struct {
		name string
		sw   model.Switches
		want string
	}{
		{"new members off", model.Switches{AllowEmailVerifiedUsers: false, AllowAdHocSubscriptions: true},
			"the directory bellowscollege.com takes no new members who sign up with their mail address (AllowEmailVerifiedUsers is off). Its administrators can change that."},
	} {
		if _, err := c.As(admin).SetSwitches("bellowscollege.com", tc.sw); err != nil {
			t.Fatal(err)
		}
		msg, err := c.SignupStart(context.Background(), "eve@bellowscollege.com", "rms")
		if err != nil {
			t.Fatalf("%s: a refusal that would tell membership is mailed, not returned: %v", tc.name, err)
		}
		if !strings.Contains(msg.Body, "No code was sent: "+tc.want) {
			t.Errorf("%s: the mail should say %q:\n%s", tc.name, tc.want, msg.Body)
		}
		for _, cli := range []string{"ask its admin", "refused", "selfserve ", "--"} {
			if strings.Contains(msg.Body, cli) {
				t.Errorf("%s: the mail speaks the command line's words (%q):\n%s", tc.name, cli, msg.Body)
			}
		}
	}
}
