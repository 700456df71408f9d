package model

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"
)

// One-time sign-up codes (PRODUCT.md §3 rule 3).
const (
	CodeDigits = 6
	// LongCodeDigits is the length of the codes sent while a domain's (or
	// the whole service's) budget of wrong codes is spent (budget.go): an
	// attacker who spent it faces a million million codes instead of a
	// million, so a person asking for a code then is never locked out.
	LongCodeDigits  = 12
	CodeTTL         = 15 * time.Minute
	MaxCodeAttempts = 5
)

// CodeRecord is what is kept of a one-time code: a MAC of it under a key
// that is not in the database (store/codekey.go), so a copy of the
// database neither hands out live codes nor lets them be found by trying
// all million (issue 10 point 13). A record with no MAC has no code
// pending: its code was used, or it was written in the older unkeyed
// format (field "hash"), which is left to expire unread.
type CodeRecord struct {
	Email   string `json:"email"` // display form of the address
	Service string `json:"service"`
	Salt    string `json:"salt"`
	MAC     string `json:"mac,omitempty"`
	// Void marks a record for which no code was sent, because the
	// sign-up would be refused in a way that depends on whether the
	// address is a member (the mail says why instead). It counts
	// attempts and requests exactly as a real code does, so that neither
	// the answers nor the limits tell members from others (issue 10
	// point 12).
	Void      bool      `json:"void,omitempty"`
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
		return 0, time.Time{}, fmt.Errorf("%w: too many wrong codes for %s; a new code can be sent after %s",
			ErrCodeRejected, prev.Email, prev.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if prev.Requests >= MaxCodeRequests {
		return 0, time.Time{}, fmt.Errorf("%w: %d codes were sent to %s within the hour; ask again after %s",
			ErrRefused, prev.Requests, prev.Email, prev.WindowStart.Add(CodeRequestWindow).UTC().Format(time.RFC3339))
	}
	return prev.Requests + 1, prev.WindowStart, nil
}

// NewCode draws a code of digits digits from rnd and returns it with its
// record, the code's MAC under key.
func NewCode(rnd io.Reader, key []byte, email, service string, digits int, now time.Time) (string, CodeRecord, error) {
	code := make([]byte, digits)
	var b [1]byte
	for i := 0; i < digits; {
		if _, err := io.ReadFull(rnd, b[:]); err != nil {
			return "", CodeRecord{}, fmt.Errorf("drawing a code: %w", err)
		}
		// Bytes of 250 and above are drawn again: taking every byte mod 10
		// made 000000 1.1 times likelier than one in a million, which a
		// guesser would try first.
		if b[0] < 250 {
			code[i] = '0' + b[0]%10
			i++
		}
	}
	salt := make([]byte, 16)
	if _, err := io.ReadFull(rnd, salt); err != nil {
		return "", CodeRecord{}, fmt.Errorf("drawing a code: %w", err)
	}
	// The salt makes equal codes of two records differ in the database.
	s := hex.EncodeToString(salt)
	return string(code), CodeRecord{
		Email: email, Service: service, Salt: s, MAC: codeMAC(key, s, string(code)),
		IssuedAt: now, ExpiresAt: now.Add(CodeTTL),
	}, nil
}

// codeMAC is HMAC-SHA256 (RFC 2104) of the salt and the code under key.
func codeMAC(key []byte, salt, code string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(salt + ":" + code))
	return hex.EncodeToString(m.Sum(nil))
}

// Pending reports whether the record holds a code that can still be
// tried (a void one included).
func (r CodeRecord) Pending() bool { return r.MAC != "" }

// Locked reports whether the code has used up its attempts.
func (r CodeRecord) Locked() bool { return r.Attempts >= MaxCodeAttempts }

// Expired reports whether the code is past its lifetime.
func (r CodeRecord) Expired(now time.Time) bool { return !now.Before(r.ExpiresAt) }

// CodeRejected is the one answer to a code that does not work: wrong,
// expired, locked, used, void or never asked for all read the same, since
// telling them apart would tell whether a code was sent, which tells
// whether the address is a member (issue 10 point 12).
func CodeRejected(email string) error {
	return fmt.Errorf("%w: the code for %s was not accepted", ErrCodeRejected, email)
}

// CheckCode compares code with the record under key. It returns the
// record to store (with the attempt counted, if a code is pending) and nil
// only when the code is right, unexpired, not locked and not void. A
// right code after the lock is still refused: otherwise the lock would
// only slow a guesser down.
func CheckCode(r CodeRecord, key []byte, email, code string, now time.Time) (CodeRecord, error) {
	if !r.Pending() || r.Locked() || r.Expired(now) {
		return r, CodeRejected(email)
	}
	r.Attempts++
	if !hmac.Equal([]byte(codeMAC(key, r.Salt, code)), []byte(r.MAC)) || r.Void {
		return r, CodeRejected(email)
	}
	return r, nil
}
