package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"selfserve/model"
	"selfserve/ops"
)

func (a *app) settingsCommand() *cobra.Command {
	var aevu, aahs bool
	var admin string
	cmd := &cobra.Command{
		Use:   "settings DIR [--allow-email-verified-users=BOOL] [--allow-adhoc-subscriptions=BOOL] [--as ADMIN]",
		Short: "Show or change a directory's two switches (Set-MsolCompanySettings)",
		Long: `Shows DIR's switches and what they decide for each sign-up scenario. The
flags change them: as the operator (no --as) for any directory, or --as a
global admin of a managed directory. DIR "defaults" shows or changes the
switches new directories get.`,
		Example:     "  selfserve settings bellowscollege.com\n  selfserve settings contoso.com --allow-email-verified-users=false --as admin@contoso.com",
		Args:        exactArgs("DIR"),
		Annotations: creates,
		RunE: func(cmd *cobra.Command, args []string) error {
			changed := cmd.Flags().Changed("allow-email-verified-users") || cmd.Flags().Changed("allow-adhoc-subscriptions")
			change := func(sw model.Switches) model.Switches {
				if cmd.Flags().Changed("allow-email-verified-users") {
					sw.AllowEmailVerifiedUsers = aevu
				}
				if cmd.Flags().Changed("allow-adhoc-subscriptions") {
					sw.AllowAdHocSubscriptions = aahs
				}
				return sw
			}
			as := a.viewer // the operator, or over SSH the key's admin
			if admin != "" {
				addr, err := model.ParseAddress(admin)
				if err != nil {
					return usageError{err}
				}
				if !as.IsOperator() && addr.Key() != as.Admin.Key() {
					return fmt.Errorf("%w: over SSH you act as %s", ops.ErrOperatorOnly, as.Actor())
				}
				as.Admin = addr
			}
			return a.console(cmd, func(_ context.Context, c *ops.Console) error {
				name, sw, err := applySettings(c.As(as), args[0], changed, change)
				if err != nil {
					return err
				}
				out := map[string]any{"directory": name, "switches": sw, "decisionTable": model.DecisionTable(sw)}
				return a.emit(out, func(w io.Writer) {
					fmt.Fprintf(w, "%s\n", name)
					printSwitches(w, sw)
					printTable(w, sw)
				})
			})
		},
	}
	// Defaults are false only so help shows none: a switch changes only
	// when its flag is given.
	cmd.Flags().BoolVar(&aevu, "allow-email-verified-users", false, "true or false: may new email-verified users be created or join")
	cmd.Flags().BoolVar(&aahs, "allow-adhoc-subscriptions", false, "true or false: may users sign themselves up for services")
	cmd.Flags().StringVar(&admin, "as", "", "act as this global admin instead of the operator")
	return cmd
}

// applySettings shows or changes the switches of ref (or the defaults for
// new directories) as s's viewer.
func applySettings(s *ops.Session, ref string, changed bool, change func(model.Switches) model.Switches) (string, model.Switches, error) {
	if ref == "defaults" {
		const name = "defaults for new directories"
		if !changed {
			sw, err := s.DefaultSwitches()
			return name, sw, err
		}
		sw, err := s.ChangeDefaultSwitches(change)
		return name, sw, err
	}
	var d model.Directory
	var err error
	if changed {
		d, err = s.ChangeSwitches(ref, change)
	} else {
		d, err = s.Directory(ref)
	}
	return d.Name + " (" + d.ID + ", " + string(d.State) + ")", d.Switches, err
}
