package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"selfserve/model"
)

// recordKind is one kind of stored value: the key it lives under and a
// fresh value to decode into.
type recordKind struct {
	name string
	key  []byte
	zero func() any
}

// recordKinds lists every JSON record the store writes (store/keys.go and
// the cfg/ and rl/ keys), so a new kind is one line here. The committed
// corpora name kinds by index: append new kinds at the end only.
var recordKinds = []recordKind{
	{"directory", dirKey("d-1"), func() any { return new(model.Directory) }},
	{"domain", domainKey("bellowscollege.com"), func() any { return new(model.DomainRecord) }},
	{"user", userKey("d-1", "dan@bellowscollege.com"), func() any { return new(model.User) }},
	{"code", codeKey("dan@bellowscollege.com"), func() any { return new(model.CodeRecord) }},
	{"challenge", challengeKey("bellowscollege.com", "dan@bellowscollege.com"), func() any { return new(model.Challenge) }},
	{"service", serviceKey("rms"), func() any { return new(model.Service) }},
	{"job", jobKey("j-1"), func() any { return new(model.Job) }},
	{"mapping", append(mappingPrefix("d-2", "dan@bellowscollege.com"), "rms"...), func() any { return new(model.Mapping) }},
	{"audit", timeKey(pAudit, 1, []byte{1, 2}), func() any { return new(model.AuditEntry) }},
	{"outbox", timeKey(pOutbox, 1, []byte{1, 2}), func() any { return new(model.Message) }},
	{"default-switches", []byte(kDefaultSwitches), func() any { return new(model.Switches) }},
	{"dns-config", []byte(kDNSConfig), func() any { return new(DNSConfig) }},
	{"rate-limit", []byte(pRateLimit + "a/dan@bellowscollege.com"), func() any { return new(window) }},
}

// FuzzDecode feeds arbitrary bytes to decode for every record kind and to
// countValue. Bytes that are not a JSON object (or null) must come back as
// errDamaged naming the key, never as a panic or a half-filled record the
// caller would trust; a record that is accepted must encode to bytes that
// decode to the same record.
func FuzzDecode(f *testing.F) {
	f.Add(uint8(0), []byte(`{"id":"d-1","name":"bellowscollege.com","state":"unmanaged","domains":["bellowscollege.com"],"switches":{"allowEmailVerifiedUsers":true,"allowAdHocSubscriptions":true},"createdAt":"2024-05-01T10:00:00Z"}`))
	f.Add(uint8(0), []byte(`{"id":"d-1","name":"bellowscol`))
	f.Add(uint8(0), []byte(`{"id":5}`))
	f.Add(uint8(2), []byte(`{"grants":"rms"}`))
	f.Add(uint8(3), []byte(`{"issuedAt":"2024-13-01T00:00:00Z"}`))
	f.Add(uint8(6), []byte(`{"services":{"rms":{"name":"rms","takeover":"remap"}},"total":1e400}`))
	f.Add(uint8(8), []byte(`{"time":"2024-05-01T10:00:00+02:00","before":{"a":[1,{"b":null}]},"after":1e308}`))
	f.Add(uint8(11), []byte(`{"recheckInterval":"24h"}`))
	f.Add(uint8(12), []byte{0, 0, 0, 0, 0, 0, 0, 1})
	f.Add(uint8(1), []byte("null"))
	f.Add(uint8(1), []byte(""))
	f.Add(uint8(1), []byte("\xff\xfe{}"))
	f.Fuzz(func(t *testing.T, kind uint8, b []byte) {
		rk := recordKinds[int(kind)%len(recordKinds)]
		v := rk.zero()
		err := decode(rk.key, b, v)
		if err != nil {
			if !errors.Is(err, errDamaged) {
				t.Fatalf("%s: decode(%q) = %v, not errDamaged", rk.name, b, err)
			}
			// The operator must learn which record broke.
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", rk.key)) {
				t.Fatalf("%s: decode error %q does not name the key %q", rk.name, err, rk.key)
			}
		} else {
			if tb := bytes.TrimSpace(b); !json.Valid(b) || !(bytes.HasPrefix(tb, []byte("{")) || bytes.Equal(tb, []byte("null"))) {
				t.Fatalf("%s: decode accepted %q, which is not a JSON object", rk.name, b)
			}
			out, err := encode(rk.key, v)
			if err != nil {
				// JSON reads some values it will not write (a +24:00
				// zone offset): put reports those as damage when the
				// record is written back (TestDamageFoundOnWriteBack).
				return
			}
			w := rk.zero()
			if err := decode(rk.key, out, w); err != nil {
				t.Fatalf("%s: %q decoded and re-encoded as %q, which does not decode: %v", rk.name, b, out, err)
			}
			if out2, _ := json.Marshal(w); !bytes.Equal(out, out2) {
				t.Fatalf("%s: %q re-encodes as %q, then as %q", rk.name, b, out, out2)
			}
		}

		ck := userCountKey("d-1")
		n, err := countValue(ck, b)
		if len(b) != 8 {
			if !errors.Is(err, errDamaged) || !strings.Contains(err.Error(), fmt.Sprintf("%q", ck)) {
				t.Fatalf("countValue(%q) = %d, %v; want errDamaged naming the key", b, n, err)
			}
			return
		}
		if err != nil || !bytes.Equal(binary.BigEndian.AppendUint64(nil, uint64(n)), b) {
			t.Fatalf("countValue(%x) = %d, %v, which does not encode back", b, n, err)
		}
	})
}

// FuzzRecordRoundTrip builds a record of each kind from fuzz values, writes
// it as put does and reads it back with decode: what the store writes it
// must read back unchanged.
func FuzzRecordRoundTrip(f *testing.F) {
	f.Add(uint8(0), "d-1", "bellowscollege.com", "bellowscollege.com,bellowscollege.co.uk", int64(1714557600), true)
	f.Add(uint8(1), "bellowscollege.com", "d-1", "", int64(0), false)
	f.Add(uint8(2), "Dan@bellowscollege.com", "u-1", "rms,sharepoint", int64(-62135596800), true)
	f.Add(uint8(6), "j-1", "rms", "rms,powerbi,flow", int64(253402300799), true)
	f.Add(uint8(8), "cli", "<script>&\u2028", "a\x00b", int64(-1), false)
	f.Add(uint8(9), "dan@bellowscollege.com", "Your code", "123456\r\n", int64(1<<62), false)
	f.Add(uint8(11), "127.0.0.1:5353", "", "", int64(-1<<63), true)
	f.Fuzz(func(t *testing.T, kind uint8, a, b, c string, n int64, flag bool) {
		// Stored strings are validated before they reach the store
		// (ASCII addresses and domains, LDH service names), and JSON
		// cannot carry invalid UTF-8 anyway; test what can be stored.
		a, b, c = strings.ToValidUTF8(a, "?"), strings.ToValidUTF8(b, "?"), strings.ToValidUTF8(c, "?")
		rk := recordKinds[int(kind)%len(recordKinds)]
		rec := buildRecord(rk.name, a, b, c, n, flag)
		out, err := encode(rk.key, rec)
		if err != nil {
			t.Fatalf("%s: put would fail for %+v: %v", rk.name, rec, err)
		}
		got := rk.zero()
		if err := decode(rk.key, out, got); err != nil {
			t.Fatalf("%s: %s does not decode: %v", rk.name, out, err)
		}
		if back := reflect.ValueOf(got).Elem().Interface(); !reflect.DeepEqual(back, rec) {
			t.Fatalf("%s: wrote %#v as %s, read back %#v", rk.name, rec, out, back)
		}
	})
}

// fuzzTime spreads n over the years JSON time can hold (RFC 3339 has four
// year digits). Times are UTC: the store writes UTC, and a local zone
// would not survive DeepEqual though it keeps the instant.
func fuzzTime(n int64) time.Time {
	const first, last = -62135596800, 253402300799 // 0001-01-01, 9999-12-31T23:59:59
	sec := first + int64(uint64(n)%uint64(last-first+1))
	return time.Unix(sec, int64(uint64(n)%1e9)).UTC()
}

func fuzzList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func buildRecord(kind, a, b, c string, n int64, flag bool) any {
	at := fuzzTime(n)
	var later time.Time
	if flag {
		later = fuzzTime(n / 3)
	}
	rs := &model.RecordSpec{Name: a, Type: "TXT", Value: b, TTL: int(n % 100000), Preference: int(n % 65536)}
	if !flag {
		rs = nil
	}
	switch kind {
	case "directory":
		return model.Directory{ID: a, Name: b, State: model.State(c), Domains: fuzzList(c), GlobalAdmins: fuzzList(b),
			Switches:  model.Switches{AllowEmailVerifiedUsers: flag, AllowAdHocSubscriptions: n%2 == 0},
			CreatedAt: at, Job: c, RetiredAt: later, MergedInto: a}
	case "domain":
		return model.DomainRecord{Domain: a, Directory: b, Verified: flag, VerifiedAt: later, Proof: c, Record: rs,
			CheckedAt: at, Flagged: !flag, FlaggedAt: later, FlagReason: c}
	case "user":
		return model.User{ID: b, Email: a, Directory: c, Kind: model.Member, CreationMethod: model.EmailVerified,
			Grants: fuzzList(c), CreatedAt: at, HomeUser: b, FormerID: c}
	case "code":
		return model.CodeRecord{Email: a, Service: b, Salt: c, MAC: a + b, Void: flag, IssuedAt: at, ExpiresAt: later,
			Attempts: int(n % 7), Requests: int(n), WindowStart: at}
	case "challenge":
		return model.Challenge{Domain: a, Admin: b, Mode: model.ModeTXT, Kind: model.External, Into: c, Token: b,
			IssuedAt: at, ExpiresAt: later}
	case "service":
		return model.Service{Name: a, Takeover: model.TakeoverPolicy(b), ExemptAdHoc: flag}
	case "job":
		svcs := map[string]model.Service{}
		for _, name := range fuzzList(c) {
			svcs[name] = model.Service{Name: name, Takeover: model.Block, ExemptAdHoc: flag}
		}
		if !flag {
			svcs = nil
		}
		return model.Job{ID: a, Source: b, Target: c, Domain: a, Admin: b, Proof: c, Record: rs, Force: flag,
			Services: svcs, Cursor: c, Total: int(n), Moved: int(n / 2), Dropped: int(n % 3), State: model.JobRunning,
			StartedAt: at, FinishedAt: later}
	case "mapping":
		return model.Mapping{Email: a, Service: b, OldUser: c, NewUser: a, OldDir: b, NewDir: c, Status: model.Mapped, Job: a}
	case "audit":
		// Before and After are read back as generic JSON, so build them
		// in that shape: maps, strings, float64, bools, nil.
		var before any = map[string]any{"name": a, "n": float64(n), "on": flag, "none": nil, "list": []any{b, c}}
		var after any = b
		if flag {
			after = nil
		}
		return model.AuditEntry{Time: at, Actor: a, Action: c, Target: b, Before: before, After: after}
	case "outbox":
		return model.Message{Time: at, To: a, Subject: b, Body: c}
	case "default-switches":
		return model.Switches{AllowEmailVerifiedUsers: flag, AllowAdHocSubscriptions: n%2 != 0}
	case "dns-config":
		return DNSConfig{Server: a, Resolver: b, Port: c, RecheckInterval: time.Duration(n)}
	case "rate-limit":
		return window{Count: int(n), Start: at}
	}
	panic("no builder for record kind " + kind)
}
