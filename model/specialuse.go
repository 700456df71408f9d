package model

import (
	"errors"
	"fmt"
	"strings"
)

// ErrSpecialUse marks a domain under a special-use name: no DNS owner can
// prove it, so it never gets a directory. Errors carrying it also wrap
// ErrInvalid.
var ErrSpecialUse = errors.New("special-use domain")

// specialUse are the top-level names that are not the public DNS (IANA
// Special-Use Domain Names registry): RFC 6761 (invalid, localhost), RFC
// 6762 (local, mDNS), RFC 7686 (onion), RFC 3172 (arpa, infrastructure
// only), RFC 9476 (alt). "test" and "example" (RFC 6761) are special-use
// too but stay allowed: labs, the demo and the tests run on them, and
// nobody on the public Internet can hold them either (issue 10 point 19).
var specialUse = []string{"invalid", "localhost", "local", "onion", "arpa", "alt"}

func checkSpecialUse(ascii string) error {
	tld := ascii[strings.LastIndexByte(ascii, '.')+1:]
	for _, s := range specialUse {
		if tld == s {
			return fmt.Errorf("%w: %s is under .%s, a special-use name outside the public DNS", ErrSpecialUse, ascii, s)
		}
	}
	return nil
}
