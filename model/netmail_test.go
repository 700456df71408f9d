package model

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// netMailCases are the address cases of Go's own net/mail tests, read
// from the source of the toolchain running this test, so a new Go adds
// its new cases here without a copy to keep.
type netMailCases struct {
	good    []string // bare addr-specs that net/mail formats back unchanged
	bad     []string // inputs net/mail refuses
	parsed  map[string][]string
	skipped int // cases built by expressions this reader does not evaluate
}

func readNetMailTests(t *testing.T) netMailCases {
	t.Helper()
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("no go command to find Go's net/mail tests: %v", err)
	}
	path := filepath.Join(strings.TrimSpace(string(goroot)), "src", "net", "mail", "message_test.go")
	src, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Skipf("Go's net/mail tests are not installed here (%s)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), path, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := netMailCases{parsed: map[string][]string{}}
	bare := func(s string) string { return strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">") }
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		switch fn.Name.Name {
		case "TestAddressParsingAndFormatting":
			// Its first list should pass, its second should fail.
			lists := stringLists(fn.Body)
			if len(lists) < 2 {
				t.Fatalf("%s: %s has %d string lists, want 2", path, fn.Name.Name, len(lists))
			}
			for _, e := range lists[0] {
				if s, ok := evalString(e); ok {
					c.good = append(c.good, bare(s))
				} else {
					c.skipped++
				}
			}
			for _, e := range lists[1] {
				if s, ok := evalString(e); ok {
					c.bad = append(c.bad, bare(s))
				} else {
					c.skipped++
				}
			}
		case "TestAddressParsingError":
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if lit, ok := n.(*ast.CompositeLit); ok && len(lit.Elts) == 2 && lit.Type == nil {
					if s, ok := evalString(lit.Elts[0]); ok {
						c.bad = append(c.bad, s)
					} else {
						c.skipped++
					}
					return false
				}
				return true
			})
		case "TestAddressParsing":
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				lit, ok := n.(*ast.CompositeLit)
				if !ok || len(lit.Elts) != 2 || lit.Type != nil {
					return true
				}
				in, ok := evalString(lit.Elts[0])
				if !ok {
					c.skipped++
					return false
				}
				c.parsed[in] = nil
				ast.Inspect(lit.Elts[1], func(n ast.Node) bool {
					if kv, ok := n.(*ast.KeyValueExpr); ok && kv.Key.(*ast.Ident).Name == "Address" {
						if s, ok := evalString(kv.Value); ok {
							c.parsed[in] = append(c.parsed[in], s)
						}
					}
					return true
				})
				return false
			})
		}
	}
	if len(c.good) < 20 || len(c.bad) < 30 || len(c.parsed) < 30 {
		t.Fatalf("%s: read %d good, %d bad and %d parsed cases; the file's shape changed", path, len(c.good), len(c.bad), len(c.parsed))
	}
	return c
}

// stringLists returns the elements of every []string literal in n.
func stringLists(n ast.Node) [][]ast.Expr {
	var out [][]ast.Expr
	ast.Inspect(n, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		if at, ok := lit.Type.(*ast.ArrayType); ok {
			if id, ok := at.Elt.(*ast.Ident); ok && id.Name == "string" {
				out = append(out, lit.Elts)
			}
		}
		return true
	})
	return out
}

// evalString evaluates string literals, their concatenation and
// string([]byte{…}) of integer literals.
func evalString(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		a, ok1 := evalString(e.X)
		b, ok2 := evalString(e.Y)
		return a + b, ok1 && ok2 && e.Op == token.ADD
	case *ast.CallExpr:
		id, ok := e.Fun.(*ast.Ident)
		if !ok || id.Name != "string" || len(e.Args) != 1 {
			return "", false
		}
		lit, ok := e.Args[0].(*ast.CompositeLit)
		if !ok {
			return "", false
		}
		var b []byte
		for _, x := range lit.Elts {
			v, ok := x.(*ast.BasicLit)
			if !ok || v.Kind != token.INT {
				return "", false
			}
			n, err := strconv.ParseUint(v.Value, 0, 8)
			if err != nil {
				return "", false
			}
			b = append(b, byte(n))
		}
		return string(b), true
	}
	return "", false
}

// netMailPolicy says why selfserve refuses an addr-spec that net/mail
// accepts, or "" if it has no reason to.
func netMailPolicy(spec string) string {
	at := strings.LastIndexByte(spec, '@')
	if at < 0 {
		return ""
	}
	local, domain := spec[:at], spec[at+1:]
	if strings.ContainsAny(local, "<>") {
		return `angle brackets, even quoted: a pasted "Name <addr>" must not pass as a quoted local part`
	}
	for _, r := range local {
		if r > 0x7e {
			return "the part before the @ must be ASCII"
		}
	}
	if _, err := NormalizeDomain(domain); err != nil {
		return "the domain: " + err.Error()
	}
	return ""
}

// TestNetMailSuite runs Go's net/mail address tests through ParseAddress.
// net/mail parses RFC 5322 address lists (display names, groups, comments,
// encoded words); selfserve takes one bare addr-spec, so:
//   - everything net/mail refuses, selfserve refuses;
//   - an input that is more than one bare addr-spec is refused;
//   - every addr-spec net/mail accepts is accepted, in the canonical form
//     net/mail's own formatter writes (RFC 5321 §4.1.2 quoting), unless
//     netMailPolicy names a reason: angle brackets in a quoted local
//     part, a non-ASCII local part, or a domain with no dot, a literal,
//     or a special-use name (admin@mailserver1, postmaster@localhost,
//     Bob@[192.168.0.1]).
func TestNetMailSuite(t *testing.T) {
	c := readNetMailTests(t)
	for _, s := range c.bad {
		if a, err := ParseAddress(s); err == nil {
			t.Errorf("net/mail refuses %q; ParseAddress gives %q", s, a)
		}
	}
	specs := append([]string(nil), c.good...)
	for in, addrs := range c.parsed {
		var canon []string
		for _, a := range addrs {
			canon = append(canon, strings.Trim((&mail.Address{Address: a}).String(), "<>"))
		}
		specs = append(specs, canon...)
		if len(canon) == 1 && canon[0] == in {
			continue // a bare addr-spec, checked with the others below
		}
		if a, err := ParseAddress(in); err == nil {
			t.Errorf("%q is more than one bare addr-spec (net/mail reads %q); ParseAddress gives %q", in, addrs, a)
		}
	}
	var accepted int
	for _, spec := range specs {
		a, err := ParseAddress(spec)
		why := netMailPolicy(spec)
		switch {
		case err != nil && why == "":
			t.Errorf("net/mail accepts %q; ParseAddress refuses it: %v", spec, err)
		case err == nil && why != "":
			t.Errorf("%q: accepted as %q, though %s", spec, a, why)
		case err == nil:
			accepted++
			at := strings.LastIndexByte(spec, '@')
			if d, _ := NormalizeDomain(spec[at+1:]); a.Local != spec[:at] || a.Domain != d {
				t.Errorf("%q: ParseAddress gives %q, net/mail's canonical form is %q", spec, a, spec)
			}
		}
	}
	t.Logf("%d addr-specs accepted, %d inputs refused as net/mail refuses them, %d cases not evaluated", accepted, len(c.bad), c.skipped)
}
