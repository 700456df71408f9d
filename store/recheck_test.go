package store

import (
	"errors"
	"strings"
	"testing"
	"time"

	"selfserve/model"
)

func TestRecheckFlagsNeverUnverifies(t *testing.T) {
	clk := &clock{now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	s := openTest(t, t.TempDir(), Options{Now: clk.Now})
	managed(t, s)
	due, err := s.DueRechecks(clk.Now().Add(-time.Hour))
	if err != nil || len(due) != 0 {
		t.Fatalf("a domain checked just now is not due: %+v %v", due, err)
	}
	clk.Add(25 * time.Hour)
	due, _ = s.DueRechecks(clk.Now().Add(-24 * time.Hour))
	if len(due) != 1 || due[0].Record == nil || due[0].Record.Type != "TXT" {
		t.Fatalf("due after a day: %+v", due)
	}
	r, err := s.RecordRecheck("contoso.com", Gone, "TXT record gone", nil)
	if err != nil || !r.Verified || !r.Flagged || r.FlagReason != "TXT record gone" {
		t.Fatalf("vanished record: %+v %v", r, err)
	}
	sum, _ := s.Summary("contoso.com")
	if len(sum.DomainRecords) != 1 || !sum.DomainRecords[0].Flagged {
		t.Fatalf("the flag shows on the directory: %+v", sum.DomainRecords)
	}
	checked := r.CheckedAt
	clk.Add(time.Minute)
	r, _ = s.RecordRecheck("contoso.com", Unknown, "timeout", nil)
	if !r.Flagged || r.FlagReason != "TXT record gone" || !r.CheckedAt.Equal(checked) {
		t.Fatalf("an unknown verdict changes nothing but the log: %+v", r)
	}
	r, _ = s.RecordRecheck("contoso.com", Present, "", nil)
	if r.Flagged {
		t.Fatal("a record found again clears the flag")
	}
	entries, _ := s.Audit(time.Time{}, 0)
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	got := strings.Join(actions, ",")
	if !strings.Contains(got, "domain.flagged") || !strings.Contains(got, "domain.unflagged") {
		t.Fatalf("audit: %s", got)
	}
}

func TestCheckRateLimits(t *testing.T) {
	clk := &clock{now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	s := openTest(t, t.TempDir(), Options{Now: clk.Now})
	for i := 0; i < MaxChecksPerDomain; i++ {
		if err := s.CountCheck("bellowscollege.com", "dan@bellowscollege.com"); err != nil {
			t.Fatalf("check %d: %v", i+1, err)
		}
	}
	err := s.CountCheck("bellowscollege.com", "dan@bellowscollege.com")
	if !errors.Is(err, model.ErrRefused) || !strings.Contains(err.Error(), "bellowscollege.com") {
		t.Fatalf("one check too many for the domain: %v", err)
	}
	// The limit is per admin: nobody can use up someone else's checks.
	if err := s.CountCheck("bellowscollege.com", "eve@bellowscollege.com"); err != nil {
		t.Fatalf("another admin's first check of the domain: %v", err)
	}
	// Another domain is limited only by the admin's own budget.
	for i := MaxChecksPerDomain; i < MaxChecksPerAdmin; i++ {
		if err := s.CountCheck("other"+strings.Repeat("x", i%3)+".example", "dan@bellowscollege.com"); err != nil && !strings.Contains(err.Error(), ".example") {
			t.Fatalf("admin check %d: %v", i+1, err)
		}
	}
	if err := s.CountCheck("fresh.example", "dan@bellowscollege.com"); !errors.Is(err, model.ErrRefused) || !strings.Contains(err.Error(), "dan@bellowscollege.com") {
		t.Fatalf("admin over budget: %v", err)
	}
	clk.Add(AdminCheckWindow)
	if err := s.CountCheck("bellowscollege.com", "dan@bellowscollege.com"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}
