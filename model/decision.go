package model

import "fmt"

// Switches are a directory's two self-service settings (the seed's
// Set-MsolCompanySettings parameters).
type Switches struct {
	AllowEmailVerifiedUsers bool `json:"allowEmailVerifiedUsers"`
	AllowAdHocSubscriptions bool `json:"allowAdHocSubscriptions"`
}

// Scenario is one row of the decision table.
type Scenario string

const (
	NewUserSignup           Scenario = "new-user-signup"
	ExistingUserSignup      Scenario = "existing-user-signup"
	NewUserExemptTrial      Scenario = "new-user-exempt-trial"
	ExistingUserExemptTrial Scenario = "existing-user-exempt-trial"
	B2BInviteNewUser        Scenario = "b2b-invite-new-user"
)

// Scenarios lists the table's rows in the order PRODUCT.md §3 shows them.
var Scenarios = []Scenario{NewUserSignup, ExistingUserSignup, NewUserExemptTrial, ExistingUserExemptTrial, B2BInviteNewUser}

// Outcome is one cell of the decision table.
type Outcome string

const (
	CreateUser           Outcome = "create-user"
	GrantService         Outcome = "grant-service"
	BlockedEmailVerified Outcome = "blocked-email-verified"
	BlockedAdHoc         Outcome = "blocked-adhoc"
	MemberAndGuest       Outcome = "member-and-guest"
	GuestOnly            Outcome = "guest-only"
)

// Blocked reports whether the outcome refuses the request.
func (o Outcome) Blocked() bool { return o == BlockedEmailVerified || o == BlockedAdHoc }

// SignupScenario names the row a sign-up falls in.
func SignupScenario(userExists, exemptService bool) Scenario {
	switch {
	case exemptService && userExists:
		return ExistingUserExemptTrial
	case exemptService:
		return NewUserExemptTrial
	case userExists:
		return ExistingUserSignup
	default:
		return NewUserSignup
	}
}

// Decide is the decision table: the one place that says what the two
// switches allow. AllowEmailVerifiedUsers decides whether a new
// email-verified user may be created; AllowAdHocSubscriptions whether
// anyone may sign themselves up, except for exempt trials (Flow,
// PowerApps), which ignore it. A new user blocked by both switches is
// reported as blocked-adhoc, the broader of the two.
func Decide(s Scenario, sw Switches) Outcome {
	switch s {
	case NewUserSignup:
		switch {
		case !sw.AllowAdHocSubscriptions:
			return BlockedAdHoc
		case !sw.AllowEmailVerifiedUsers:
			return BlockedEmailVerified
		}
		return CreateUser
	case ExistingUserSignup:
		if !sw.AllowAdHocSubscriptions {
			return BlockedAdHoc
		}
		return GrantService
	case NewUserExemptTrial:
		if !sw.AllowEmailVerifiedUsers {
			return BlockedEmailVerified
		}
		return CreateUser
	case ExistingUserExemptTrial:
		return GrantService
	case B2BInviteNewUser:
		if !sw.AllowEmailVerifiedUsers {
			return GuestOnly
		}
		return MemberAndGuest
	}
	panic(fmt.Sprintf("model.Decide: unknown scenario %q", s))
}

// TableRow is one scenario and its outcome under some switches.
type TableRow struct {
	Scenario Scenario `json:"scenario"`
	Outcome  Outcome  `json:"outcome"`
}

// DecisionTable evaluates every scenario under sw.
func DecisionTable(sw Switches) []TableRow {
	rows := make([]TableRow, len(Scenarios))
	for i, s := range Scenarios {
		rows[i] = TableRow{Scenario: s, Outcome: Decide(s, sw)}
	}
	return rows
}

// BlockedError is the refusal for a blocked outcome; its message names the
// switch, as PRODUCT.md §3 asks.
func BlockedError(dirName string, o Outcome) error {
	switch o {
	case BlockedEmailVerified:
		return fmt.Errorf("%w: directory %s does not allow new email-verified users (AllowEmailVerifiedUsers is off); ask its admin", ErrRefused, dirName)
	case BlockedAdHoc:
		return fmt.Errorf("%w: directory %s does not allow self-service sign-up (AllowAdHocSubscriptions is off); ask its admin", ErrRefused, dirName)
	}
	return nil
}
