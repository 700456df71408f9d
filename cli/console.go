package cli

import (
	"os"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"selfserve/demo"
	"selfserve/demo/sshdemo"
	"selfserve/ops"
	"selfserve/store"
	"selfserve/tui"
)

// interactive reports whether a person sits at a terminal on both ends, so
// the console can open; scripts and pipes get text instead.
func (a *app) interactive() bool {
	out, ok := a.out.(*os.File)
	return ok && !a.json && term.IsTerminal(out.Fd()) && term.IsTerminal(os.Stdin.Fd())
}

// openConsole runs the TUI on the database at dir until the person quits.
// demoConsole, when set, gives the demo's console and options for the open
// store; otherwise the operator's DNS configuration is used.
func (a *app) openConsole(cmd *cobra.Command, dir string, demoConsole func(*store.Store) (*ops.Console, tui.Options)) error {
	st, err := store.Open(dir, store.Options{LockWait: a.lock, MaxConns: a.pool})
	if err != nil {
		return err
	}
	var (
		oc   *ops.Console
		opts tui.Options
	)
	if demoConsole != nil {
		oc, opts = demoConsole(st)
	} else {
		cfg, err := st.DNSConfig()
		if err != nil {
			st.Close()
			return err
		}
		oc = &ops.Console{Store: st, DNS: ops.DNSChecker(cfg)}
	}
	if a.httpAddr != "" {
		stop, err := a.serveHTTPBeside(oc)
		if err != nil {
			st.Close()
			return err
		}
		defer stop()
	}
	err = tui.Run(cmd.Context(), oc, opts)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return err
}

// demoConsole opens the console on the demo database with the demo's DNS
// server running, so its takeovers can publish and check records; ctrl+r
// restores the data built with size.
func (a *app) demoConsole(cmd *cobra.Command, dir string, size demo.Size) error {
	dns, err := demo.StartDNS("", demo.Bellows, demo.Contoso, demo.ContosoUK)
	if err != nil {
		return err
	}
	defer dns.Close()
	return a.openConsole(cmd, dir, func(st *store.Store) (*ops.Console, tui.Options) { return sshdemo.Console(dns, st, size) })
}
