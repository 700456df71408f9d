package model

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/idna"
)

// emailSeeds are the shapes worth starting from: IDNA names in both forms,
// case, trailing dots, quoting, and the length limits of RFC 5321/1035.
var emailSeeds = []string{
	"dan@bellowscollege.com",
	"Dan@BellowsCollege.COM",
	"dan@bellowscollege.com.",
	"dan@bellowscollege.com..",
	"  first.last+rms@contoso.co.uk  ",
	"anna@Bücher.example",
	"anna@xn--bcher-kva.example",
	"anna@XN--BCHER-KVA.EXAMPLE",
	"jo@ÖBB.at",
	"x@faß.de",
	"x@ｂücher.example",
	`"dan smith"@bellowscollege.com`,
	`"a@b"@c.com`,
	`"a\"b"@c.com`,
	"",
	"@",
	"dan@",
	"@x.com",
	"dan@ x.com",
	"dan @x.com",
	"dan@[10.0.0.1]",
	"dan@10.0.0.1",
	"dan@ab--cd.example",
	"dan@xn--zz.example",
	"dan@\u202ebellows.com",
	"dan@" + strings.Repeat("a", 63) + ".com",
	"dan@" + strings.Repeat("a", 64) + ".com",
	strings.Repeat("a", 64) + "@x.com",
	"d@" + strings.Repeat("abcdefghi.", 25) + "com",
	"d@" + strings.Repeat("ü", 60) + ".com",
}

// FuzzParseAddress checks the sign-up address rules of PRODUCT.md §3 rule 1
// on arbitrary input.
func FuzzParseAddress(f *testing.F) {
	for _, s := range emailSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			// Callers tell a person's typo from a broken machine by the
			// class alone (cli exit status 1, TUI message line).
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseAddress(%q) = %v, which does not wrap ErrInvalid", s, err)
			}
			if ok, _ := simpleAddress(s); ok {
				t.Fatalf("ParseAddress(%q) rejected (%v), but a plain RFC 5322/1123 check accepts it", s, err)
			}
			return
		}
		checkDomainShape(t, s, a.Domain)
		if a.Local == "" || len(a.Local) > 64 || len(a.String()) > 254 {
			t.Fatalf("ParseAddress(%q) = %q breaks the RFC 5321 length limits", s, a)
		}
		// Stored addresses are parsed again wherever they are read back
		// (bulk loads, invitations); a second pass must not move them.
		b, err := ParseAddress(a.String())
		if err != nil || b != a {
			t.Fatalf("ParseAddress(%q) = %q, but that re-parses to %q, %v", s, a, b, err)
		}
		k, err := ParseAddress(a.Key())
		if err != nil || k.Key() != a.Key() {
			t.Fatalf("key %q of %q re-parses to %q, %v", a.Key(), s, k.Key(), err)
		}
		if ok, why := simpleAddress(s); !ok && why != skipOracle {
			t.Fatalf("ParseAddress(%q) = %q, but a plain RFC 5322/1123 check rejects it: %s", s, a, why)
		}
	})
}

// FuzzNormalizeDomain checks the domain rules on their own: the ASCII form
// is what keys the store, so two spellings of one name must meet there.
func FuzzNormalizeDomain(f *testing.F) {
	for _, s := range emailSeeds {
		if i := strings.LastIndexByte(s, '@'); i >= 0 {
			f.Add(s[i+1:])
		}
	}
	for _, s := range []string{"bellowscollege.com", "BELLOWSCOLLEGE.COM.", "bellowscollege.com\u3002", "co.uk", "com", ".", "a..b", "-a.com", "a-.com",
		"1.2.3.4", "1.2.3.com", "r3---sn-abc.example", "xn--4db.xn--bcher-kva.example", "шалом.рф", "عربي.example", "a\u200db.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := NormalizeDomain(s)
		pd, perr := ParseDomain(s)
		if err != nil {
			if perr == nil || !errors.Is(perr, ErrInvalid) {
				t.Fatalf("NormalizeDomain(%q) rejects (%v) but ParseDomain gives %q, %v", s, err, pd, perr)
			}
			if !strings.ContainsAny(s, "@<>") && s != "" {
				if _, aerr := ParseAddress("x@" + s); aerr == nil {
					t.Fatalf("domain %q is rejected on its own but accepted in an address", s)
				}
			}
			if ok, _ := simpleDomain(s); ok {
				t.Fatalf("NormalizeDomain(%q) rejected (%v), but a plain RFC 1123 host name check accepts it", s, err)
			}
			return
		}
		if perr != nil || pd != d {
			t.Fatalf("ParseDomain(%q) = %q, %v; NormalizeDomain gave %q", s, pd, perr, d)
		}
		checkDomainShape(t, s, d)
		if again, err := NormalizeDomain(d); err != nil || again != d {
			t.Fatalf("NormalizeDomain(%q) = %q, which normalises again to %q, %v", s, d, again, err)
		}
		// IDNA maps ASCII letters to lower case, so shouting the name
		// must not make it another directory's domain.
		if up, err := NormalizeDomain(asciiUpper(s)); err != nil || up != d {
			t.Fatalf("NormalizeDomain(%q) = %q but its upper-case spelling gives %q, %v", s, d, up, err)
		}
		if ok, why := simpleDomain(s); !ok && why != skipOracle {
			t.Fatalf("NormalizeDomain(%q) = %q, but a plain RFC 1123 host name check rejects it: %s", s, d, why)
		}
		// An address takes the domain without the trailing dot a bare
		// domain may carry.
		if !strings.ContainsAny(s, "@<>") && len(d) <= 252 {
			if a, err := ParseAddress("x@" + noRootDot(s)); err != nil || a.Domain != d {
				t.Fatalf("domain %q normalises to %q on its own but to %q, %v in an address", s, d, a.Domain, err)
			}
		}
	})
}

// FuzzDomainLabelsIndependent: a label's validity must not depend on its
// neighbours (apart from the RFC 5893 bidi rule, which the LTR label added
// here cannot trigger), so a valid IDN subdomain of an accepted domain is
// accepted too. Otherwise a directory's domain can be accepted while its
// international subdomains, which PRODUCT.md §3 lets the admin verify
// through the parent, are refused. Kept apart from FuzzNormalizeDomain
// because its committed corpus holds a known failure (see testdata).
func FuzzDomainLabelsIndependent(f *testing.F) {
	for _, s := range []string{"bellowscollege.com", "xn--bcher-kva.example", "a-b.example", "abc-d.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := NormalizeDomain(s)
		if err != nil {
			return
		}
		const idn = "xn--bcher-kva."
		if len(idn)+len(d) > 253 {
			return
		}
		if _, err := NormalizeDomain(idn + d); err != nil {
			t.Fatalf("NormalizeDomain(%q) = %q, but its subdomain %q is rejected: %v", s, d, idn+d, err)
		}
	})
}

// checkDomainShape asserts what every stored domain must look like
// (RFC 1035 §2.3.4 limits measured on the A-label form).
func checkDomainShape(t *testing.T, in, d string) {
	t.Helper()
	if d != strings.ToLower(d) || strings.HasSuffix(d, ".") || len(d) > 253 {
		t.Fatalf("%q normalised to %q: not lower case, trailing dot, or over 253 octets", in, d)
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		t.Fatalf("%q normalised to %q, which has no dot", in, d)
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || !ldh(l) {
			t.Fatalf("%q normalised to %q with label %q: empty, over 63 octets or not LDH", in, d, l)
		}
	}
	for _, l := range labels {
		if !strings.HasPrefix(l, "xn--") {
			continue
		}
		// RFC 5891 §5.4: an A-label must be the canonical encoding of its
		// U-label, or two strings display as one name. Label by label: an
		// ASCII neighbour with "--" at places 3-4 (r3---sn-abc), which
		// selfserve allows, is no concern of this check.
		u, err := idna.Lookup.ToUnicode(l)
		if err != nil {
			t.Fatalf("%q normalised to %q, whose A-label %q does not decode: %v", in, d, l, err)
		}
		if back, err := idna.Lookup.ToASCII(u); err != nil || back != l {
			t.Fatalf("%q normalised to %q, whose A-label %q decodes to %q and encodes back to %q, %v", in, d, l, u, back, err)
		}
	}
}

// noRootDot is s without the one trailing dot a bare domain may carry.
func noRootDot(s string) string {
	t, _ := trimRootDot(s)
	return t
}

func ldh(l string) bool {
	if l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func asciiUpper(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// skipOracle is the reason simpleAddress gives for input outside what it
// can judge: anything not printable ASCII (IDNA) and A-labels (punycode),
// which only the IDNA library can check.
const skipOracle = "outside the oracle"

// simpleAddress is a plain reading of the RFC 5322 addr-spec (dot-atom or
// quoted-string local part, no comments, no folding) with an RFC 1123 host
// name, written without looking at ParseAddress. Deliberate narrowings
// that the product chose and this check shares: no angle brackets
// anywhere (a pasted "Name <addr>" must not slip through inside quotes),
// no tab inside quotes, no space outside them (not around the address,
// not after the @: issue 10 point 15), and no trailing dot after the
// domain.
func simpleAddress(s string) (bool, string) {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false, skipOracle
		}
	}
	if strings.ContainsAny(s, "<>") {
		return false, "angle bracket"
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return false, "no @"
	}
	local, dom := s[:at], s[at+1:]
	if strings.HasSuffix(dom, ".") {
		return false, "trailing dot after the domain"
	}
	if local == "" || len(local) > 64 {
		return false, "local part length"
	}
	if !dotAtom(local) && !quoted(local) {
		return false, "local part is neither a dot-atom nor a quoted string"
	}
	ok, why := simpleDomain(dom)
	if !ok {
		return false, why
	}
	if len(local)+1+len(strings.ToLower(dom)) > 254 {
		return false, "longer than 254"
	}
	return true, ""
}

func dotAtom(s string) bool {
	for _, atom := range strings.Split(s, ".") {
		if atom == "" {
			return false
		}
		for i := 0; i < len(atom); i++ {
			c := atom[i]
			alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
			if !alnum && !strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", rune(c)) {
				return false
			}
		}
	}
	return true
}

func quoted(s string) bool {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return false
	}
	body := s[1 : len(s)-1]
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '\\':
			if i++; i == len(body) {
				return false
			}
		case c == '"':
			return false
		}
	}
	return true
}

// simpleDomain is RFC 1123 §2.1 host name syntax plus the product's own
// refusals: at least two labels, a top-level label ending in a letter, no
// special-use name but .test and .example, one optional trailing dot.
func simpleDomain(s string) (bool, string) {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false, skipOracle
		}
	}
	h := strings.TrimSuffix(strings.ToLower(s), ".")
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return false, "fewer than two labels"
	}
	if len(h) > 253 {
		return false, "longer than 253"
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || !ldh(l) {
			return false, "label " + l + " is not a host name label"
		}
	}
	if strings.Contains(h, "xn--") {
		return false, skipOracle
	}
	switch tld := labels[len(labels)-1]; {
	case !strings.ContainsAny(tld[len(tld)-1:], "abcdefghijklmnopqrstuvwxyz"):
		return false, "top-level label that does not end in a letter"
	case slices.Contains([]string{"invalid", "localhost", "local", "onion", "arpa", "alt"}, tld):
		return false, "special-use top-level name"
	}
	return true, ""
}

// productTable is the decision table as PRODUCT.md §3 prints it. The oracle
// below reads it as text so that it shares nothing with Decide but the
// words.
const productTable = `
| scenario id | AEVU on, AAHS on | AEVU off, AAHS on | AEVU on, AAHS off | AEVU off, AAHS off |
|---|---|---|---|---|
| ` + "`new-user-signup` | `create-user` | `blocked-email-verified` | `blocked-adhoc` | `blocked-adhoc`" + ` |
| ` + "`existing-user-signup` | `grant-service` | `grant-service` | `blocked-adhoc` | `blocked-adhoc`" + ` |
| ` + "`new-user-exempt-trial` | `create-user` | `blocked-email-verified` | `create-user` | `blocked-email-verified`" + ` |
| ` + "`existing-user-exempt-trial` | `grant-service` | `grant-service` | `grant-service` | `grant-service`" + ` |
| ` + "`b2b-invite-new-user` | `member-and-guest` | `guest-only` | `member-and-guest` | `guest-only`" + ` |
`

type tableKey struct {
	scenario   string
	aevu, aahs bool
}

// readProductTable turns the markdown into cells, taking each column's
// switch settings from its header.
func readProductTable(t testing.TB) (cells map[tableKey]string, rows []string) {
	t.Helper()
	cells = map[tableKey]string{}
	var cols []tableKey
	for _, line := range strings.Split(strings.TrimSpace(productTable), "\n") {
		var f []string
		for _, c := range strings.Split(strings.Trim(line, "| "), "|") {
			f = append(f, strings.Trim(c, " `"))
		}
		switch {
		case f[0] == "scenario id":
			for _, h := range f[1:] {
				cols = append(cols, tableKey{aevu: strings.Contains(h, "AEVU on"), aahs: strings.Contains(h, "AAHS on")})
			}
		case strings.HasPrefix(f[0], "-"):
		default:
			rows = append(rows, f[0])
			for i, c := range cols {
				c.scenario = f[0]
				cells[c] = f[i+1]
			}
		}
	}
	if len(cols) != 4 || len(rows) != 5 || len(cells) != 20 {
		t.Fatalf("product table read as %d columns, %d rows, %d cells", len(cols), len(rows), len(cells))
	}
	return cells, rows
}

// FuzzDecide compares Decide with the product's table for switch settings
// and scenarios drawn from the fuzz input, and checks that a scenario the
// table does not name is never given an outcome.
func FuzzDecide(f *testing.F) {
	for i := range 5 {
		for sw := range 4 {
			f.Add([]byte{byte(i), byte(sw)})
		}
	}
	f.Add([]byte{5, 0, 'n', 'e', 'w'})
	f.Add([]byte("\xff\x03New-User-Signup"))
	cells, rows := readProductTable(f) // once: it does not change per input
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		aevu, aahs := data[1]&1 != 0, data[1]&2 != 0
		sw := Switches{AllowEmailVerifiedUsers: aevu, AllowAdHocSubscriptions: aahs}
		if int(data[0]) >= len(rows) {
			// Scenarios come from code, never from users, so an unknown
			// one is a programming error and must not be answered.
			name := string(data[2:])
			want, known := cells[tableKey{name, aevu, aahs}]
			got, panicked := decideOrPanic(Scenario(name), sw)
			if known && (panicked || string(got) != want) {
				t.Fatalf("Decide(%q, %+v) = %q (panic %v), table says %q", name, sw, got, panicked, want)
			}
			if !known && !panicked {
				t.Fatalf("Decide(%q, %+v) = %q for a scenario the table does not have", name, sw, got)
			}
			return
		}
		name := rows[data[0]]
		want := cells[tableKey{name, aevu, aahs}]
		got, panicked := decideOrPanic(Scenario(name), sw)
		if panicked || string(got) != want {
			t.Fatalf("Decide(%s, %+v) = %q (panic %v), PRODUCT.md §3 says %q", name, sw, got, panicked, want)
		}
		if blocked := strings.HasPrefix(want, "blocked-"); got.Blocked() != blocked {
			t.Fatalf("%s.Blocked() = %v", got, got.Blocked())
		}
		// "the message names the switch": blocked-email-verified is the
		// AEVU switch, blocked-adhoc the AAHS one.
		err := RefuseSignup("bellowscollege.com", "bellowscollege.com", got)
		switch want {
		case "blocked-email-verified":
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "AllowEmailVerifiedUsers") {
				t.Fatalf("RefuseSignup(%s) = %v", got, err)
			}
		case "blocked-adhoc":
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "AllowAdHocSubscriptions") {
				t.Fatalf("RefuseSignup(%s) = %v", got, err)
			}
		default:
			if err != nil {
				t.Fatalf("RefuseSignup(%s) = %v for an allowed outcome", got, err)
			}
		}
		table := DecisionTable(sw)
		if len(table) != len(rows) {
			t.Fatalf("DecisionTable has %d rows, PRODUCT.md %d", len(table), len(rows))
		}
		for i, r := range table {
			if string(r.Scenario) != rows[i] || string(r.Outcome) != cells[tableKey{rows[i], aevu, aahs}] {
				t.Fatalf("DecisionTable(%+v) row %d = %+v, PRODUCT.md says %s → %s", sw, i, r, rows[i], cells[tableKey{rows[i], aevu, aahs}])
			}
		}
	})
}

func decideOrPanic(s Scenario, sw Switches) (o Outcome, panicked bool) {
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	return Decide(s, sw), false
}
