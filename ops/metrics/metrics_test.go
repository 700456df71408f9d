package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestMetricsAreExported(t *testing.T) {
	m := New()
	m.Signup("start", "")
	m.Signup("verify", "code-rejected")
	m.CodeFailed()
	m.Mail("sent")
	m.DNSCheck("challenge", "verified")
	m.Takeover("external", "done")
	m.TakeoverBatch()
	m.SSHSession(1)
	m.HTTP("POST /v1/signups", 202, 3*time.Millisecond)
	m.MailOverdue(func() time.Duration { return 90 * time.Second })
	out := scrape(t, m)
	for _, want := range []string{
		`selfserve_signups_total{result="ok",step="start"} 1`,
		`selfserve_signups_total{result="code-rejected",step="verify"} 1`,
		`selfserve_code_failures_total 1`,
		`selfserve_mail_total{state="sent"} 1`,
		`selfserve_dns_checks_total{kind="challenge",outcome="verified"} 1`,
		`selfserve_takeovers_total{kind="external",result="done"} 1`,
		`selfserve_takeover_batches_total 1`,
		`selfserve_ssh_sessions 1`,
		`selfserve_http_request_duration_seconds_count{code="2xx",route="POST /v1/signups"} 1`,
		`selfserve_mail_queue_overdue_seconds 90`,
		`go_goroutines`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// A nil *Metrics is what commands that export nothing hold.
func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics
	m.Signup("start", "")
	m.CodeFailed()
	m.Mail("sent")
	m.DNSCheck("challenge", "verified")
	m.Takeover("internal", "done")
	m.TakeoverBatch()
	m.SSHSession(1)
	m.HTTP("GET /", 200, time.Millisecond)
	m.MailOverdue(func() time.Duration { return time.Hour })
}
