package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/ops/mailtest"
	"selfserve/store"
)

// service is a sign-up server on a real store and a real loopback port.
type service struct {
	st  *store.Store
	srv *httptest.Server
	// relay, when set, is the SMTP server the courier delivers codes to:
	// codes are read from there, not from the outbox.
	relay *mailtest.Server
}

func newService(t *testing.T) *service {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(&ops.Console{Store: st}, Options{}))
	t.Cleanup(func() { srv.Close(); st.Close() })
	return &service{st: st, srv: srv}
}

// answer is one response as the client saw it.
type answer struct {
	status int
	ctype  string
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, a.body)
	}
	return m
}

// problemType is the problem document's type, or "" for another answer.
func (a answer) problemType() string {
	if a.ctype != "application/problem+json" {
		return ""
	}
	var p problem
	json.Unmarshal(a.body, &p)
	return strings.TrimPrefix(p.Type, problemBase)
}

// seen holds every answer the tests received, by operation, for the
// OpenAPI check (TestMain).
var seen = struct {
	sync.Mutex
	m map[string][]answer
}{m: map[string][]answer{}}

func (s *service) do(t *testing.T, method, path, ctype string, body []byte) answer {
	t.Helper()
	req, err := http.NewRequest(method, s.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	a := s.send(t, req)
	if op, ok := apiOperation(method, path); ok {
		seen.Lock()
		seen.m[op] = append(seen.m[op], a)
		seen.Unlock()
	}
	return a
}

// send sends req and reads the whole answer.
func (s *service) send(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), body: b}
}

// post sends v as JSON.
func (s *service) post(t *testing.T, path string, v any) answer {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return s.do(t, "POST", path, "application/json", b)
}

// apiOperation names the documented operation a request is for; the
// sign-up page's routes are HTML for people, not part of the API.
func apiOperation(method, path string) (string, bool) {
	path, _, _ = strings.Cut(path, "?")
	switch {
	case strings.HasPrefix(path, problemBase):
		path = problemBase + "{name}"
	case !strings.HasPrefix(path, "/v1/") && path != "/healthz" && path != "/readyz":
		return "", false
	}
	return method + " " + path, true
}

var codeRE = regexp.MustCompile(`\b\d{6}(\d{6})?\b`)

// mailingService is newService with its mail queued and delivered by a
// courier to a real SMTP server on loopback, as `selfserve serve --smtp`.
func mailingService(t *testing.T) *service {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	relay, err := mailtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	mail := ops.SMTP{Addr: relay.Addr, From: "selfserve@example.com"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- (&ops.Courier{Store: st, Mail: mail}).Run(ctx) }()
	srv := httptest.NewServer(New(&ops.Console{Store: st, Mail: mail, Queue: true}, Options{}))
	t.Cleanup(func() { srv.Close(); cancel(); <-done; relay.Close(); st.Close() })
	return &service{st: st, srv: srv, relay: relay}
}

// code is the code in the newest mail to addr.
func (s *service) code(t *testing.T, addr string) string {
	t.Helper()
	if s.relay != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		got, err := s.relay.Wait(ctx, func(m []mailtest.Mail) bool {
			return slices.ContainsFunc(m, func(x mailtest.Mail) bool { return strings.EqualFold(x.To, addr) })
		})
		if err != nil {
			t.Fatalf("no mail to %s reached the relay: %v", addr, err)
		}
		for i := len(got) - 1; i >= 0; i-- {
			if strings.EqualFold(got[i].To, addr) {
				return codeRE.FindString(got[i].Subject)
			}
		}
	}
	msgs, err := s.st.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if strings.EqualFold(msgs[i].To, addr) {
			if c := codeRE.FindString(msgs[i].Subject); c != "" {
				return c
			}
			t.Fatalf("the newest mail to %s holds no code: %+v", addr, msgs[i])
		}
	}
	t.Fatalf("no mail to %s", addr)
	return ""
}

// signUp signs addr up for service through the API.
func (s *service) signUp(t *testing.T, addr, service string) answer {
	t.Helper()
	if a := s.post(t, "/v1/signups", startRequest{Email: addr, Service: service}); a.status != http.StatusAccepted {
		t.Fatalf("start %s: %d %s", addr, a.status, a.body)
	}
	return s.post(t, "/v1/signups/verify", verifyRequest{Email: addr, Code: s.code(t, addr)})
}

func (s *service) setSwitches(t *testing.T, dir string, change func(*model.Switches)) {
	t.Helper()
	if _, err := s.st.SetSwitches(dir, "operator", true, func(sw model.Switches) model.Switches { change(&sw); return sw }); err != nil {
		t.Fatal(err)
	}
}
