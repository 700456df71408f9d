// Package sshdemo is the demo's console: wired to the demo's own DNS
// server, locally or over SSH, where each visitor gets a private copy.
package sshdemo

import (
	"os"
	"strings"
	"time"

	"selfserve/demo"
	"selfserve/dnscheck"
	"selfserve/model"
	"selfserve/ops"
	"selfserve/store"
	"selfserve/tui"
	"selfserve/tui/sshconsole"
)

// Banner is shown by the visitor's ssh client before the session opens.
const Banner = "selfserve demo: a private, throw-away copy of the demo data for this session only.\r\n" +
	"Any user name works, no key or password is needed; nothing you do here is kept.\r\n"

// SessionPrefix names each session's copy inside the demo directory.
const SessionPrefix = "session-"

// Checker checks challenges against the demo's DNS server, as a lab
// (its loopback address is not a public nameserver).
func Checker(dns *demo.DNS) dnscheck.Checker {
	return dnscheck.Checker{Resolver: dns.Addr, Port: dns.Port, Timeout: 2 * time.Second, Lab: true}
}

// Console gives the console the demo's DNS server to publish to and
// check against, and a reset (ctrl+r) that restores the data built with
// size, one restore at a time.
func Console(dns *demo.DNS, st *store.Store, size demo.Size) (*ops.Console, tui.Options) {
	publish := func(rec model.RecordSpec) error {
		// Any demo domain may be taken over: its zone appears on first use.
		dns.AddZone(strings.TrimSuffix(rec.Name, "."))
		return dns.Publish(rec)
	}
	reset := &oneRestore{do: func() error {
		dns.Clear()
		if err := st.Reset(); err != nil {
			return err
		}
		_, err := demo.Build(st, size)
		return err
	}}
	return &ops.Console{Store: st, DNS: Checker(dns)}, tui.Options{Publish: publish, Reset: reset.run}
}

// Opener gives every session its own demo database (in dir) and demo DNS
// server, both removed when the session ends.
func Opener(dir string, size demo.Size) func() (sshconsole.Console, error) {
	return func() (c sshconsole.Console, err error) {
		var undo []func()
		defer func() {
			if err != nil {
				for i := len(undo) - 1; i >= 0; i-- {
					undo[i]()
				}
			}
		}()
		copyDir, err := os.MkdirTemp(dir, SessionPrefix)
		if err != nil {
			return c, err
		}
		undo = append(undo, func() { os.RemoveAll(copyDir) })
		dns, err := demo.StartDNS("", demo.Bellows, demo.Contoso, demo.ContosoUK)
		if err != nil {
			return c, err
		}
		undo = append(undo, func() { dns.Close() })
		st, err := store.Open(copyDir, store.Options{Create: true, Small: true})
		if err != nil {
			return c, err
		}
		undo = append(undo, func() { st.Close() })
		if _, err := demo.Build(st, size); err != nil {
			return c, err
		}
		release := func() {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
		oc, opts := Console(dns, st, size)
		return sshconsole.Console{Ops: oc, Options: opts, Close: release}, nil
	}
}
