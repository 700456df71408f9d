package web

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"selfserve/model"
)

// The seed's story over HTTP: Dan creates Bellows College's directory, a
// colleague joins it.
func TestSignupOverHTTP(t *testing.T) {
	s := newService(t)
	a := s.signUp(t, "Dan@BellowsCollege.com", "rms")
	if a.status != http.StatusCreated {
		t.Fatalf("verify: %d %s", a.status, a.body)
	}
	m := a.json(t)
	dir := m["directory"].(map[string]any)
	if dir["name"] != "bellowscollege.com" || dir["state"] != "unmanaged" || m["createdDirectory"] != true {
		t.Errorf("Dan's answer = %s", a.body)
	}
	if u := m["user"].(map[string]any); u["email"] != "Dan@bellowscollege.com" {
		t.Errorf("user = %v", u)
	}
	if bytes.Contains(a.body, []byte("globalAdmins")) || bytes.Contains(a.body, []byte("switches")) {
		t.Errorf("the answer shows the directory's administration: %s", a.body)
	}
	b := s.signUp(t, "ann@bellowscollege.com", "rms").json(t)
	if b["createdDirectory"] != false || b["directory"].(map[string]any)["id"] != dir["id"] {
		t.Errorf("Ann did not join Dan's directory: %v", b)
	}
	svc := s.do(t, "GET", "/v1/services", "", nil)
	if svc.status != http.StatusOK || !bytes.Contains(svc.body, []byte(`"name":"rms"`)) {
		t.Errorf("services: %d %s", svc.status, svc.body)
	}
}

// Whether an address may sign up is told only to its mailbox: a member
// and a stranger get the same answer where a switch blocks new members.
func TestStartAnswersAlikeForMembersAndStrangers(t *testing.T) {
	s := newService(t)
	joined := s.signUp(t, "dan@bellowscollege.com", "rms").json(t)
	s.setSwitches(t, joined["directory"].(map[string]any)["id"].(string), func(sw *model.Switches) { sw.AllowEmailVerifiedUsers = false })
	member := s.post(t, "/v1/signups", startRequest{Email: "dan@bellowscollege.com", Service: "sharepoint"})
	stranger := s.post(t, "/v1/signups", startRequest{Email: "eve@bellowscollege.com", Service: "sharepoint"})
	if member.status != http.StatusAccepted || stranger.status != member.status {
		t.Fatalf("member %d, stranger %d", member.status, stranger.status)
	}
	strip := func(a answer, addr string) string { return strings.ReplaceAll(string(a.body), addr, "ADDR") }
	if strip(member, "dan@bellowscollege.com") != strip(stranger, "eve@bellowscollege.com") {
		t.Errorf("answers differ:\n%s\n%s", member.body, stranger.body)
	}
}

// Every refusal is a problem document whose type names it.
func TestRefusalsAreProblemDocuments(t *testing.T) {
	s := newService(t)
	dan := s.signUp(t, "dan@bellowscollege.com", "rms").json(t)
	bellows := dan["directory"].(map[string]any)["id"].(string)

	cases := []struct {
		name, path string
		body       any
		status     int
		want       string
	}{
		{"malformed address", "/v1/signups", startRequest{"dan@", "rms"}, 422, "bad-address"},
		{"public mail service", "/v1/signups", startRequest{"someone@gmail.com", "rms"}, 422, "consumer-domain"},
		{"unknown service", "/v1/signups", startRequest{"dan@bellowscollege.com", "nosuch"}, 422, "unknown-service"},
		{"wrong code", "/v1/signups/verify", verifyRequest{"dan@bellowscollege.com", "000000"}, 422, "code-rejected"},
		{"malformed address at verify", "/v1/signups/verify", verifyRequest{"not an address", "123456"}, 422, "bad-address"},
	}
	for _, c := range cases {
		a := s.post(t, c.path, c.body)
		if a.status != c.status || a.problemType() != c.want {
			t.Errorf("%s: %d %s %s, want %d %s", c.name, a.status, a.ctype, a.body, c.status, c.want)
		}
	}

	// A switch turned off between the code and its use refuses the
	// sign-up by name.
	if a := s.post(t, "/v1/signups", startRequest{"ann@bellowscollege.com", "rms"}); a.status != http.StatusAccepted {
		t.Fatal(a.status)
	}
	s.setSwitches(t, bellows, func(sw *model.Switches) { sw.AllowAdHocSubscriptions = false })
	a := s.post(t, "/v1/signups/verify", verifyRequest{"ann@bellowscollege.com", s.code(t, "ann@bellowscollege.com")})
	if a.status != http.StatusForbidden || a.problemType() != "adhoc-subscriptions-off" {
		t.Errorf("verify after AllowAdHocSubscriptions went off: %d %s", a.status, a.body)
	}

	// Five wrong codes lock the address until the code expires.
	s.setSwitches(t, bellows, func(sw *model.Switches) { sw.AllowAdHocSubscriptions = true })
	s.post(t, "/v1/signups", startRequest{"bob@bellowscollege.com", "rms"})
	for range model.MaxCodeAttempts {
		s.post(t, "/v1/signups/verify", verifyRequest{"bob@bellowscollege.com", "000001"})
	}
	if a := s.post(t, "/v1/signups", startRequest{"bob@bellowscollege.com", "rms"}); a.status != http.StatusTooManyRequests || a.problemType() != "locked" {
		t.Errorf("a new code for a locked address: %d %s", a.status, a.body)
	}
}

// What a client sends is read strictly: a misspelt field, a second
// value, a huge body or another media type is refused, not guessed at.
func TestRequestsAreReadStrictly(t *testing.T) {
	s := newService(t)
	cases := []struct {
		name, ctype, body string
		status            int
		want              string
	}{
		{"unknown field", "application/json", `{"emial":"dan@bellowscollege.com","service":"rms"}`, 400, "bad-request"},
		{"two values", "application/json", `{"email":"dan@bellowscollege.com","service":"rms"} {}`, 400, "bad-request"},
		{"not JSON", "application/json", `email=dan`, 400, "bad-request"},
		{"form post", "application/x-www-form-urlencoded", `email=dan%40bellowscollege.com&service=rms`, 400, "bad-request"},
		{"huge body", "application/json", `{"email":"` + strings.Repeat("a", 1<<20) + `@x.example","service":"rms"}`, 413, "too-large"},
	}
	for _, c := range cases {
		a := s.do(t, "POST", "/v1/signups", c.ctype, []byte(c.body))
		if a.status != c.status || a.problemType() != c.want {
			t.Errorf("%s: %d %s, want %d %s", c.name, a.status, a.body, c.status, c.want)
		}
	}
	if msgs, _ := s.st.Outbox(); len(msgs) != 0 {
		t.Errorf("a refused request sent mail: %+v", msgs)
	}
}

// Every answer carries the headers that keep a browser from framing,
// sniffing or loading anything else.
func TestSecurityHeaders(t *testing.T) {
	s := newService(t)
	for _, p := range []string{"/healthz", "/readyz", "/v1/services", "/v1/problems/locked", "/v1/openapi.json"} {
		req, _ := http.NewRequest("GET", s.srv.URL+p, nil)
		resp, err := s.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		s.do(t, "GET", p, "", nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", p, resp.Header)
		}
	}
	if a := s.do(t, "GET", "/v1/problems/nosuch", "", nil); a.status != http.StatusNotFound || a.problemType() != "not-found" {
		t.Errorf("unknown problem type: %d %s", a.status, a.body)
	}
}
