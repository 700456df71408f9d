package model

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"
)

// ChallengeMode is the DNS record type the admin publishes.
type ChallengeMode string

const (
	ModeTXT ChallengeMode = "txt"
	ModeMX  ChallengeMode = "mx"
)

// ParseMode validates a --mode value.
func ParseMode(s string) (ChallengeMode, error) {
	switch m := ChallengeMode(strings.ToLower(s)); m {
	case ModeTXT, ModeMX:
		return m, nil
	}
	return "", fmt.Errorf("%w: mode %q: use txt or mx", ErrInvalid, s)
}

// NoChallengeError: Admin has no challenge for Domain, so there is
// nothing to verify.
type NoChallengeError struct {
	Domain string
	Admin  string
}

func (e *NoChallengeError) Error() string {
	return fmt.Sprintf("%v: no challenge for %s was issued to %s", ErrNotFound, e.Domain, e.Admin)
}

// Unwrap makes the error ErrNoChallenge (and so ErrNotFound).
func (e *NoChallengeError) Unwrap() error { return ErrNoChallenge }

// TakeoverKind says what a verified challenge leads to.
type TakeoverKind string

const (
	Internal TakeoverKind = "internal" // the unmanaged directory becomes managed
	External TakeoverKind = "external" // merged into the admin's managed directory
)

// Challenge lifetime and record TTL (PRODUCT.md §2).
const (
	DefaultChallengeTTL = 7 * 24 * time.Hour
	SuggestedRecordTTL  = 3600
	// MXPreference is a very low priority (high value), so a sender
	// tries any real exchanger before the challenge host.
	MXPreference = 65535 / 2
)

// Challenge is a DNS record an admin must publish to prove ownership.
type Challenge struct {
	Domain    string        `json:"domain"`
	Admin     string        `json:"admin"` // address key
	Mode      ChallengeMode `json:"mode"`
	Kind      TakeoverKind  `json:"kind"`
	Into      string        `json:"into,omitempty"` // target directory id, external only
	Token     string        `json:"token"`          // TXT value, or MX exchange host
	IssuedAt  time.Time     `json:"issuedAt"`
	ExpiresAt time.Time     `json:"expiresAt"`
}

// NewChallenge draws a fresh token: 160 random bits for TXT, 8 random
// digits under .msv1.invalid. for MX (an .invalid host never takes mail).
func NewChallenge(rnd io.Reader, domain, admin string, mode ChallengeMode, kind TakeoverKind, into string, now time.Time, ttl time.Duration) (Challenge, error) {
	var b [20]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return Challenge{}, fmt.Errorf("drawing a challenge: %w", err)
	}
	token := "MS=" + strings.ToUpper(hex.EncodeToString(b[:]))
	if mode == ModeMX {
		digits := make([]byte, 8)
		for i := range digits {
			digits[i] = '0' + b[i]%10
		}
		token = "ms" + string(digits) + ".msv1.invalid."
	}
	return Challenge{Domain: domain, Admin: admin, Mode: mode, Kind: kind, Into: into,
		Token: token, IssuedAt: now, ExpiresAt: now.Add(ttl)}, nil
}

// Valid reports whether the challenge can still be verified at now.
func (c Challenge) Valid(now time.Time) bool { return now.Before(c.ExpiresAt) }

// Answers reports whether c was issued for exactly this request, so asking
// again while it is valid returns the same record.
func (c Challenge) Answers(domain, admin string, mode ChallengeMode, kind TakeoverKind, into string) bool {
	return c.Domain == domain && c.Admin == admin && c.Mode == mode && c.Kind == kind && c.Into == into
}

// RecordSpec is what the admin types into their DNS provider.
type RecordSpec struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Value      string `json:"value"`
	TTL        int    `json:"ttl"`
	Preference int    `json:"preference,omitempty"`
}

// Record returns the DNS record that answers c. The owner is the domain's
// apex itself ("leave the record name blank", as the seed says).
func (c Challenge) Record() RecordSpec {
	if c.Mode == ModeMX {
		return RecordSpec{Name: c.Domain + ".", Type: "MX", Value: c.Token, TTL: SuggestedRecordTTL, Preference: MXPreference}
	}
	return RecordSpec{Name: c.Domain + ".", Type: "TXT", Value: c.Token, TTL: SuggestedRecordTTL}
}
