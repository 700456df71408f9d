package tui

import (
	"context"
	"strings"
	"testing"

	"selfserve/model"
	"selfserve/ops"
)

// TestTUIListScreensReadInInit (issue 11 points 1 and 3): the audit,
// outbox and services screens read when their Init command runs, not
// when they are made, so a screen opened later shows what was written in
// between.
func TestTUIListScreensReadInInit(t *testing.T) {
	st := activityStore(t)
	c := NewCommon(context.Background(), (&ops.Console{Store: st}).As(ops.Viewer{}), asciiRenderer())
	screens := map[string]screen{"audit": newAuditScreen(c), "outbox": newOutboxScreen(c), "services": newServicesScreen(c)}
	if _, err := st.PutService(model.Operator, model.Service{Name: "viva", Takeover: model.Migrate}); err != nil {
		t.Fatal(err)
	}
	addr, err := model.ParseAddress("xena@northwind01.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.StartSignup(addr, "rms", true, func(code string) model.Message {
		return model.Message{Time: fixed, To: addr.String(), Subject: "Your code", Body: code}
	}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"audit": "new viva", "outbox": "xena@northwind01.example", "services": "viva"} {
		s := screens[name]
		s.SetSize(120, 30)
		if cmd := s.Init(); cmd != nil {
			s.Update(cmd())
		}
		if !strings.Contains(s.View(), want) {
			t.Errorf("%s screen opened after the change lacks %q:\n%s", name, want, s.View())
		}
	}
}

// TestTUIListScreenEmpty (issue 11 points 4 and 8): an empty outbox
// says so whole at 60 columns, and offers no enter until a mail is there
// to open.
func TestTUIListScreenEmpty(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{}, 60, 16)
	r.keys("o")
	r.wantView("  No mail kept: sign-ups and invitations leave their mails\n  here.")
	if f := r.footer(); strings.Contains(f, "enter") {
		t.Errorf("an empty outbox offers enter: %q", f)
	}
	r = newRunner(t, activityStore(t), Options{}, 60, 16)
	r.keys("o")
	if f := r.footer(); !strings.Contains(f, "enter open") {
		t.Errorf("an outbox with mail does not offer enter: %q", f)
	}
}
