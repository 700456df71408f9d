package ops

import (
	"time"

	"selfserve/model"
)

// The reads below pass straight to the store; they are here so the
// console holds an ops value and never the store (one way in). Which of
// them a viewer may make is the caller's to check with Allow or Visible.

// Now is the store's clock.
func (c *Console) Now() time.Time { return c.Store.Now() }

// Directory reads a directory by id or domain.
func (c *Console) Directory(ref string) (model.Directory, error) { return c.Store.Directory(ref) }

// Summary reads a directory with its counts.
func (c *Console) Summary(ref string) (DirectorySummary, error) { return c.Store.Summary(ref) }

// Directories lists the directories in state ("" for all), by name.
func (c *Console) Directories(state model.State) ([]DirectorySummary, error) {
	return c.Store.Directories(state)
}

// DomainsFrom pages through the domains from from on.
func (c *Console) DomainsFrom(from string, limit int) ([]model.DomainRecord, error) {
	return c.Store.DomainsFrom(from, limit)
}

// Users lists a directory's users after afterKey.
func (c *Console) Users(ref, afterKey string, limit int) ([]model.User, error) {
	return c.Store.Users(ref, afterKey, limit)
}

// UsersFrom pages forward through a directory's users from fromKey on.
func (c *Console) UsersFrom(ref, fromKey string, limit int) ([]model.User, error) {
	return c.Store.UsersFrom(ref, fromKey, limit)
}

// UsersBefore pages backward through a directory's users before beforeKey.
func (c *Console) UsersBefore(ref, beforeKey string, limit int) ([]model.User, error) {
	return c.Store.UsersBefore(ref, beforeKey, limit)
}

// User reads one user of a directory and their mappings.
func (c *Console) User(ref string, addr model.Address) (model.User, []model.Mapping, error) {
	return c.Store.User(ref, addr)
}

// Outbox reads the mail kept instead of sent.
func (c *Console) Outbox() ([]model.Message, error) { return c.Store.Outbox() }

// Services lists the services users sign up for.
func (c *Console) Services() ([]model.Service, error) { return c.Store.Services() }

// SetSwitches sets a directory's switches as v, audited under v's name.
func (c *Console) SetSwitches(ref string, v Viewer, want model.Switches) (model.Directory, error) {
	return c.Store.SetSwitches(ref, v.Actor(), v.IsOperator(), func(model.Switches) model.Switches { return want })
}
