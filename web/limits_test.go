package web

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"selfserve/ops"
	"selfserve/ops/ratelimit"
	"selfserve/store"
)

// limitedService is a sign-up server allowing 2 starts a minute per
// client, behind a proxy at 127.0.0.1 when trustLoopback.
func limitedService(t *testing.T, trustLoopback bool) *service {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{StartRate: ratelimit.Rate{Count: 2, Period: time.Minute}}
	if trustLoopback {
		opt.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	}
	srv := httptest.NewServer(New(&ops.Console{Store: st}, opt))
	t.Cleanup(func() { srv.Close(); st.Close() })
	return &service{st: st, srv: srv}
}

func (s *service) startFrom(t *testing.T, forwardedFor string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", s.srv.URL+"/v1/signups",
		strings.NewReader(`{"email":"dan@bellowscollege.com","service":"rms"}`))
	req.Header.Set("Content-Type", "application/json")
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// A client over its rate is told to wait, in a problem document with
// Retry-After; the page's form shares the API's limit.
func TestSignupStartsAreRateLimitedPerClient(t *testing.T) {
	s := limitedService(t, false)
	for i := range 2 {
		if r := s.startFrom(t, ""); r.StatusCode != http.StatusAccepted {
			t.Fatalf("start %d: %d", i+1, r.StatusCode)
		}
	}
	r := s.startFrom(t, "")
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" ||
		r.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("third start: %d %v", r.StatusCode, r.Header)
	}
	// Without a trusted proxy, X-Forwarded-For is the client's own
	// words: writing another address there does not buy a new bucket.
	if r := s.startFrom(t, "198.51.100.7"); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a forged X-Forwarded-For escaped the limit: %d", r.StatusCode)
	}
	form := s.postForm(t, "/signup", map[string][]string{"email": {"ann@bellowscollege.com"}, "service": {"rms"}}, "same-origin")
	if form.status != http.StatusTooManyRequests || !strings.Contains(string(form.body), "Too many attempts from here") ||
		!strings.HasPrefix(form.ctype, "text/html") {
		t.Errorf("the page's form over the limit: %d %s\n%s", form.status, form.ctype, form.body)
	}
}

// Behind a trusted proxy each client counts separately, by the address
// the proxy appended; what the client itself wrote further left is not
// believed.
func TestTrustedProxyNamesTheClient(t *testing.T) {
	s := limitedService(t, true)
	for range 2 {
		s.startFrom(t, "203.0.113.9")
	}
	if r := s.startFrom(t, "203.0.113.9"); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("203.0.113.9's third start: %d", r.StatusCode)
	}
	if r := s.startFrom(t, "203.0.113.9, 203.0.113.10"); r.StatusCode != http.StatusAccepted {
		t.Errorf("another client behind the proxy is limited by the first: %d", r.StatusCode)
	}
	if r := s.startFrom(t, "2001:db8:1:2::1"); r.StatusCode != http.StatusAccepted {
		t.Fatal(r.StatusCode)
	}
	s.startFrom(t, "2001:db8:1:2::2")
	if r := s.startFrom(t, "2001:db8:1:2::3"); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a third address of one IPv6 /64: %d", r.StatusCode)
	}
}

// A client that sends its headers a byte at a time is let go at the
// header deadline instead of holding a connection for ever.
func TestSlowHeadersAreCutOff(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := Server(New(&ops.Console{Store: st}, Options{}), Timeouts{ReadHeader: 300 * time.Millisecond, Read: time.Second, Write: time.Second, Idle: time.Second})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	if srv.MaxHeaderBytes == 0 || srv.ReadTimeout == 0 || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 {
		t.Errorf("server limits unset: %+v", srv)
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n"))
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	start := time.Now()
	// The server closes without an answer (or with a 408) once the
	// header deadline passes; a read returns then, not at our deadline.
	line, _ := bufio.NewReader(c).ReadString('\n')
	if time.Since(start) > 20*time.Second {
		t.Fatalf("the connection was held %v", time.Since(start))
	}
	if strings.Contains(line, "200") {
		t.Errorf("an unfinished request was answered: %q", line)
	}
}
