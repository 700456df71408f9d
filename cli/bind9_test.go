package cli_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// The BIND9 tests run the selfserve binary against two real named
// processes, ns1 on 127.0.0.1 and ns2 on ::1, sharing one port and serving
// the same zones from their own files, so the checker's walk (SOA, NS, A
// and AAAA, then every authoritative server) meets a real implementation,
// and the two servers can be made to disagree. (named only listens on
// addresses an interface has, and loopback has just these two.)

var bindZones = []string{"bellowscollege.com", "contoso.com", "contoso.co.uk"}

type named struct {
	ip, dir string
	port    int
	serial  int
	extra   map[string][]string // zone → extra records
	cmd     *exec.Cmd
}

func needNamed(t *testing.T) string {
	path, err := exec.LookPath("named")
	if err == nil {
		return path
	}
	for _, p := range []string{"/usr/sbin/named", "/usr/local/sbin/named"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("named (BIND9) is not installed, and CI must run this test: .ci/run installs bind9")
	}
	t.Skip("named (BIND9) is not installed; apt-get install bind9 to run the BIND9 integration test")
	return ""
}

// freeSharedPort finds a port free for UDP and TCP on both addresses.
func freeSharedPort(t *testing.T, ips ...string) int {
	for try := 0; try < 50; try++ {
		l, err := net.ListenPacket("udp", ips[0]+":0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.LocalAddr().(*net.UDPAddr).Port
		l.Close()
		ok := true
		for _, ip := range ips {
			for _, network := range []string{"udp", "tcp"} {
				addr := net.JoinHostPort(ip, fmt.Sprint(port))
				var c interface{ Close() error }
				if network == "udp" {
					c, err = net.ListenPacket(network, addr)
				} else {
					c, err = net.Listen(network, addr)
				}
				if err != nil {
					ok = false
					continue
				}
				c.Close()
			}
		}
		if ok {
			return port
		}
	}
	t.Fatal("no free port shared by the loopback addresses")
	return 0
}

func startNamed(t *testing.T, bin, ip string, port int) *named {
	n := &named{ip: ip, dir: t.TempDir(), port: port, serial: 1, extra: map[string][]string{}}
	v4, v6 := "none", "none"
	if strings.Contains(ip, ":") {
		v6 = ip
	} else {
		v4 = ip
	}
	var zones strings.Builder
	for _, z := range bindZones {
		fmt.Fprintf(&zones, "zone %q { type primary; file %q; };\n", z, filepath.Join(n.dir, z+".zone"))
	}
	conf := fmt.Sprintf(`options {
  directory %[1]q;
  pid-file %[2]q;
  listen-on port %[3]d { %[4]s; };
  listen-on-v6 port %[3]d { %[5]s; };
  recursion no;
  allow-query { any; };
  dnssec-validation no;
  notify no;
  session-keyfile %[6]q;
};
controls { };
%[7]s`, n.dir, filepath.Join(n.dir, "named.pid"), port, v4, v6, filepath.Join(n.dir, "session.key"), zones.String())
	if err := os.WriteFile(filepath.Join(n.dir, "named.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	n.writeZones(t)
	var log bytes.Buffer
	n.cmd = exec.Command(bin, "-g", "-c", filepath.Join(n.dir, "named.conf"))
	n.cmd.Stdout, n.cmd.Stderr = &log, &log
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.cmd.Process.Kill(); n.cmd.Wait() })
	if err := n.waitSerial(); err != nil {
		t.Fatalf("named on %s:%d did not come up: %v\n%s", ip, port, err, log.String())
	}
	return n
}

func (n *named) writeZones(t *testing.T) {
	for _, z := range bindZones {
		zone := fmt.Sprintf(`$TTL 60
@ IN SOA ns1.%[1]s. hostmaster.%[1]s. %[2]d 3600 600 86400 60
@ IN NS ns1
@ IN NS ns2
ns1 IN A 127.0.0.1
ns2 IN AAAA ::1
@ IN MX 10 mail.%[1]s.
@ IN TXT "v=spf1 -all"
%[3]s
`, z, n.serial, strings.Join(n.extra[z], "\n"))
		if err := os.WriteFile(filepath.Join(n.dir, z+".zone"), []byte(zone), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// publish adds a record line to a zone, reloads named and waits until it
// serves the new serial.
func (n *named) publish(t *testing.T, zone, record string) {
	n.extra[zone] = append(n.extra[zone], record)
	n.serial++
	n.writeZones(t)
	if err := n.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if err := n.waitSerial(); err != nil {
		t.Fatalf("named on %s did not reload: %v", n.ip, err)
	}
}

func (n *named) waitSerial() error {
	c := dns.Client{Timeout: 200 * time.Millisecond}
	addr := net.JoinHostPort(n.ip, fmt.Sprint(n.port))
	var last error = errors.New("no answer")
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		ready := true
		for _, z := range bindZones {
			q := new(dns.Msg)
			q.SetQuestion(dns.Fqdn(z), dns.TypeSOA)
			r, _, err := c.Exchange(q, addr)
			if err != nil || len(r.Answer) == 0 {
				ready, last = false, fmt.Errorf("SOA %s: %v", z, err)
				break
			}
			if soa, ok := r.Answer[0].(*dns.SOA); !ok || int(soa.Serial) != n.serial {
				ready, last = false, fmt.Errorf("SOA %s still at an old serial", z)
				break
			}
		}
		if ready {
			return nil
		}
	}
	return last
}

// buildBinary compiles selfserve once for the test.
func buildBinary(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "selfserve")
	out, err := exec.Command("go", "build", "-o", bin, "selfserve").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// binRun runs the compiled binary, as an admin would.
func binRun(t *testing.T, bin, db string, args ...string) result {
	t.Helper()
	full := append([]string{"--db", db}, args...)
	cmd := exec.Command(bin, full...)
	cmd.Env = append(os.Environ(), "SELFSERVE_DB=", "SELFSERVE_SMTP=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{args: full, code: code, stdout: out.String(), stderr: errb.String()}
}

func binJSON(t *testing.T, bin, db string, v any, args ...string) {
	t.Helper()
	r := binRun(t, bin, db, append(args, "--json")...)
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("stdout is not JSON (%v):\n%s", err, r)
	}
}

func binSignup(t *testing.T, bin, db, email, svc string) {
	t.Helper()
	if r := binRun(t, bin, db, "signup", "start", email, "--service", svc); r.code != 0 {
		t.Fatalf("signup start:\n%s", r)
	}
	var msgs []message
	binJSON(t, bin, db, &msgs, "outbox")
	c := codeFrom(t, msgs[len(msgs)-1])
	if r := binRun(t, bin, db, "signup", "verify", email, "--code", c); r.code != 0 {
		t.Fatalf("signup verify:\n%s", r)
	}
}

type bindCheck struct {
	Check struct {
		Outcome string `json:"outcome"`
		Servers []struct {
			Name    string   `json:"name"`
			Server  string   `json:"server"`
			Outcome string   `json:"outcome"`
			Values  []string `json:"values"`
		} `json:"servers"`
	} `json:"check"`
}

func TestBIND9Takeovers(t *testing.T) {
	namedBin := needNamed(t)
	bin := buildBinary(t)
	port := freeSharedPort(t, "127.0.0.1", "::1")
	ns1 := startNamed(t, namedBin, "127.0.0.1", port)
	ns2 := startNamed(t, namedBin, "::1", port)
	db := t.TempDir()
	p := fmt.Sprint(port)
	if r := binRun(t, bin, db, "config", "--dns-resolver", "127.0.0.1:"+p, "--dns-port", p, "--dns-lab"); r.code != 0 {
		t.Fatalf("config:\n%s", r)
	}

	// Internal takeover of bellowscollege.com with a TXT record.
	binSignup(t, bin, db, "Dan@BellowsCollege.com", "rms")
	binSignup(t, bin, db, "eve@bellowscollege.com", "sharepoint")
	var ch challengeResult
	binJSON(t, bin, db, &ch, "domain", "challenge", "bellowscollege.com", "--as", "dan@bellowscollege.com")
	token := ch.Challenge.Token

	r := binRun(t, bin, db, "domain", "verify", "bellowscollege.com", "--as", "dan@bellowscollege.com")
	if r.code != 1 || !strings.Contains(r.stdout+r.stderr, "ns1.bellowscollege.com") || !strings.Contains(r.stdout, "wrong-value") {
		t.Fatalf("before publishing, both servers answer only the SPF record (wrong value), named:\n%s", r)
	}
	ns1.publish(t, "bellowscollege.com", fmt.Sprintf("@ IN TXT %q", token))
	var partial bindCheck
	r = binRun(t, bin, db, "domain", "verify", "bellowscollege.com", "--as", "dan@bellowscollege.com", "--json")
	json.Unmarshal([]byte(r.stdout), &partial)
	if r.code != 1 || partial.Check.Outcome == "found" || len(partial.Check.Servers) != 2 {
		t.Fatalf("published on ns1 only must not verify:\n%s", r)
	}
	for _, s := range partial.Check.Servers {
		want := map[string]string{"ns1.bellowscollege.com": "found", "ns2.bellowscollege.com": "wrong-value"}[strings.TrimSuffix(s.Name, ".")]
		if s.Outcome != want {
			t.Errorf("server %s (%s): %s, want %s", s.Name, s.Server, s.Outcome, want)
		}
	}
	ns2.publish(t, "bellowscollege.com", fmt.Sprintf("@ IN TXT %q", token))
	r = binRun(t, bin, db, "domain", "verify", "bellowscollege.com", "--as", "dan@bellowscollege.com")
	if r.code != 0 || !strings.Contains(r.stdout, "internal takeover done") {
		t.Fatalf("published on both servers:\n%s", r)
	}
	d := directoryShowBin(t, bin, db, "bellowscollege.com")
	if d.State != "managed" || !contains(d.GlobalAdmins, "dan@bellowscollege.com") {
		t.Fatalf("after internal takeover: %+v", d)
	}

	// contoso.com becomes managed the same way, with an MX record.
	binSignup(t, bin, db, "admin@contoso.com", "exchange")
	binJSON(t, bin, db, &ch, "domain", "challenge", "contoso.com", "--as", "admin@contoso.com", "--mode", "mx")
	for _, n := range []*named{ns1, ns2} {
		n.publish(t, "contoso.com", fmt.Sprintf("@ IN MX 32767 %s", strings.ToUpper(ch.Challenge.Token)))
	}
	if r := binRun(t, bin, db, "domain", "verify", "contoso.com", "--as", "admin@contoso.com"); r.code != 0 {
		t.Fatalf("MX verify:\n%s", r)
	}

	// External takeover of contoso.co.uk, blocked by powerbi, then forced.
	binSignup(t, bin, db, "ann@contoso.co.uk", "rms")
	binSignup(t, bin, db, "bob@contoso.co.uk", "powerbi")
	binSignup(t, bin, db, "cy@contoso.co.uk", "sharepoint")
	binJSON(t, bin, db, &ch, "domain", "challenge", "contoso.co.uk", "--as", "admin@contoso.com", "--into", "contoso.com")
	for _, n := range []*named{ns1, ns2} {
		n.publish(t, "contoso.co.uk", fmt.Sprintf("@ IN TXT %q", ch.Challenge.Token))
	}
	r = binRun(t, bin, db, "domain", "verify", "contoso.co.uk", "--as", "admin@contoso.com")
	if r.code != 1 || !strings.Contains(r.stderr, "powerbi") || !strings.Contains(r.stderr, "--force") {
		t.Fatalf("unforced external takeover:\n%s", r)
	}
	r = binRun(t, bin, db, "domain", "verify", "contoso.co.uk", "--as", "admin@contoso.com", "--force")
	if r.code != 0 || !strings.Contains(r.stdout, "Moved 3 users") {
		t.Fatalf("forced external takeover:\n%s", r)
	}
	var us []user
	binJSON(t, bin, db, &us, "user", "list", "contoso.com")
	if len(us) != 4 {
		t.Fatalf("contoso.com has %d users after the merge, want 4: %+v", len(us), us)
	}
	doms := map[string]bool{}
	var recs []domainRecord
	binJSON(t, bin, db, &recs, "domain", "list")
	for _, rec := range recs {
		doms[rec.Domain] = rec.Verified
	}
	if !doms["contoso.co.uk"] || !doms["contoso.com"] || !doms["bellowscollege.com"] {
		t.Fatalf("domains after the takeovers: %+v", recs)
	}
}

func directoryShowBin(t *testing.T, bin, db, ref string) directory {
	var d directory
	binJSON(t, bin, db, &d, "directory", "show", ref)
	return d
}
