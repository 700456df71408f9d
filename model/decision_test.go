package model

import "testing"

// The table of PRODUCT.md §3, cell by cell, written out independently of
// Decide's branches.
func TestDecideEveryCell(t *testing.T) {
	on, off := true, false
	cols := []Switches{
		{AllowEmailVerifiedUsers: on, AllowAdHocSubscriptions: on},
		{AllowEmailVerifiedUsers: off, AllowAdHocSubscriptions: on},
		{AllowEmailVerifiedUsers: on, AllowAdHocSubscriptions: off},
		{AllowEmailVerifiedUsers: off, AllowAdHocSubscriptions: off},
	}
	want := map[Scenario][4]Outcome{
		NewUserSignup:           {CreateUser, BlockedEmailVerified, BlockedAdHoc, BlockedAdHoc},
		ExistingUserSignup:      {GrantService, GrantService, BlockedAdHoc, BlockedAdHoc},
		NewUserExemptTrial:      {CreateUser, BlockedEmailVerified, CreateUser, BlockedEmailVerified},
		ExistingUserExemptTrial: {GrantService, GrantService, GrantService, GrantService},
		B2BInviteNewUser:        {MemberAndGuest, GuestOnly, MemberAndGuest, GuestOnly},
	}
	if len(want) != len(Scenarios) {
		t.Fatalf("table has %d rows, Scenarios %d", len(want), len(Scenarios))
	}
	for s, row := range want {
		for i, sw := range cols {
			if got := Decide(s, sw); got != row[i] {
				t.Errorf("Decide(%s, %+v) = %s, want %s", s, sw, got, row[i])
			}
		}
	}
}

func TestSignupScenario(t *testing.T) {
	cases := []struct {
		exists, exempt bool
		want           Scenario
	}{
		{false, false, NewUserSignup},
		{true, false, ExistingUserSignup},
		{false, true, NewUserExemptTrial},
		{true, true, ExistingUserExemptTrial},
	}
	for _, c := range cases {
		if got := SignupScenario(c.exists, c.exempt); got != c.want {
			t.Errorf("SignupScenario(%v,%v) = %s, want %s", c.exists, c.exempt, got, c.want)
		}
	}
}

func TestDecisionTableOrderAndBlockedMessages(t *testing.T) {
	rows := DecisionTable(Switches{AllowEmailVerifiedUsers: false, AllowAdHocSubscriptions: true})
	if rows[0].Scenario != NewUserSignup || rows[0].Outcome != BlockedEmailVerified || len(rows) != 5 {
		t.Fatalf("unexpected table %+v", rows)
	}
	if err := RefuseSignup("x.com", "x.com", BlockedEmailVerified); err == nil || !contains(err.Error(), "AllowEmailVerifiedUsers") {
		t.Errorf("blocked-email-verified message must name the switch: %v", err)
	}
	if err := RefuseSignup("x.com", "x.com", BlockedAdHoc); err == nil || !contains(err.Error(), "AllowAdHocSubscriptions") {
		t.Errorf("blocked-adhoc message must name the switch: %v", err)
	}
	if RefuseSignup("x.com", "x.com", CreateUser) != nil {
		t.Error("create-user is not a refusal")
	}
}
