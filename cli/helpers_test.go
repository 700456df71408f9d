package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"selfserve/cli"
	"selfserve/store/engine/postgres/pgtest"
)

// TestMain keeps the caller's environment out of every test: the global
// flags default to SELFSERVE_DB and SELFSERVE_SMTP, and a leaked relay or
// database would send the tests' mail or data somewhere real. Unsetting
// here (rather than t.Setenv) keeps the tests free to run in parallel.
func TestMain(m *testing.M) {
	for _, v := range []string{"SELFSERVE_DB", "SELFSERVE_SMTP"} {
		os.Unsetenv(v)
	}
	code := m.Run()
	pgtest.Cleanup() // the PostgreSQL the engine tests started, if any
	os.Exit(code)
}

// result is one run of the command line.
type result struct {
	args   []string
	code   int
	stdout string
	stderr string
}

func (r result) String() string {
	return fmt.Sprintf("selfserve %s\nexit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// run executes the command line in-process against the database in db.
func run(t *testing.T, db string, args ...string) result {
	t.Helper()
	full := append([]string{"--db", db}, args...)
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code := cli.Run(ctx, full, &out, &errb)
	return result{args: full, code: code, stdout: out.String(), stderr: errb.String()}
}

// runOK runs and fails the test unless the exit status is 0.
func runOK(t *testing.T, db string, args ...string) result {
	t.Helper()
	r := run(t, db, args...)
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	return r
}

// runJSON runs with --json, wants exit 0 and decodes stdout into v.
func runJSON(t *testing.T, db string, v any, args ...string) result {
	t.Helper()
	r := runOK(t, db, append(args, "--json")...)
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("stdout is not the expected JSON (%v):\n%s", err, r)
	}
	return r
}

// wantFail runs, wants the given exit status and every fragment in stderr
// (compared case-insensitively), and returns the result.
func wantFail(t *testing.T, db string, code int, fragments []string, args ...string) result {
	t.Helper()
	r := run(t, db, args...)
	if r.code != code {
		t.Fatalf("want exit %d:\n%s", code, r)
	}
	for _, f := range fragments {
		if !strings.Contains(strings.ToLower(r.stderr), strings.ToLower(f)) {
			t.Errorf("stderr should mention %q:\n%s", f, r)
		}
	}
	return r
}

// JSON shapes of the command line's output, as far as the tests read them.

type message struct {
	Time    time.Time `json:"time"`
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
}

type switches struct {
	AllowEmailVerifiedUsers bool `json:"allowEmailVerifiedUsers"`
	AllowAdHocSubscriptions bool `json:"allowAdHocSubscriptions"`
}

type directory struct {
	ID           string           `json:"id"`
	Name         string           `json:"name"`
	State        string           `json:"state"`
	Domains      []string         `json:"domains"`
	GlobalAdmins []string         `json:"globalAdmins"`
	Switches     switches         `json:"switches"`
	Job          string           `json:"job"`
	MergedInto   string           `json:"mergedInto"`
	Users        int64            `json:"users"`
	Grants       map[string]int64 `json:"grants"`
}

type user struct {
	ID             string   `json:"id"`
	Email          string   `json:"email"`
	Directory      string   `json:"directory"`
	Kind           string   `json:"kind"`
	CreationMethod string   `json:"creationMethod"`
	Grants         []string `json:"grants"`
	HomeUser       string   `json:"homeUser"`
	FormerID       string   `json:"formerId"`
}

type signupResult struct {
	Directory        directory `json:"directory"`
	User             user      `json:"user"`
	Outcome          string    `json:"outcome"`
	CreatedDirectory bool      `json:"createdDirectory"`
}

type domainRecord struct {
	Domain    string `json:"domain"`
	Directory string `json:"directory"`
	Verified  bool   `json:"verified"`
	Proof     string `json:"proof"`
}

type challenge struct {
	Domain    string    `json:"domain"`
	Admin     string    `json:"admin"`
	Mode      string    `json:"mode"`
	Kind      string    `json:"kind"`
	Into      string    `json:"into"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
}

type challengeResult struct {
	Challenge   *challenge `json:"challenge"`
	ParentProof string     `json:"parentProof"`
	Reused      bool       `json:"reused"`
}

type serviceImpact struct {
	Service string `json:"service"`
	Policy  string `json:"policy"`
	Users   int    `json:"users"`
}

type impact struct {
	Users        int             `json:"users"`
	Services     []serviceImpact `json:"services"`
	Blocking     []string        `json:"blocking"`
	LosingAccess []string        `json:"losingAccess"`
}

type checkResult struct {
	Domain  string `json:"domain"`
	Outcome string `json:"outcome"`
	Servers []struct {
		Server  string   `json:"server"`
		Outcome string   `json:"outcome"`
		Values  []string `json:"values"`
	} `json:"servers"`
}

type verifyReport struct {
	Domain      string       `json:"domain"`
	Kind        string       `json:"kind"`
	Check       *checkResult `json:"check"`
	ParentProof string       `json:"parentProof"`
	Impact      *impact      `json:"impact"`
	DryRun      bool         `json:"dryRun"`
	Directory   *directory   `json:"directory"`
	Job         *struct {
		ID      string `json:"id"`
		Moved   int    `json:"moved"`
		Dropped int    `json:"dropped"`
		State   string `json:"state"`
	} `json:"job"`
}

type tableRow struct {
	Scenario string `json:"scenario"`
	Outcome  string `json:"outcome"`
}

type settingsOut struct {
	Directory     string     `json:"directory"`
	Switches      switches   `json:"switches"`
	DecisionTable []tableRow `json:"decisionTable"`
}

type inviteResult struct {
	Outcome     string     `json:"outcome"`
	Guest       user       `json:"guest"`
	Home        *directory `json:"home"`
	HomeUser    *user      `json:"homeUser"`
	CreatedHome bool       `json:"createdHome"`
}

type service struct {
	Name        string `json:"name"`
	Takeover    string `json:"takeover"`
	ExemptAdHoc bool   `json:"exemptAdHoc"`
}

type auditEntry struct {
	Time   time.Time       `json:"time"`
	Actor  string          `json:"actor"`
	As     string          `json:"as"`
	Action string          `json:"action"`
	Target string          `json:"target"`
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// outbox returns the messages the outbox mailer kept.
func outbox(t *testing.T, db string) []message {
	t.Helper()
	var msgs []message
	runJSON(t, db, &msgs, "outbox")
	return msgs
}

// codeFrom takes the 6-digit code from the end of a code mail's subject.
func codeFrom(t *testing.T, m message) string {
	t.Helper()
	s := strings.TrimSpace(m.Subject)
	if len(s) < 6 {
		t.Fatalf("subject %q holds no code", m.Subject)
	}
	c := s[len(s)-6:]
	if strings.Trim(c, "0123456789") != "" {
		t.Fatalf("subject %q does not end in a 6-digit code", m.Subject)
	}
	return c
}

// code returns the newest code mailed to email (compared case-insensitively)
// from the outbox.
func code(t *testing.T, db, email string) string {
	t.Helper()
	msgs := outbox(t, db)
	for i := len(msgs) - 1; i >= 0; i-- {
		if strings.EqualFold(msgs[i].To, email) && strings.Contains(msgs[i].Subject, "code") {
			return codeFrom(t, msgs[i])
		}
	}
	t.Fatalf("no code for %s in the outbox: %+v", email, msgs)
	return ""
}

// signup runs the whole sign-up (start, code from the outbox, verify) and
// returns what verify printed.
func signup(t *testing.T, db, email, svc string) signupResult {
	t.Helper()
	runOK(t, db, "signup", "start", email, "--service", svc)
	var res signupResult
	runJSON(t, db, &res, "signup", "verify", email, "--code", code(t, db, email))
	return res
}

// directoryShow returns `directory show ref --json`.
func directoryShow(t *testing.T, db, ref string) directory {
	t.Helper()
	var d directory
	runJSON(t, db, &d, "directory", "show", ref)
	return d
}

// users returns every user of a directory.
func users(t *testing.T, db, ref string) []user {
	t.Helper()
	var us []user
	runJSON(t, db, &us, "user", "list", ref, "--limit", "1000")
	return us
}

// domains returns `domain list --json` keyed by domain.
func domains(t *testing.T, db string) map[string]domainRecord {
	t.Helper()
	var recs []domainRecord
	runJSON(t, db, &recs, "domain", "list")
	out := map[string]domainRecord{}
	for _, r := range recs {
		out[r.Domain] = r
	}
	return out
}

// audit returns the whole audit log.
func audit(t *testing.T, db string) []auditEntry {
	t.Helper()
	var es []auditEntry
	runJSON(t, db, &es, "audit")
	return es
}

func actions(es []auditEntry) map[string]int {
	out := map[string]int{}
	for _, e := range es {
		out[e.Action]++
	}
	return out
}

// ---- a real DNS server, in process -------------------------------------

// dnsZone is an authoritative DNS server on a loopback UDP port whose
// records the test publishes while it runs.
type dnsZone struct {
	Addr    string
	mu      sync.Mutex
	records map[string][]dns.RR // canonical owner name → records
	queries int
}

// startDNS serves the (initially empty) zone until the test ends.
func startDNS(t *testing.T) *dnsZone {
	t.Helper()
	z := &dnsZone{records: map[string][]dns.RR{}}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(z.serve)}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	z.Addr = pc.LocalAddr().String()
	return z
}

// publish adds one record in zone-file syntax, e.g.
// `contoso.com. 3600 IN TXT "MS=..."`.
func (z *dnsZone) publish(t *testing.T, record string) {
	t.Helper()
	rr, err := dns.NewRR(record)
	if err != nil {
		t.Fatalf("bad record %q: %v", record, err)
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	name := dns.CanonicalName(rr.Header().Name)
	z.records[name] = append(z.records[name], rr)
}

// publishTXT publishes a TXT record with one string at name's apex.
func (z *dnsZone) publishTXT(t *testing.T, name, value string) {
	t.Helper()
	z.publish(t, fmt.Sprintf("%s 3600 IN TXT %q", dns.Fqdn(name), value))
}

func (z *dnsZone) queryCount() int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.queries
}

// serve answers authoritatively: the records of the asked type, NODATA
// when the name has records of other types only, NXDOMAIN otherwise.
func (z *dnsZone) serve(w dns.ResponseWriter, q *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(q)
	m.Authoritative = true
	if opt := q.IsEdns0(); opt != nil {
		m.SetEdns0(opt.UDPSize(), false)
	}
	if len(q.Question) != 1 {
		m.SetRcode(q, dns.RcodeFormatError)
		_ = w.WriteMsg(m)
		return
	}
	qq := q.Question[0]
	z.mu.Lock()
	z.queries++
	rrs, known := z.records[dns.CanonicalName(qq.Name)]
	for _, rr := range rrs {
		if rr.Header().Rrtype == qq.Qtype {
			m.Answer = append(m.Answer, dns.Copy(rr))
		}
	}
	z.mu.Unlock()
	if !known {
		m.Rcode = dns.RcodeNameError
	}
	_ = w.WriteMsg(m)
}

// ---- a real SMTP relay, in process --------------------------------------

// mail is one message the test relay accepted.
type mail struct {
	From string
	To   []string
	Data string
}

// smtpRelay speaks enough RFC 5321 to take messages: greeting, EHLO/HELO,
// MAIL, RCPT, DATA (with dot-unstuffing), RSET, NOOP, QUIT.
type smtpRelay struct {
	Addr string
	mu   sync.Mutex
	msgs []mail
}

func startSMTP(t *testing.T) *smtpRelay {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpRelay{Addr: l.Addr().String()}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.session(c)
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
	return s
}

func (s *smtpRelay) messages() []mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mail(nil), s.msgs...)
}

func (s *smtpRelay) session(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	reply := func(line string) { fmt.Fprintf(c, "%s\r\n", line) }
	reply("220 test.invalid ESMTP test relay")
	var cur mail
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(line)
		switch {
		case strings.HasPrefix(verb, "EHLO"):
			reply("250-test.invalid greets you")
			reply("250 8BITMIME")
		case strings.HasPrefix(verb, "HELO"):
			reply("250 test.invalid")
		case strings.HasPrefix(verb, "MAIL FROM:"):
			cur = mail{From: strings.Trim(line[len("MAIL FROM:"):], "<> ")}
			if i := strings.Index(cur.From, ">"); i >= 0 {
				cur.From = cur.From[:i]
			}
			reply("250 2.1.0 ok")
		case strings.HasPrefix(verb, "RCPT TO:"):
			to := strings.Trim(line[len("RCPT TO:"):], " ")
			to = strings.TrimSuffix(strings.TrimPrefix(to, "<"), ">")
			cur.To = append(cur.To, to)
			reply("250 2.1.5 ok")
		case verb == "DATA":
			if len(cur.To) == 0 {
				reply("503 5.5.1 RCPT first")
				continue
			}
			reply("354 end data with <CR><LF>.<CR><LF>")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				l = strings.TrimRight(l, "\r\n")
				if l == "." {
					break
				}
				data.WriteString(strings.TrimPrefix(l, ".") + "\n")
			}
			cur.Data = data.String()
			s.mu.Lock()
			s.msgs = append(s.msgs, cur)
			s.mu.Unlock()
			cur = mail{}
			reply("250 2.0.0 queued")
		case verb == "RSET":
			cur = mail{}
			reply("250 2.0.0 ok")
		case verb == "NOOP":
			reply("250 2.0.0 ok")
		case verb == "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("502 5.5.2 command not implemented")
		}
	}
}

// refusingAddr returns a loopback address where nothing listens.
func refusingAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// ---- small assertions ------------------------------------------------------

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func findUser(us []user, email string) (user, bool) {
	for _, u := range us {
		if strings.EqualFold(u.Email, email) {
			return u, true
		}
	}
	return user{}, false
}

func findDirectory(ds []directory, name string) (directory, bool) {
	for _, d := range ds {
		if d.Name == name {
			return d, true
		}
	}
	return directory{}, false
}

// ---- takeover steps ---------------------------------------------------------

// challengeFor issues `domain challenge` with --json and returns the result.
func challengeFor(t *testing.T, db string, args ...string) challengeResult {
	t.Helper()
	var res challengeResult
	runJSON(t, db, &res, append([]string{"domain", "challenge"}, args...)...)
	return res
}

// takeOver signs admin up for svc (creating their domain's unmanaged
// directory if needed), issues a TXT challenge, publishes it in z and
// verifies it: the domain's directory becomes managed with admin as its
// global admin.
func takeOver(t *testing.T, db string, z *dnsZone, admin, svc string) directory {
	t.Helper()
	signup(t, db, admin, svc)
	domain := strings.ToLower(admin[strings.LastIndexByte(admin, '@')+1:])
	ch := challengeFor(t, db, domain, "--as", admin)
	if ch.Challenge == nil {
		t.Fatalf("no challenge issued for %s", domain)
	}
	z.publishTXT(t, domain, ch.Challenge.Token)
	runOK(t, db, "domain", "verify", domain, "--as", admin, "--dns-server", z.Addr)
	d := directoryShow(t, db, domain)
	if d.State != "managed" {
		t.Fatalf("after the internal takeover %s is %s, want managed", domain, d.State)
	}
	return d
}

// runNoDB runs without --db, so the environment's defaults apply.
func runNoDB(args []string, stdout, stderr *strings.Builder) int {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return cli.Run(ctx, args, stdout, stderr)
}

// silentUDP returns a loopback UDP address that takes queries and never
// answers.
func silentUDP(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}
