package store

import (
	"encoding/binary"
	"strings"
)

// Key layout: one short prefix per record kind, so every listing is a
// prefix iteration and every lookup a point read. Parts that may hold any
// character (addresses) come last or are followed by sep.
const (
	pDirectory = "d/"  // d/<dirID> → model.Directory
	pDomain    = "dn/" // dn/<domain> → model.DomainRecord
	pUser      = "u/"  // u/<dirID>/<addressKey> → model.User
	pCode      = "cd/" // cd/<addressKey> → model.CodeRecord
	pChallenge = "ch/" // ch/<domain>\x00<adminKey> → model.Challenge
	pService   = "s/"  // s/<name> → model.Service
	pJob       = "j/"  // j/<jobID> → model.Job
	pMapping   = "m/"  // m/<newDirID>/<addressKey>\x00<service> → model.Mapping
	pAudit     = "a/"  // a/<nanos BE><rand> → model.AuditEntry
	pOutbox    = "o/"  // o/<nanos BE><rand> → model.Message
	pRetired   = "rt/" // rt/<purge nanos BE><dirID> → nothing
	pUserCount = "cu/" // cu/<dirID> → int64 BE
	pGrantCnt  = "cg/" // cg/<dirID>/<service> → int64 BE
	pConsumer  = "cc/" // cc/<domain> → operator's consumer-domain additions
	pRateLimit = "rl/" // rl/d/<domain>, rl/a/<adminKey> → check window
	pBudget    = "gb/" // gb/d/<domain>, gb/all → model.Budget of wrong codes
	pLease     = "ls/" // ls/<name> → model.Lease of work one server does (lease.go)
	kSeeded    = "meta/seeded"
	kCodeKey   = "meta/codekey" // on a database server only: the code MAC key (codekey.go)
	kFilling   = "meta/filling" // on a database server, while a restore or migration fills it (fill.go)
	sep        = "\x00"
)

func key(parts ...string) []byte { return []byte(strings.Join(parts, "")) }

func dirKey(id string) []byte         { return key(pDirectory, id) }
func domainKey(d string) []byte       { return key(pDomain, d) }
func userPrefix(dir string) []byte    { return key(pUser, dir, "/") }
func userKey(dir, addr string) []byte { return key(pUser, dir, "/", addr) }
func codeKey(addr string) []byte      { return key(pCode, addr) }
func challengeKey(d, admin string) []byte {
	return key(pChallenge, d, sep, admin)
}
func serviceKey(name string) []byte { return key(pService, name) }
func jobKey(id string) []byte       { return key(pJob, id) }
func leaseKey(name string) []byte   { return key(pLease, name) }
func mappingPrefix(dir, addr string) []byte {
	return key(pMapping, dir, "/", addr, sep)
}
func userCountKey(dir string) []byte     { return key(pUserCount, dir) }
func grantCountPrefix(dir string) []byte { return key(pGrantCnt, dir, "/") }
func grantCountKey(dir, svc string) []byte {
	return key(pGrantCnt, dir, "/", svc)
}

// timeKey orders entries by time; the random tail keeps two entries of the
// same nanosecond apart.
func timeKey(prefix string, nanos int64, tail []byte) []byte {
	k := make([]byte, 0, len(prefix)+8+len(tail))
	k = append(k, prefix...)
	k = binary.BigEndian.AppendUint64(k, uint64(nanos))
	return append(k, tail...)
}

func retiredKey(purgeNanos int64, dir string) []byte {
	return timeKey(pRetired, purgeNanos, []byte(dir))
}
