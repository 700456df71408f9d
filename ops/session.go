package ops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"selfserve/model"
	"selfserve/store"
)

// The store's view types under ops' name, so a front end that reaches
// data only through ops (the console) need not import the store.
type (
	Viewer           = store.Viewer
	Reach            = store.Reach
	DirectorySummary = store.DirectorySummary
	ChallengeResult  = store.ChallengeResult
	SignupResult     = store.SignupResult
)

// ErrOperatorOnly refuses an admin what only the operator may read: the
// outbox holds every user's sign-up codes.
var ErrOperatorOnly = fmt.Errorf("%w: only the operator may do that", model.ErrForbidden)

// Session is one viewer's way to the data: every read is filtered for
// the viewer, every write is made and audited as the viewer. A console
// holds one per visitor, so no screen can forget the access rule.
type Session struct {
	c *Console
	v Viewer
}

// As is the session of v on c.
func (c *Console) As(v Viewer) *Session { return &Session{c: c, v: v} }

// Viewer is who the session acts for.
func (s *Session) Viewer() Viewer { return s.v }

// Now is the store's clock.
func (s *Session) Now() time.Time { return s.c.Store.Now() }

// Directory finds the directory ref (an id or a domain, any case) names,
// if the viewer may see it. An admin asking for one that does not exist
// gets the same refusal as for one out of reach: existence is not an
// admin's to learn.
func (s *Session) Directory(ref string) (model.Directory, error) {
	d, err := s.c.Store.Directory(strings.ToLower(ref))
	switch {
	case err == nil:
		err = s.allow(d, ref)
	case errors.Is(err, model.ErrNotFound) && !s.v.IsOperator():
		err = store.NotWithin(ref)
	}
	return d, err
}

// Claimable reads the directory ref names for the takeover wizard, in
// the viewer's reach or not, as `domain challenge` allows any admin to
// claim a domain: the wizard shows its name and counts, never its
// users. inReach says whether the viewer may also browse it.
func (s *Session) Claimable(ref string) (sum DirectorySummary, inReach bool, err error) {
	if sum, err = s.c.Store.Summary(ref); err != nil {
		return sum, false, err
	}
	inReach, err = s.c.Store.Reaches(s.v, sum.Directory)
	return sum, inReach, err
}

// allow refuses a directory out of the viewer's reach; ref is what the
// viewer asked for, so the refusal names it.
func (s *Session) allow(d model.Directory, ref string) error {
	ok, err := s.c.Store.Reaches(s.v, d)
	if err == nil && !ok {
		err = store.NotWithin(ref)
	}
	return err
}

// Summary reads a directory with its counts.
func (s *Session) Summary(ref string) (DirectorySummary, error) {
	if _, err := s.Directory(ref); err != nil {
		return DirectorySummary{}, err
	}
	return s.c.Store.Summary(ref)
}

// Directories lists the directories in state ("" for all) the viewer may
// see, by name. The reach is read afresh for each listing: a takeover
// widens it during a session.
func (s *Session) Directories(state model.State) ([]DirectorySummary, error) {
	list, err := s.c.Store.Directories(state)
	if err != nil || s.v.IsOperator() {
		return list, err
	}
	r, err := s.c.Store.Reach(s.v)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(list, func(d DirectorySummary) bool { return !r.Has(d.ID) }), nil
}

// DomainsFrom pages through the domains from from on, up to limit of
// them, keeping those whose directory the viewer may see; next is where
// the following page starts ("" after the last).
func (s *Session) DomainsFrom(from string, limit int) (recs []model.DomainRecord, next string, err error) {
	recs, err = s.c.Store.DomainsFrom(from, limit)
	if err != nil {
		return nil, "", err
	}
	if len(recs) == limit {
		next = recs[len(recs)-1].Domain + "\x00"
	}
	if s.v.IsOperator() {
		return recs, next, nil
	}
	r, err := s.c.Store.Reach(s.v)
	if err != nil {
		return nil, "", err
	}
	return slices.DeleteFunc(recs, func(d model.DomainRecord) bool { return !r.Has(d.Directory) }), next, nil
}

// within reads a page of ref's users after checking the viewer may.
func within[T any](s *Session, ref string, read func() (T, error)) (T, error) {
	if !s.v.IsOperator() {
		if _, err := s.Directory(ref); err != nil {
			var zero T
			return zero, err
		}
	}
	return read()
}

// Users lists a directory's users after afterKey.
func (s *Session) Users(ref, afterKey string, limit int) ([]model.User, error) {
	return within(s, ref, func() ([]model.User, error) { return s.c.Store.Users(ref, afterKey, limit) })
}

// UsersFrom pages forward through a directory's users from fromKey on.
func (s *Session) UsersFrom(ref, fromKey string, limit int) ([]model.User, error) {
	return within(s, ref, func() ([]model.User, error) { return s.c.Store.UsersFrom(ref, fromKey, limit) })
}

// UsersBefore pages backward through a directory's users before beforeKey.
func (s *Session) UsersBefore(ref, beforeKey string, limit int) ([]model.User, error) {
	return within(s, ref, func() ([]model.User, error) { return s.c.Store.UsersBefore(ref, beforeKey, limit) })
}

// UserRank is how many of a directory's users sort before key.
func (s *Session) UserRank(ctx context.Context, ref, key string) (int64, error) {
	return within(s, ref, func() (int64, error) { return s.c.Store.UserRank(ctx, ref, key) })
}

// userAndMappings is one user with their users-to-resources mappings.
type userAndMappings struct {
	user model.User
	maps []model.Mapping
}

// User reads one user of a directory and their mappings.
func (s *Session) User(ref string, addr model.Address) (model.User, []model.Mapping, error) {
	um, err := within(s, ref, func() (userAndMappings, error) {
		u, m, err := s.c.Store.User(ref, addr)
		return userAndMappings{u, m}, err
	})
	return um.user, um.maps, err
}

// Audit reads the newest n entries the viewer may see: for an admin,
// their own actions, those made under their name, and those on
// directories within their reach.
func (s *Session) Audit(n int) ([]model.AuditEntry, error) {
	if s.v.IsOperator() {
		return s.c.Store.AuditTail(n, nil)
	}
	r, err := s.c.Store.Reach(s.v)
	if err != nil {
		return nil, err
	}
	me := s.v.Actor()
	return s.c.Store.AuditTail(n, func(e model.AuditEntry) bool { return e.Actor == me || e.As == me || r.Covers(e.Target) })
}

// Outbox reads the mail kept instead of sent: the operator's only.
func (s *Session) Outbox() ([]model.Message, error) {
	if !s.v.IsOperator() {
		return nil, ErrOperatorOnly
	}
	return s.c.Store.Outbox()
}

// Services lists the services users sign up for: public to every viewer.
func (s *Session) Services() ([]model.Service, error) { return s.c.Services() }

// Services lists the services users sign up for, for anyone: the sign-up
// page offers them.
func (c *Console) Services() ([]model.Service, error) { return c.Store.Services() }

// SetSwitches sets a directory's switches to want as the viewer.
func (s *Session) SetSwitches(ref string, want model.Switches) (model.Directory, error) {
	if _, err := s.Directory(ref); err != nil {
		return model.Directory{}, err
	}
	return s.c.SetSwitches(ref, s.v, want)
}

// Challenge issues (or repeats) the DNS challenge for admin.
func (s *Session) Challenge(domain, admin string, mode model.ChallengeMode, into string) (ChallengeResult, error) {
	return s.c.challenge(s.v, domain, admin, mode, into)
}

// Verify checks DNS for admin's challenge and, unless a dry run, takes
// the directory over.
func (s *Session) Verify(ctx context.Context, domain, admin string, opt VerifyOptions) (VerifyReport, error) {
	return s.c.verify(ctx, s.v, domain, admin, opt)
}

// Change is what commits touched since a watcher last asked; a Watcher
// hands them out.
type (
	Change  = store.Change
	Watcher = store.Watcher
)

// Watch starts receiving the changes anyone commits from now on, so a
// console redraws when something it shows changed, not on a timer. The
// changes name directories by id; what the viewer may see of them is
// still read through the session.
func (s *Session) Watch() (*Watcher, error) { return s.c.Store.Watch() }
