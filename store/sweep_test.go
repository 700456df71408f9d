package store

import (
	"testing"
	"time"

	"selfserve/model"
)

// A long-running server forgets spent codes and stale challenges, but
// not before the per-address limits and the "expired" answer are done
// with them.
func TestSweepForgetsWhatHasOutlivedItsUse(t *testing.T) {
	c := &clock{now: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)}
	s := openTest(t, t.TempDir(), Options{Now: c.Now})
	mustSignup(t, s, "dan@bellowscollege.com", "rms")
	if _, err := s.IssueChallenge(Claim{Domain: "bellowscollege.com", Admin: addr(t, "dan@bellowscollege.com")}, model.ModeTXT); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartSignup(addr(t, "ann@bellowscollege.com"), "rms", true, func(code string) model.Message {
		return model.Message{To: "ann@bellowscollege.com", Subject: code}
	}); err != nil {
		t.Fatal(err)
	}
	codes, challenges := countPrefix(t, s, []byte(pCode)), countPrefix(t, s, []byte(pChallenge))
	if codes == 0 || challenges != 1 {
		t.Fatalf("before: %d code records, %d challenges", codes, challenges)
	}

	// The codes expired, but the hour their requests count in has not
	// passed: the records stay.
	c.Add(model.CodeTTL + time.Minute)
	if sw, err := s.Sweep(); err != nil || sw.Codes != 0 {
		t.Errorf("sweep within the request window: %+v, %v", sw, err)
	}
	c.Add(model.CodeRequestWindow)
	sw, err := s.Sweep()
	if err != nil || sw.Codes != codes || countPrefix(t, s, []byte(pCode)) != 0 {
		t.Errorf("sweep after the window: %+v, %v; %d code records left", sw, err, countPrefix(t, s, []byte(pCode)))
	}
	if sw.Challenges != 0 || countPrefix(t, s, []byte(pChallenge)) != 1 {
		t.Errorf("a challenge went before ChallengeKeep: %+v", sw)
	}
	c.Add(s.opts.ChallengeTTL + ChallengeKeep)
	if sw, err := s.Sweep(); err != nil || sw.Challenges != 1 || countPrefix(t, s, []byte(pChallenge)) != 0 {
		t.Errorf("sweep after ChallengeKeep: %+v, %v", sw, err)
	}
	checkInvariants(t, s)
}
