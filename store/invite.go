package store

import (
	"fmt"
	"slices"

	"selfserve/model"
	"selfserve/store/engine"
)

// InviteResult says what a B2B invitation created.
type InviteResult struct {
	Outcome     model.Outcome    `json:"outcome"`
	Guest       model.User       `json:"guest"`
	Home        *model.Directory `json:"home,omitempty"`
	HomeUser    *model.User      `json:"homeUser,omitempty"`
	CreatedHome bool             `json:"createdHome"`
}

// Invite applies the b2b-invite-new-user row of the decision table: a
// member at the invitee's home directory when its switches allow, and a
// guest in the inviting directory either way. send delivers the invitation
// before the transaction commits, so an invitation whose mail failed is
// not saved and can simply be sent again; a nil send keeps the mail in the
// outbox, in the same transaction.
func (s *Store) Invite(from string, admin, invitee model.Address, compose func(InviteResult) model.Message, send func(model.Message) error) (InviteResult, error) {
	var res InviteResult
	sent := false
	err := s.update(func(txn engine.Txn) error {
		res = InviteResult{}
		x, err := resolve(txn, from)
		if err != nil {
			return err
		}
		if x.State != model.Managed || !x.IsAdmin(admin.Key()) {
			return fmt.Errorf("%w: %s is not a global admin of %s; only its global admins may invite guests", model.ErrForbidden, admin, x.Name)
		}
		if slices.Contains(x.Domains, invitee.Domain) {
			return fmt.Errorf("%w: %s is at a domain of %s itself; they sign up as members, not guests", model.ErrRefused, invitee, x.Name)
		}
		var existing model.User
		if found, err := get(txn, userKey(x.ID, invitee.Key()), &existing); err != nil {
			return err
		} else if found {
			return fmt.Errorf("%w: %s is already a %s of %s", model.ErrConflict, invitee, existing.Kind, x.Name)
		}
		if err := s.inviteHome(txn, admin, invitee, &res); err != nil {
			return err
		}
		guest, err := s.createUser(txn, x.ID, invitee, model.Guest, model.Invited, "", admin.Key())
		if err != nil {
			return err
		}
		if res.HomeUser != nil {
			guest.HomeUser = res.HomeUser.ID
			if err := put(txn, userKey(x.ID, invitee.Key()), guest); err != nil {
				return err
			}
		}
		res.Guest = guest
		if err := s.audit(txn, admin.Key(), model.ActionInvite, x.ID, nil, res); err != nil {
			return err
		}
		if send == nil {
			return s.keepMessage(txn, compose(res))
		}
		if sent {
			return nil // a conflict retry: the invitation already went out
		}
		if err := send(compose(res)); err != nil {
			return err
		}
		sent = true
		return nil
	})
	return res, err
}

// inviteHome decides and creates the invitee's home member, if any.
func (s *Store) inviteHome(txn engine.Txn, admin, invitee model.Address, res *InviteResult) error {
	consumer, err := consumerDomains(txn)
	if err != nil {
		return err
	}
	if consumer.Contains(invitee.Domain) || model.IsPublicSuffix(invitee.Domain) {
		// Such addresses never have a home directory.
		res.Outcome = model.GuestOnly
		return nil
	}
	rec, err := domainRecord(txn, invitee.Domain)
	if err != nil {
		return err
	}
	var home model.Directory
	if rec == nil {
		sw, err := defaultSwitches(txn)
		if err != nil {
			return err
		}
		if res.Outcome = model.Decide(model.B2BInviteNewUser, sw); res.Outcome != model.MemberAndGuest {
			return nil
		}
		if home, err = s.createDirectory(txn, invitee.Domain, admin.Key()); err != nil {
			return err
		}
		res.CreatedHome = true
	} else {
		if home, err = directory(txn, rec.Directory); err != nil {
			return err
		}
		if home.Job != "" {
			return fmt.Errorf("%w: %s is being taken over right now", model.ErrTakeoverRunning, home.Name)
		}
		var u model.User
		found, err := get(txn, userKey(home.ID, invitee.Key()), &u)
		if err != nil {
			return err
		}
		if found && u.Kind == model.Member {
			// Already at home: only the guest, linked to that member.
			res.Outcome, res.Home, res.HomeUser = model.GuestOnly, &home, &u
			return nil
		}
		if res.Outcome = model.Decide(model.B2BInviteNewUser, home.Switches); res.Outcome != model.MemberAndGuest {
			res.Home = &home
			return nil
		}
		if found {
			// A guest at home (invited before its domain joined) is the
			// same person: it becomes the member.
			before := u
			u.Kind = model.Member
			res.Home, res.HomeUser = &home, &u
			if err := put(txn, userKey(home.ID, invitee.Key()), u); err != nil {
				return err
			}
			return s.audit(txn, admin.Key(), model.ActionUserMember, home.ID+"/"+invitee.Key(), before, u)
		}
	}
	res.Home = &home
	// AllowEmailVerifiedUsers allowed it, so it is an email-verified member.
	u, err := s.createUser(txn, home.ID, invitee, model.Member, model.EmailVerified, "", admin.Key())
	res.HomeUser = &u
	return err
}
