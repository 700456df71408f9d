package ops

import (
	"time"

	"selfserve/model"
	"selfserve/store"
)

// DNSConfig is the operator's DNS setting, under ops' name.
type DNSConfig = store.DNSConfig

// SetSwitches sets a directory's switches as v, audited under v's name.
func (c *Console) SetSwitches(ref string, v Viewer, want model.Switches) (model.Directory, error) {
	return c.Store.SetSwitches(ref, v.Actor(), v.IsOperator(), func(model.Switches) model.Switches { return want })
}

// ChangeSwitches applies change to the switches ref has when the write
// happens, as the viewer: the command line's flag for one switch leaves
// the other as it is then, whatever another process set a moment before.
func (s *Session) ChangeSwitches(ref string, change func(model.Switches) model.Switches) (model.Directory, error) {
	if _, err := s.Directory(ref); err != nil {
		return model.Directory{}, err
	}
	return s.c.Store.SetSwitches(ref, s.v.Actor(), s.v.IsOperator(), change)
}

// DefaultSwitches reads the switches new directories get.
func (s *Session) DefaultSwitches() (model.Switches, error) { return s.c.Store.DefaultSwitches() }

// ChangeDefaultSwitches changes the switches new directories get: the
// operator's alone, since they decide for domains nobody administers yet.
func (s *Session) ChangeDefaultSwitches(change func(model.Switches) model.Switches) (model.Switches, error) {
	if !s.v.IsOperator() {
		return model.Switches{}, ErrOperatorOnly
	}
	return s.c.Store.SetDefaultSwitches(s.v.Actor(), change)
}

// DNSConfig reads how DNS checks find the servers to ask.
func (s *Session) DNSConfig() (DNSConfig, error) { return s.c.Store.DNSConfig() }

// ChangeDNSConfig changes how DNS checks find the servers to ask: the
// operator's alone.
func (s *Session) ChangeDNSConfig(change func(DNSConfig) DNSConfig) (DNSConfig, error) {
	if !s.v.IsOperator() {
		return DNSConfig{}, ErrOperatorOnly
	}
	return s.c.Store.SetDNSConfig(s.v.Actor(), change)
}

// AuditSince reads the audit log from since on, oldest first, at most
// limit entries (0: all): the operator's, as the whole log is.
func (s *Session) AuditSince(since time.Time, limit int) ([]model.AuditEntry, error) {
	if !s.v.IsOperator() {
		return nil, ErrOperatorOnly
	}
	return s.c.Store.Audit(since, limit)
}
