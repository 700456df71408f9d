package dnscheck

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpus in testdata/fuzz/FuzzJudge")

// FuzzJudge feeds arbitrary messages to judge, the code that reads an
// answer. It must not panic, and it may say Found only when the message,
// read by hand below without miekg, really is an answer to the question
// that holds, at the owner, one TXT record whose strings joined are the
// token.
func FuzzJudge(f *testing.F) {
	f.Fuzz(func(t *testing.T, wire []byte, idDelta uint16, askOther bool, token string, authoritative bool) {
		want := Expect{Kind: TXT, Value: token}
		if _, err := want.qtype(); err != nil {
			return
		}
		r := new(dns.Msg)
		if err := r.Unpack(wire); err != nil {
			return // miekg's ReadMsg fails the same way: a DNS error, never judged
		}
		// Ask the question the message answers, so that most inputs get
		// past the question check to the records; askOther (and a message
		// whose name is no host name) asks for bellows.test instead.
		name := "bellows.test."
		if len(r.Question) > 0 && !askOther {
			if n, err := canonicalDomain(r.Question[0].Name); err == nil {
				name = n
			}
		}
		q := query(name, dns.TypeTXT, !authoritative)
		q.Id = r.Id + idDelta // the ID matches unless the fuzzer says otherwise
		id := q.Id
		outcome, _, values, _ := judge(q, want, r, authoritative)
		switch outcome {
		case Found:
			if !slices.Contains(values, token) {
				t.Fatalf("found, but values %q lack the token", values)
			}
			if why := holds(wire, id, name, token, authoritative); why != "" {
				t.Fatalf("judge says found, but %s", why)
			}
		case WrongValue:
			if len(values) == 0 {
				t.Fatal("wrong value without values")
			}
		case Missing, DNSError:
		default:
			t.Fatalf("outcome %q", outcome)
		}
	})
}

// holds is the oracle: why wire, read by hand from RFC 1035 §4.1, is not an
// acceptable answer to TXT owner holding token, or "" when it is.
func holds(wire []byte, id uint16, owner, token string, authoritative bool) string {
	if len(wire) < 12 {
		return "the message is shorter than a header"
	}
	be16 := func(b []byte) int { return int(binary.BigEndian.Uint16(b)) }
	flags, rcode := wire[2], wire[3]&0x0f
	switch {
	case be16(wire) != int(id):
		return "the ID differs"
	case flags&0x80 == 0:
		return "QR is not set"
	case flags&0x02 != 0:
		return "TC is set"
	case authoritative && flags&0x04 == 0:
		return "AA is not set"
	case rcode != 0:
		return fmt.Sprintf("RCODE is %d", rcode)
	case be16(wire[4:]) != 1:
		return "QDCOUNT is not 1"
	}
	want := strings.Split(strings.TrimSuffix(owner, "."), ".")
	qname, off, ok := readName(wire, 12)
	if !ok || off+4 > len(wire) || !slices.Equal(qname, want) || be16(wire[off:]) != 16 || be16(wire[off+2:]) != 1 {
		return "the question is not owner IN TXT"
	}
	off += 4
	for range be16(wire[6:]) {
		name, o, ok := readName(wire, off)
		if !ok || o+10 > len(wire) {
			break
		}
		rtype, class, rdlen := be16(wire[o:]), be16(wire[o+2:]), be16(wire[o+8:])
		rdata := o + 10
		if rdata+rdlen > len(wire) {
			break
		}
		if rtype == 16 && class == 1 && slices.Equal(name, want) {
			if s, ok := joinStrings(wire[rdata : rdata+rdlen]); ok && s == token {
				return ""
			}
		}
		off = rdata + rdlen
	}
	return "no TXT record of the owner holds the token"
}

// readName reads a possibly compressed name at off: its labels,
// lower-cased (ASCII only, RFC 4343), and the offset after it.
func readName(msg []byte, off int) (labels []string, next int, ok bool) {
	next = -1
	for jumps := 0; off < len(msg); {
		n := int(msg[off])
		switch {
		case n == 0:
			if next < 0 {
				next = off + 1
			}
			return labels, next, true
		case n&0xc0 == 0xc0:
			if off+2 > len(msg) || jumps > 127 {
				return nil, 0, false
			}
			if next < 0 {
				next = off + 2
			}
			jumps++
			off = int(binary.BigEndian.Uint16(msg[off:]) & 0x3fff)
		case n&0xc0 != 0:
			return nil, 0, false
		case off+1+n > len(msg):
			return nil, 0, false
		default:
			label := []byte(string(msg[off+1 : off+1+n]))
			for i, c := range label {
				if 'A' <= c && c <= 'Z' {
					label[i] = c + 'a' - 'A'
				}
			}
			labels = append(labels, string(label))
			off += 1 + n
		}
	}
	return nil, 0, false
}

// joinStrings concatenates the character-strings of TXT RDATA.
func joinStrings(rdata []byte) (string, bool) {
	var b []byte
	for i := 0; i < len(rdata); {
		n := int(rdata[i])
		if i+1+n > len(rdata) {
			return "", false
		}
		b = append(b, rdata[i+1:i+1+n]...)
		i += 1 + n
	}
	return string(b), true
}

// judgeSeed is a real answer, as the test zone server sends it, made into a
// seed of FuzzJudge; outcome is what judge must make of it.
type judgeSeed struct {
	name     string
	wire     []byte
	idDelta  uint16 // the question's ID minus the answer's
	askOther bool   // ask for bellows.test, not the message's question
	owner    string // the message's question
	token    string
	auth     bool
	outcome  Outcome
}

func judgeSeeds(t *testing.T) []judgeSeed {
	answer := func(owner string, auth bool, records []string, change func(m *dns.Msg)) []byte {
		q := query(dns.Fqdn(owner), dns.TypeTXT, !auth)
		q.Id = 0x5eed // a fixed ID keeps the corpus files reproducible
		z := newZoneData(append(zone(2), records...)...)
		m := z.answer(q, !auth)
		if change != nil {
			change(m)
		}
		m.Compress = true
		wire, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		return wire
	}
	seed := func(name, owner string, auth bool, records []string, change func(*dns.Msg), outcome Outcome) judgeSeed {
		return judgeSeed{name, answer(owner, auth, records, change), 0, false, owner, token, auth, outcome}
	}
	apex := txt("Bellows.Test.", token)
	return []judgeSeed{
		seed("found", "bellows.test", true, []string{apex, txt("bellows.test.", "v=spf1 -all")}, nil, Found),
		seed("found-from-resolver", "bellows.test", false, []string{apex}, nil, Found),
		seed("split-strings", "bellows.test", true, []string{txt("bellows.test.", "MS=32", "DD", "F00D")}, nil, Found),
		seed("split-records", "bellows.test", true, []string{txt("bellows.test.", "MS=32DD"), txt("bellows.test.", "F00D")}, nil, WrongValue),
		seed("near-miss", "bellows.test", true, []string{txt("bellows.test.", "MS=32DDF00E")}, nil, WrongValue),
		seed("cname", "www.bellows.test", true, []string{apex, "www.bellows.test. 300 IN CNAME bellows.test."}, nil, Missing),
		seed("nxdomain", "nothere.bellows.test", true, nil, nil, Missing),
		seed("nodata", "bellows.test", true, nil, nil, Missing),
		seed("lame", "bellows.test", true, []string{apex}, func(m *dns.Msg) { m.Authoritative = false }, DNSError),
		seed("truncated", "bellows.test", true, []string{apex}, func(m *dns.Msg) { m.Truncated = true }, DNSError),
		seed("servfail-ede", "bellows.test", true, nil, func(m *dns.Msg) { servfailWithEDE(nil, nil, m) }, DNSError),
		seed("other-question", "bellows.test", true, []string{apex}, func(m *dns.Msg) { m.Question[0].Name = "other.test." }, DNSError),
		{"other-id", answer("bellows.test", true, []string{apex}, nil), 1, false, "bellows.test", token, true, DNSError},
		{"other-name", answer("www.bellows.test", true, []string{txt("www.bellows.test.", token)}, nil), 0, true, "www.bellows.test", token, true, DNSError},
		seed("class-chaos", "bellows.test", true, []string{"bellows.test. 300 CH TXT \"" + token + "\""}, nil, Missing),
		seed("long", "_x.bellows.test", true, []string{txt("_x.bellows.test.", chunks(longToken(600))...)}, nil, WrongValue),
	}
}

// TestFuzzJudgeSeeds checks what judge makes of each seed, and that the
// committed corpus is the one these seeds make (-update-corpus rewrites
// it).
func TestFuzzJudgeSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzJudge")
	for _, s := range judgeSeeds(t) {
		r := new(dns.Msg)
		if err := r.Unpack(s.wire); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		name := dns.Fqdn(s.owner)
		if s.askOther {
			name = "bellows.test."
		}
		q := query(name, dns.TypeTXT, !s.auth)
		q.Id = r.Id + s.idDelta
		if got, _, _, detail := judge(q, Expect{Kind: TXT, Value: s.token}, r, s.auth); got != s.outcome {
			t.Errorf("%s: judge = %s (%s), want %s", s.name, got, detail, s.outcome)
		}
		file := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nuint16(%d)\nbool(%v)\nstring(%q)\nbool(%v)\n",
			s.wire, s.idDelta, s.askOther, s.token, s.auth)
		path := filepath.Join(dir, s.name)
		if *updateCorpus {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(path); err != nil || string(got) != file {
			t.Errorf("%s is not the seed judgeSeeds makes (err %v); run go test -run TestFuzzJudgeSeeds -update-corpus", path, err)
		}
	}
}
