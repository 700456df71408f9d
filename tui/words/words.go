// Package words writes numbers and states the same way in every front
// end (the console and the command line): one number format everywhere,
// so "120,000" in a list is never "120000" in a progress bar.
package words

import (
	"fmt"
	"strconv"
	"strings"
)

// Count writes n with thousands separators: 1000000 reads badly.
func Count[N ~int | ~int64](n N) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Plural is "1 user" or "120,000 users".
func Plural[N ~int | ~int64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Count(n) + " " + many
}

// OnOff is how a switch reads.
func OnOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// MailState says where a mail is on its way out ("" for one kept in
// the outbox because no relay is set): "queued", "queued, attempt 2
// failed: …", "sent", "failed after 12 attempts: …".
func MailState(state string, attempts int, lastError string) string {
	switch {
	case state == "queued" && lastError != "":
		return fmt.Sprintf("queued, attempt %d failed: %s", attempts, lastError)
	case state == "failed":
		return fmt.Sprintf("failed after %s: %s", Plural(attempts, "attempt", "attempts"), lastError)
	}
	return state
}
