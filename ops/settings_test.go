package ops_test

import (
	"errors"
	"testing"
	"time"

	"selfserve/demo"
	"selfserve/model"
	"selfserve/ops"
)

// Issue 11 point 1: the command line's settings, catalogue, config, audit
// and domain list go through a session too, so an admin named with --as
// gets exactly what their console would, and the operator's writes are
// the operator's alone.
func TestSessionWritesOfTheCommandLine(t *testing.T) {
	c, _ := fixture(t)
	admin, operator := withFabrikam(t, c)

	// A change touches only the switch it names, and is the admin's.
	d, err := admin.ChangeSwitches("fabrikam.com", func(sw model.Switches) model.Switches {
		sw.AllowAdHocSubscriptions = false
		return sw
	})
	if err != nil || d.Switches != (model.Switches{AllowEmailVerifiedUsers: true}) {
		t.Fatalf("ChangeSwitches as the admin: %+v, %v", d.Switches, err)
	}
	entries, _ := operator.Audit(1)
	if len(entries) != 1 || entries[0].Action != model.ActionSettingsChange || entries[0].Actor != "boss@fabrikam.com" {
		t.Errorf("the change is audited as the admin: %+v", entries)
	}
	if _, err := admin.ChangeSwitches(demo.Bellows, func(sw model.Switches) model.Switches { return sw }); !errors.Is(err, model.ErrForbidden) {
		t.Errorf("ChangeSwitches of a directory out of reach: %v", err)
	}
	recs, err := admin.Domains()
	if err != nil || len(recs) != 1 || recs[0].Domain != "fabrikam.com" {
		t.Errorf("Domains as the admin = %+v, %v; want fabrikam.com only", recs, err)
	}
	if all, err := operator.Domains(); err != nil || len(all) != 2 {
		t.Errorf("Domains as the operator = %+v, %v", all, err)
	}

	keep := func(sw model.Switches) model.Switches { return sw }
	operatorOnly := map[string]func(s *ops.Session) error{
		"ChangeDefaultSwitches": func(s *ops.Session) error { _, err := s.ChangeDefaultSwitches(keep); return err },
		"ChangeDNSConfig": func(s *ops.Session) error {
			_, err := s.ChangeDNSConfig(func(c ops.DNSConfig) ops.DNSConfig { return c })
			return err
		},
		"AuditSince": func(s *ops.Session) error { _, err := s.AuditSince(time.Time{}, 0); return err },
		"PutService": func(s *ops.Session) error {
			_, err := s.PutService(model.Service{Name: "teams", Takeover: model.Remap})
			return err
		},
		"AddConsumerDomain":    func(s *ops.Session) error { return s.AddConsumerDomain("mail.example") },
		"RemoveConsumerDomain": func(s *ops.Session) error { return s.RemoveConsumerDomain("mail.example") },
	}
	for _, name := range []string{"ChangeDefaultSwitches", "ChangeDNSConfig", "AuditSince", "PutService", "AddConsumerDomain", "RemoveConsumerDomain"} {
		if err := operatorOnly[name](admin); !errors.Is(err, ops.ErrOperatorOnly) {
			t.Errorf("%s as an admin: %v, want the operator's only", name, err)
		}
		if err := operatorOnly[name](operator); err != nil {
			t.Errorf("%s as the operator: %v", name, err)
		}
	}
}

// withFabrikam adds to c a managed fabrikam.com whose global admin is
// boss@fabrikam.com, and returns boss's session and the operator's.
func withFabrikam(t *testing.T, c *ops.Console) (admin, operator *ops.Session) {
	t.Helper()
	l := c.Store.NewLoader()
	l.Directory(model.Directory{ID: "fabrikam0001", Name: "fabrikam.com", State: model.Managed,
		Domains: []string{"fabrikam.com"}, GlobalAdmins: []string{"boss@fabrikam.com"},
		Switches: model.Switches{AllowEmailVerifiedUsers: true, AllowAdHocSubscriptions: true}})
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	boss, err := model.ParseAddress("boss@fabrikam.com")
	if err != nil {
		t.Fatal(err)
	}
	return c.As(ops.Viewer{Admin: boss}), c.As(ops.Viewer{})
}
