package cli_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"selfserve/cli"
)

// `domain verify --wait` on its own closes the database while it waits:
// another command gets in between its checks, and the takeover happens
// once the record shows (issue 12 point 3).
func TestVerifyWaitLetsOthersIn(t *testing.T) {
	db := t.TempDir()
	z := startDNS(t)
	signup(t, db, "Dan@BellowsCollege.com", "rms")
	ch := challengeFor(t, db, "bellowscollege.com", "--as", "dan@bellowscollege.com")
	if ch.Challenge == nil {
		t.Fatalf("no challenge: %+v", ch)
	}
	out, errb := &syncBuffer{}, &syncBuffer{}
	done := make(chan int)
	go func() {
		done <- cli.Run(context.Background(), []string{"--db", db, "domain", "verify", "bellowscollege.com",
			"--as", "dan@bellowscollege.com", "--dns-server", z.Addr, "--wait", "2m"}, out, errb)
	}()
	// Once it is waiting for the next check, another command gets in.
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(errb.String(), "next check in") {
		if time.Now().After(deadline) {
			t.Fatalf("verify --wait never said it waits:\n%s", errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r := run(t, db, "--lock-timeout", "2s", "directory", "show", "bellowscollege.com"); r.code != 0 || !strings.Contains(r.stdout, "unmanaged") {
		t.Fatalf("another command was kept out while verify --wait waited: %s", r)
	}
	z.publishTXT(t, "bellowscollege.com", ch.Challenge.Token)
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("verify --wait: exit %d\n%s\n%s", code, out.String(), errb.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("verify --wait did not finish")
	}
	if !strings.Contains(errb.String(), "check 1:") {
		t.Errorf("no progress on stderr while waiting:\n%s", errb.String())
	}
	if d := directoryShow(t, db, "bellowscollege.com"); d.State != "managed" {
		t.Errorf("after the record showed, the directory is %s", d.State)
	}
}
