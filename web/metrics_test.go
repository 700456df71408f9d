package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"selfserve/ops"
	"selfserve/ops/metrics"
	"selfserve/store"
)

// /metrics counts the sign-ups made through the server by outcome and
// times each request by its route, never by a path a client chose.
func TestMetricsCountSignups(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	srv := httptest.NewServer(New(&ops.Console{Store: st, Metrics: m}, Options{Metrics: m}))
	t.Cleanup(func() { srv.Close(); st.Close() })
	s := &service{st: st, srv: srv}
	s.signUp(t, "dan@bellowscollege.com", "rms")
	s.post(t, "/v1/signups/verify", verifyRequest{"dan@bellowscollege.com", "000000"})
	s.post(t, "/v1/signups", startRequest{"someone@gmail.com", "rms"})
	s.do(t, "GET", "/v1/problems/"+strings.Repeat("x", 40), "", nil)

	out := s.do(t, "GET", "/metrics", "", nil)
	if out.status != http.StatusOK {
		t.Fatalf("/metrics: %d", out.status)
	}
	body := string(out.body)
	for _, want := range []string{
		`selfserve_signups_total{result="ok",step="start"} 1`,
		`selfserve_signups_total{result="ok",step="verify"} 1`,
		`selfserve_signups_total{result="code-rejected",step="verify"} 1`,
		`selfserve_signups_total{result="consumer-domain",step="start"} 1`,
		`selfserve_code_failures_total 1`,
		`selfserve_http_request_duration_seconds_count{code="2xx",route="POST /v1/signups"} 1`,
		`selfserve_http_request_duration_seconds_count{code="4xx",route="GET /v1/problems/{name}"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, strings.Repeat("x", 40)) {
		t.Error("a path a client chose became a label")
	}
}
