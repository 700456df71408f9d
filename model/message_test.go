package model

import (
	"testing"
	"time"
)

func TestMailRetries(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	m := Message{State: MailQueued, Next: now}
	var total time.Duration
	for i := 1; i < MailMaxAttempts; i++ {
		m.Failed(now, "421 try later", false)
		if m.State != MailQueued || m.Attempts != i {
			t.Fatalf("after %d failures: %+v", i, m)
		}
		wait := m.Next.Sub(now)
		if wait < 30*time.Second || wait > 2*time.Hour {
			t.Errorf("attempt %d waits %v", i, wait)
		}
		total += wait
	}
	if total < 6*time.Hour {
		t.Errorf("a mail is given up after %v of retries; a relay down for a night must not lose it", total)
	}
	m.Failed(now, "421 try later", false)
	if m.State != MailFailed {
		t.Errorf("after %d attempts the mail is %s, want failed", MailMaxAttempts, m.State)
	}
	p := Message{State: MailQueued}
	p.Failed(now, "550 no such user", true)
	if p.State != MailFailed || p.Attempts != 1 || p.LastError != "550 no such user" {
		t.Errorf("a permanent refusal: %+v", p)
	}
	d := Message{State: MailQueued, LastError: "x"}
	d.Delivered(now)
	if d.State != MailSent || !d.SentAt.Equal(now) || d.LastError != "" {
		t.Errorf("delivered: %+v", d)
	}
}
