package cli

import (
	"os"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

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
func (a *app) openConsole(cmd *cobra.Command, dir, directory string) error {
	st, err := store.Open(dir, store.Options{LockWait: a.lock})
	if err != nil {
		return err
	}
	err = tui.Run(cmd.Context(), st, tui.Options{Directory: directory})
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return err
}
