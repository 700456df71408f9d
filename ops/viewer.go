package ops

import (
	"errors"
	"slices"
	"strings"

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
)

// Reach is what v may see now. Callers read it afresh for each listing: a
// challenge or a takeover widens it during a session.
func (c *Console) Reach(v Viewer) (Reach, error) { return c.Store.Reach(v) }

// Allow refuses a directory out of v's reach; ref is what v asked for,
// so the refusal names it.
func (c *Console) Allow(v Viewer, d model.Directory, ref string) error {
	ok, err := c.Store.Reaches(v, d)
	if err == nil && !ok {
		err = store.NotWithin(ref)
	}
	return err
}

// Visible keeps the directories of list within v's reach.
func (c *Console) Visible(v Viewer, list []DirectorySummary) ([]DirectorySummary, error) {
	r, err := c.Reach(v)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(list, func(s DirectorySummary) bool { return !r.Has(s.ID) }), nil
}

// DirectoryFor finds the directory ref (an id or a domain, any case)
// names, if v may see it. An admin asking for one that does not exist
// gets the same refusal as for one out of reach: existence is not an
// admin's to learn.
func (c *Console) DirectoryFor(v Viewer, ref string) (model.Directory, error) {
	d, err := c.Store.Directory(strings.ToLower(ref))
	switch {
	case err == nil:
		err = c.Allow(v, d, ref)
	case errors.Is(err, model.ErrNotFound) && !v.IsOperator():
		err = store.NotWithin(ref)
	}
	return d, err
}

// AuditFor reads the newest n entries v may see: for an admin, their own
// actions and those on directories within their reach.
func (c *Console) AuditFor(v Viewer, n int) ([]model.AuditEntry, error) {
	if v.IsOperator() {
		return c.Store.AuditTail(n, nil)
	}
	r, err := c.Reach(v)
	if err != nil {
		return nil, err
	}
	me := v.Actor()
	return c.Store.AuditTail(n, func(e model.AuditEntry) bool { return e.Actor == me || r.Covers(e.Target) })
}
