// Package metrics is what selfserve serve exports at /metrics, in the
// Prometheus format: sign-ups by outcome, codes, mail, DNS checks,
// takeovers, HTTP latency and SSH sessions. A nil *Metrics records
// nothing, so commands that export nothing pass none.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds one server's collectors in their own registry, so two
// servers in one test process do not collide.
type Metrics struct {
	reg             *prometheus.Registry
	signups         *prometheus.CounterVec
	codeFailures    prometheus.Counter
	mail            *prometheus.CounterVec
	dnsChecks       *prometheus.CounterVec
	takeovers       *prometheus.CounterVec
	takeoverBatches prometheus.Counter
	httpDuration    *prometheus.HistogramVec
	sshSessions     prometheus.Gauge
}

// New registers every collector, the Go runtime's and the process's too.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		signups: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "selfserve_signups_total",
			Help: "Sign-up steps by step (start, verify) and result (ok or the refusal's reason)."}, []string{"step", "result"}),
		codeFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "selfserve_code_failures_total",
			Help: "Sign-up codes that were not accepted."}),
		mail: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "selfserve_mail_total",
			Help: "Mail by state reached: queued, sent, retried, failed."}, []string{"state"}),
		dnsChecks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "selfserve_dns_checks_total",
			Help: "DNS checks of challenges and re-checks by outcome."}, []string{"kind", "outcome"}),
		takeovers: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "selfserve_takeovers_total",
			Help: "Takeovers by kind (internal, external) and result."}, []string{"kind", "result"}),
		takeoverBatches: prometheus.NewCounter(prometheus.CounterOpts{Name: "selfserve_takeover_batches_total",
			Help: "Batches of users moved by external takeovers."}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "selfserve_http_request_duration_seconds",
			Help: "HTTP requests by route and status class.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)},
			[]string{"route", "code"}),
		sshSessions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "selfserve_ssh_sessions",
			Help: "SSH console sessions open now."}),
	}
	m.reg.MustRegister(m.signups, m.codeFailures, m.mail, m.dnsChecks, m.takeovers, m.takeoverBatches,
		m.httpDuration, m.sshSessions, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// MailOverdue exports, read at each scrape, how long the most overdue
// queued mail has waited past its time: 0 while the courier keeps up,
// growing while the relay is down.
func (m *Metrics) MailOverdue(overdue func() time.Duration) {
	if m == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "selfserve_mail_queue_overdue_seconds",
		Help: "How long the most overdue queued mail has waited past its time (0: none)."},
		func() float64 { return max(0, overdue().Seconds()) }))
}

// Signup counts a sign-up step; reason is "" when it succeeded.
func (m *Metrics) Signup(step, reason string) {
	if m == nil {
		return
	}
	if reason == "" {
		reason = "ok"
	}
	m.signups.WithLabelValues(step, reason).Inc()
}

// CodeFailed counts a code that was not accepted.
func (m *Metrics) CodeFailed() {
	if m != nil {
		m.codeFailures.Inc()
	}
}

// Mail counts a message reaching state.
func (m *Metrics) Mail(state string) {
	if m != nil {
		m.mail.WithLabelValues(state).Inc()
	}
}

// DNSCheck counts a check of kind (challenge, recheck) by outcome.
func (m *Metrics) DNSCheck(kind, outcome string) {
	if m != nil {
		m.dnsChecks.WithLabelValues(kind, outcome).Inc()
	}
}

// Takeover counts a takeover of kind by result.
func (m *Metrics) Takeover(kind, result string) {
	if m != nil {
		m.takeovers.WithLabelValues(kind, result).Inc()
	}
}

// TakeoverBatch counts one batch of moved users.
func (m *Metrics) TakeoverBatch() {
	if m != nil {
		m.takeoverBatches.Inc()
	}
}

// SSHSession counts a session opening (+1) or closing (-1).
func (m *Metrics) SSHSession(delta int) {
	if m != nil {
		m.sshSessions.Add(float64(delta))
	}
}

// HTTP records one request's duration under its route pattern (never
// the raw path, whose values a client chooses).
func (m *Metrics) HTTP(route string, status int, d time.Duration) {
	if m != nil {
		m.httpDuration.WithLabelValues(route, statusClass(status)).Observe(d.Seconds())
	}
}

func statusClass(code int) string {
	return string(rune('0'+code/100)) + "xx"
}
