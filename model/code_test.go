package model

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCodeLifecycle(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	key := []byte("a key of thirty-two bytes, test.")
	code, rec, err := NewCode(rand.Reader, key, "dan@bellowscollege.com", "rms", CodeDigits, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		t.Fatalf("code %q is not 6 digits", code)
	}
	if strings.Contains(rec.MAC, code) || rec.MAC == "" {
		t.Fatal("record must hold a MAC, not the code")
	}
	rejected := CodeRejected("dan@bellowscollege.com").Error()
	check := func(what string, r CodeRecord, c string, at time.Time) CodeRecord {
		t.Helper()
		r, err := CheckCode(r, key, "dan@bellowscollege.com", c, at)
		if !errors.Is(err, ErrCodeRejected) || err.Error() != rejected {
			t.Errorf("%s: %v, want the one answer %q", what, err, rejected)
		}
		return r
	}
	check("at expiry", rec, code, now.Add(CodeTTL))
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	r := rec
	for i := 1; i <= MaxCodeAttempts; i++ {
		r = check("wrong code", r, wrong, now)
		if r.Attempts != i {
			t.Fatalf("attempt %d counted as %d", i, r.Attempts)
		}
	}
	check("right code after the lock", r, code, now)
	if _, err := CheckCode(rec, []byte("another key"), "dan@bellowscollege.com", code, now); err == nil {
		t.Error("a code checked under another key was accepted")
	}
	check("no code pending", CodeRecord{}, code, now)
	void := rec
	void.Void = true
	if v := check("void record", void, code, now); v.Attempts != 1 {
		t.Errorf("a void record counts attempts as a real one does: %d", v.Attempts)
	}
	r, _ = CheckCode(rec, key, "dan@bellowscollege.com", wrong, now)
	if _, err := CheckCode(r, key, "dan@bellowscollege.com", code, now.Add(CodeTTL-time.Second)); err != nil {
		t.Errorf("right code within its lifetime refused: %v", err)
	}
}

// Issue 10 point 13: what is stored is a MAC under the key, so the salt
// beside it is no help without the key: it is not the salted SHA-256 the
// old records held, which a copy of the database cracked in 0.3 s.
func TestCodeMACNeedsTheKey(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	code, rec, err := NewCode(rand.Reader, key, "dan@bellowscollege.com", "rms", CodeDigits, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	plain := sha256.Sum256([]byte(rec.Salt + ":" + code))
	if rec.MAC == hex.EncodeToString(plain[:]) {
		t.Fatal("the stored value is the unkeyed salted SHA-256 of the code")
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(rec.Salt + ":" + code))
	if rec.MAC != hex.EncodeToString(m.Sum(nil)) {
		t.Fatal("the stored value is not HMAC-SHA256 under the key")
	}
	// An old record (field "hash", no "mac") holds no pending code.
	var old CodeRecord
	if err := json.Unmarshal([]byte(`{"email":"dan@bellowscollege.com","salt":"ab","hash":"`+hex.EncodeToString(plain[:])+`","attempts":0}`), &old); err != nil {
		t.Fatal(err)
	}
	if old.Pending() {
		t.Fatal("an old unkeyed record must not count as a pending code")
	}
}

// Codes are drawn without bias: bytes of 250 and above are drawn again.
func TestCodeDigitsAreUnbiased(t *testing.T) {
	feed := append(bytes.Repeat([]byte{255, 250, 9}, 6), make([]byte, 16)...)
	code, _, err := NewCode(bytes.NewReader(feed), []byte("k"), "a@b.example", "rms", CodeDigits, time.Now())
	if err != nil || code != "999999" {
		t.Fatalf("code %q (%v): bytes 250-255 must be skipped, 9 kept", code, err)
	}
	long, _, err := NewCode(rand.Reader, []byte("k"), "a@b.example", "rms", LongCodeDigits, time.Now())
	if err != nil || len(long) != LongCodeDigits {
		t.Fatalf("long code %q (%v)", long, err)
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
	var blocked *BlockedMergeError
	if err := im.CheckForce(false); !errors.Is(err, ErrBlockedByPlan) || !errors.As(err, &blocked) || strings.Join(blocked.Services, ",") != "mystery,powerbi" {
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
