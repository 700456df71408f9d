package web

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser starts headless Chromium (Debian's chromium) for a test. It is
// missing on a developer's machine more often than not: the test then
// skips, except under CI, which installs it.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; .ci/run installs Debian's chromium")
		}
		t.Skip("chromium is not installed (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.Headless,
		chromedp.Flag("disable-gpu", true), chromedp.UserDataDir(t.TempDir()))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	// A busy two-core machine starts Chromium slowly: the deadline is for
	// a hang, not for speed.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	return bctx
}

// A person signs up in a real browser: types their address, reads the
// code from the mail the courier delivered to an SMTP server, types it, and sees that they are in; a refusal
// shows its sentence.
func TestSignupInABrowser(t *testing.T) {
	s := mailingService(t) // the code comes by mail, as a person's does
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.srv.URL+"/?service=rms"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "Dan@BellowsCollege.com"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#code")),
	)
	if err != nil {
		t.Fatal(err)
	}
	// The code is read once the page asked for it: the mail was queued
	// by then.
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#code"), s.code(t, "Dan@bellowscollege.com")),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#done")),
	)
	if err != nil {
		t.Fatal(err)
	}
	done, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#done")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(done, "You are signed up for rms as Dan@bellowscollege.com") || !strings.Contains(done, "bellowscollege.com") {
		t.Errorf("success page says %q", done)
	}

	err = chromedp.Do(ctx,
		chromedp.Navigate(s.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "someone@gmail.com"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#refusal")),
	)
	if err != nil {
		t.Fatal(err)
	}
	refusal, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#refusal")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(refusal, "personal mail address") {
		t.Errorf("refusal says %q", refusal)
	}
}
