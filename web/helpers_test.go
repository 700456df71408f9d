package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/store"
)

// service is a sign-up server on a real store and a real loopback port.
type service struct {
	st  *store.Store
	srv *httptest.Server
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
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), body: b}
	if op, ok := apiOperation(method, path); ok {
		seen.Lock()
		seen.m[op] = append(seen.m[op], a)
		seen.Unlock()
	}
	return a
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

// code is the code in the newest mail to addr.
func (s *service) code(t *testing.T, addr string) string {
	t.Helper()
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
