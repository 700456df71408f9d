package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// postForm posts a form as a browser on the same site would.
func (s *service) postForm(t *testing.T, path string, v url.Values, site string) answer {
	t.Helper()
	req, err := http.NewRequest("POST", s.srv.URL+path, strings.NewReader(v.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", site)
	return s.send(t, req)
}

// The page's three steps work as plain HTML forms.
func TestSignupPageWithoutJavaScript(t *testing.T) {
	s := newService(t)
	first := s.do(t, "GET", "/?service=sharepoint", "", nil)
	if first.status != http.StatusOK || !strings.Contains(string(first.body), `<option value="sharepoint" selected>`) ||
		!strings.Contains(string(first.body), `<label for="email">`) {
		t.Fatalf("start page: %d\n%s", first.status, first.body)
	}
	sent := s.postForm(t, "/signup", url.Values{"email": {"dan@bellowscollege.com"}, "service": {"sharepoint"}}, "same-origin")
	if sent.status != http.StatusOK || !strings.Contains(string(sent.body), `name="code"`) {
		t.Fatalf("after the address: %d\n%s", sent.status, sent.body)
	}
	done := s.postForm(t, "/signup/verify", url.Values{"email": {"dan@bellowscollege.com"}, "service": {"sharepoint"},
		"code": {s.code(t, "dan@bellowscollege.com")}}, "same-origin")
	if done.status != http.StatusOK || !strings.Contains(string(done.body), "You are signed up for sharepoint") ||
		!strings.Contains(string(done.body), "bellowscollege.com") {
		t.Fatalf("after the code: %d\n%s", done.status, done.body)
	}
}

// Each refusal is a sentence for the person at the page, in their words.
func TestSignupPageExplainsRefusals(t *testing.T) {
	s := newService(t)
	a := s.postForm(t, "/signup", url.Values{"email": {"someone@gmail.com"}, "service": {"rms"}}, "same-origin")
	if a.status != http.StatusUnprocessableEntity || !strings.Contains(string(a.body), "personal mail address") ||
		!strings.Contains(string(a.body), `value="someone@gmail.com"`) {
		t.Errorf("consumer address: %d\n%s", a.status, a.body)
	}
	s.postForm(t, "/signup", url.Values{"email": {"dan@bellowscollege.com"}, "service": {"rms"}}, "same-origin")
	b := s.postForm(t, "/signup/verify", url.Values{"email": {"dan@bellowscollege.com"}, "service": {"rms"}, "code": {"000000"}}, "same-origin")
	if b.status != http.StatusUnprocessableEntity || !strings.Contains(string(b.body), "That code did not work") {
		t.Errorf("wrong code: %d\n%s", b.status, b.body)
	}
	for _, leak := range []string{"refused:", "selfserve ", "--"} {
		if strings.Contains(string(a.body)+string(b.body), leak) {
			t.Errorf("a refusal page shows %q, words of the command line", leak)
		}
	}
}

// A form posted from another site is refused and sends no mail.
func TestCrossSiteFormPostIsRefused(t *testing.T) {
	s := newService(t)
	a := s.postForm(t, "/signup", url.Values{"email": {"dan@bellowscollege.com"}, "service": {"rms"}}, "cross-site")
	if a.status != http.StatusForbidden {
		t.Errorf("cross-site post: %d\n%s", a.status, a.body)
	}
	if msgs, _ := s.st.Outbox(); len(msgs) != 0 {
		t.Errorf("a cross-site post sent mail: %+v", msgs)
	}
}
