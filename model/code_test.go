package model

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCodeLifecycle(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	code, rec, err := NewCode(rand.Reader, "dan@bellowscollege.com", "rms", now)
	if err != nil {
		t.Fatal(err)
	}
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		t.Fatalf("code %q is not 6 digits", code)
	}
	if strings.Contains(rec.Hash, code) || rec.Hash == "" {
		t.Fatal("record must hold a hash, not the code")
	}
	if _, err := CheckCode(rec, code, now.Add(CodeTTL)); !errors.Is(err, ErrCodeRejected) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("code at expiry must be refused as expired: %v", err)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	r := rec
	for i := 1; i <= MaxCodeAttempts; i++ {
		r, err = CheckCode(r, wrong, now)
		if !errors.Is(err, ErrCodeRejected) {
			t.Fatalf("attempt %d: wrong code accepted", i)
		}
	}
	if _, err := CheckCode(r, code, now); !errors.Is(err, ErrCodeRejected) || !strings.Contains(err.Error(), "too many") {
		t.Errorf("right code after the lock must be refused: %v", err)
	}
	r, err = CheckCode(rec, wrong, now)
	if err == nil || !strings.Contains(err.Error(), "4 attempts left") {
		t.Errorf("want 4 attempts left, got %v", err)
	}
	if _, err := CheckCode(r, code, now.Add(CodeTTL-time.Second)); err != nil {
		t.Errorf("right code within its lifetime refused: %v", err)
	}
}

func TestChallengeTokens(t *testing.T) {
	now := time.Now()
	c, err := NewChallenge(bytes.NewReader(bytes.Repeat([]byte{0xab}, 20)), "contoso.com", "a@contoso.com", ModeTXT, Internal, "", now, DefaultChallengeTTL)
	if err != nil {
		t.Fatal(err)
	}
	if c.Token != "MS="+strings.Repeat("AB", 20) {
		t.Errorf("TXT token %q", c.Token)
	}
	rec := c.Record()
	if rec.Type != "TXT" || rec.Name != "contoso.com." || rec.TTL != 3600 {
		t.Errorf("record %+v", rec)
	}
	m, _ := NewChallenge(rand.Reader, "contoso.com", "a@contoso.com", ModeMX, Internal, "", now, DefaultChallengeTTL)
	if !strings.HasPrefix(m.Token, "ms") || !strings.HasSuffix(m.Token, ".msv1.invalid.") || len(m.Token) != len("ms12345678.msv1.invalid.") {
		t.Errorf("MX token %q", m.Token)
	}
	if m.Record().Preference != 32767 {
		t.Errorf("MX preference %d", m.Record().Preference)
	}
	if !c.Valid(now.Add(DefaultChallengeTTL-time.Second)) || c.Valid(now.Add(DefaultChallengeTTL)) {
		t.Error("challenge validity boundary wrong")
	}
	if c.Answers("contoso.com", "b@contoso.com", ModeTXT, Internal, "") {
		t.Error("a challenge issued to someone else answers nobody else")
	}
	if c.Answers("contoso.com", "a@contoso.com", ModeTXT, External, "dir1") {
		t.Error("a challenge is bound to its takeover kind")
	}
}

func TestImpactAndForce(t *testing.T) {
	cat := map[string]Service{}
	for _, s := range DefaultServices() {
		cat[s.Name] = s
	}
	im := PlanImpact(10, map[string]int{"rms": 10, "sharepoint": 3, "powerbi": 2, "mystery": 1}, cat)
	if len(im.Services) != 4 || im.Services[0].Service != "mystery" {
		t.Fatalf("services %+v", im.Services)
	}
	if strings.Join(im.Blocking, ",") != "mystery,powerbi" {
		t.Errorf("blocking %v", im.Blocking)
	}
	if err := im.CheckForce(false); !errors.Is(err, ErrBlockedByPlan) || !strings.Contains(err.Error(), "--force") {
		t.Errorf("unforced blocked takeover: %v", err)
	}
	if im.CheckForce(true) != nil {
		t.Error("force lets it through")
	}
	kept, dropped := MoveGrants([]string{"powerbi", "rms", "sharepoint"}, cat)
	if strings.Join(kept, ",") != "rms,sharepoint" || strings.Join(dropped, ",") != "powerbi" {
		t.Errorf("kept %v dropped %v", kept, dropped)
	}
}

func TestTakeoverPermissions(t *testing.T) {
	u := Directory{ID: "u1", Name: "bellowscollege.com", State: Unmanaged}
	dan, _ := ParseAddress("dan@bellowscollege.com")
	eve, _ := ParseAddress("eve@evil.example")
	if err := CheckInternal(u, "bellowscollege.com", dan, true); err != nil {
		t.Errorf("member may take over: %v", err)
	}
	if err := CheckInternal(u, "bellowscollege.com", eve, false); !errors.Is(err, ErrForbidden) {
		t.Errorf("outsider must be refused: %v", err)
	}
	m := Directory{ID: "m1", Name: "contoso.com", State: Managed, GlobalAdmins: []string{"admin@contoso.com"}}
	admin, _ := ParseAddress("Admin@contoso.com")
	if err := CheckExternal(m, admin); err != nil {
		t.Errorf("global admin may merge: %v", err)
	}
	if err := CheckExternal(m, dan); !errors.Is(err, ErrForbidden) {
		t.Errorf("non-admin must be refused: %v", err)
	}
	if err := CheckClaimable("co.uk", nil, nil, ""); !errors.Is(err, ErrRefused) {
		t.Errorf("public suffix must be refused: %v", err)
	}
	rec := &DomainRecord{Domain: "contoso.com", Directory: "m1", Verified: true}
	if err := CheckClaimable("contoso.com", rec, &m, "other"); !errors.Is(err, ErrRefused) {
		t.Errorf("verified elsewhere must be refused: %v", err)
	}
}
