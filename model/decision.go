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

// RefuseSignup is the refusal for a blocked outcome, nil for any other.
// dirName is the directory's name, or empty when the domain has none yet
// and the operator's defaults for new directories decide.
func RefuseSignup(dirName, domain string, o Outcome) error {
	if !o.Blocked() {
		return nil
	}
	return &SignupBlockedError{Directory: dirName, Domain: domain, Outcome: o}
}

// SignupBlockedError is a sign-up that a switch refuses; its message names
// the switch, as PRODUCT.md §3 asks.
type SignupBlockedError struct {
	Directory string // empty: a new directory under the operator's defaults
	Domain    string
	Outcome   Outcome // BlockedEmailVerified or BlockedAdHoc
}

// Switch names the switch that is off.
func (e *SignupBlockedError) Switch() string {
	if e.Outcome == BlockedEmailVerified {
		return "AllowEmailVerifiedUsers"
	}
	return "AllowAdHocSubscriptions"
}

func (e *SignupBlockedError) Error() string {
	dir := "directory " + e.Directory
	if e.Directory == "" {
		dir = "a new directory for " + e.Domain + " (operator's defaults)"
	}
	what := "self-service sign-up"
	if e.Outcome == BlockedEmailVerified {
		what = "new email-verified users"
	}
	return fmt.Sprintf("%v: %s does not allow %s (%s is off)", ErrRefused, dir, what, e.Switch())
}

// Unwrap makes the error a refusal of the ErrRefused class.
func (e *SignupBlockedError) Unwrap() error { return ErrRefused }
