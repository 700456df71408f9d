package model

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"time"
)

// One-time sign-up codes (PRODUCT.md §3 rule 3).
const (
	CodeDigits      = 6
	CodeTTL         = 15 * time.Minute
	MaxCodeAttempts = 5
)

// CodeRecord is a pending one-time code. Only its salted hash is kept, so a
// copy of the database does not hand out live codes.
type CodeRecord struct {
	Email     string    `json:"email"` // display form of the address
	Service   string    `json:"service"`
	Salt      string    `json:"salt"`
	Hash      string    `json:"hash"`
	IssuedAt  time.Time `json:"issuedAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	Attempts  int       `json:"attempts"`
	// Requests counts codes sent to this address since WindowStart, so
	// asking for fresh codes cannot be used to guess without limit.
	Requests    int       `json:"requests"`
	WindowStart time.Time `json:"windowStart"`
}

// Code request limits per address.
const (
	MaxCodeRequests   = 5
	CodeRequestWindow = time.Hour
)

// CheckNewCode says whether another code may be sent given the previous
// record (nil: none), and returns the request count to carry over.
func CheckNewCode(prev *CodeRecord, now time.Time) (requests int, windowStart time.Time, err error) {
	if prev == nil || !now.Before(prev.WindowStart.Add(CodeRequestWindow)) {
		return 1, now, nil
	}
	if prev.Locked() && !prev.Expired(now) {
		return 0, time.Time{}, fmt.Errorf("%w: too many wrong codes for %s; ask again after %s",
			ErrCodeRejected, prev.Email, prev.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if prev.Requests >= MaxCodeRequests {
		return 0, time.Time{}, fmt.Errorf("%w: %d codes were sent to %s within the hour; ask again after %s",
			ErrRefused, prev.Requests, prev.Email, prev.WindowStart.Add(CodeRequestWindow).UTC().Format(time.RFC3339))
	}
	return prev.Requests + 1, prev.WindowStart, nil
}

// NewCode draws a code from rnd and returns it with its record.
func NewCode(rnd io.Reader, email, service string, now time.Time) (string, CodeRecord, error) {
	var buf [CodeDigits + 16]byte
	if _, err := io.ReadFull(rnd, buf[:]); err != nil {
		return "", CodeRecord{}, fmt.Errorf("drawing a code: %w", err)
	}
	code := make([]byte, CodeDigits)
	for i := range code {
		// 256 mod 10 leaves a bias of under 0.4% per digit; rejection
		// sampling would buy nothing against 5 attempts.
		code[i] = '0' + buf[i]%10
	}
	salt := hex.EncodeToString(buf[CodeDigits:])
	return string(code), CodeRecord{
		Email: email, Service: service, Salt: salt, Hash: hashCode(salt, string(code)),
		IssuedAt: now, ExpiresAt: now.Add(CodeTTL),
	}, nil
}

func hashCode(salt, code string) string {
	sum := sha256.Sum256([]byte(salt + ":" + code))
	return hex.EncodeToString(sum[:])
}

// Locked reports whether the code has used up its attempts.
func (r CodeRecord) Locked() bool { return r.Attempts >= MaxCodeAttempts }

// Expired reports whether the code is past its lifetime.
func (r CodeRecord) Expired(now time.Time) bool { return !now.Before(r.ExpiresAt) }

// CheckCode compares code with the record. It returns the record to store
// (with the attempt counted) and nil only when the code is right, unexpired
// and not locked. A right code after the lock is still refused: otherwise
// the lock would only slow a guesser down.
func CheckCode(r CodeRecord, code string, now time.Time) (CodeRecord, error) {
	switch {
	case r.Locked():
		return r, fmt.Errorf("%w: too many wrong codes for %s; ask for a new one with signup start after %s",
			ErrCodeRejected, r.Email, r.ExpiresAt.UTC().Format(time.RFC3339))
	case r.Expired(now):
		return r, fmt.Errorf("%w: the code for %s expired at %s; ask for a new one with signup start",
			ErrCodeRejected, r.Email, r.ExpiresAt.UTC().Format(time.RFC3339))
	}
	r.Attempts++
	if subtle.ConstantTimeCompare([]byte(hashCode(r.Salt, code)), []byte(r.Hash)) != 1 {
		left := MaxCodeAttempts - r.Attempts
		if left == 0 {
			return r, fmt.Errorf("%w: wrong code for %s; that was the last attempt, ask for a new code after %s",
				ErrCodeRejected, r.Email, r.ExpiresAt.UTC().Format(time.RFC3339))
		}
		return r, fmt.Errorf("%w: wrong code for %s; %d attempts left", ErrCodeRejected, r.Email, left)
	}
	return r, nil
}
