package cli_test

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// freePort is a loopback port nothing listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// `selfserve demo --http`: a sign-up made over HTTP shows up in the open
// console without a key press, its code waits in the console's :outbox,
// and confirming it there adds the user to the console's counts.
func TestDemoHTTPSignupsArriveInTheConsole(t *testing.T) {
	needTools(t)
	bin := buildBinary(t)
	addr := freePort(t)
	db := filepath.Join(t.TempDir(), "db")
	tm := &tmuxTerm{t: t, sock: newTmux(t), name: "demo"}
	tm.tmux("new-session", "-d", "-s", "demo", "-x", "120", "-y", "40",
		bin+" demo --db "+db+" --directories 5 --big-users 10 --http "+addr+"; echo DEMO-EXITED $?; sleep 120")
	tm.wait("bellowscollege.com", time.Minute)

	post := func(path, body string) int {
		resp, err := http.Post("http://"+addr+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("/v1/signups", `{"email":"eve@aardvark.example","service":"rms"}`); code != http.StatusAccepted {
		t.Fatalf("start: %d", code)
	}
	tm.keys(":outbox", "Enter")
	tm.wait("eve@aardvark.example", 20*time.Second)
	m := regexp.MustCompile(`sign-up code: (\d{6})`).FindStringSubmatch(tm.screen())
	if m == nil {
		t.Fatalf("no code in the outbox:\n%s", tm.screen())
	}
	body, _ := json.Marshal(map[string]string{"email": "eve@aardvark.example", "code": m[1]})
	resp, err := http.Post("http://"+addr+"/v1/signups/verify", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("verify: %d", resp.StatusCode)
	}
	tm.keys("Escape")
	tm.wait("aardvark.example", 20*time.Second) // the new directory, no key needed to see it
	tm.keys("q")
	tm.wait("DEMO-EXITED 0", 20*time.Second)
}
