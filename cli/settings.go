package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"selfserve/model"
	"selfserve/ops"
)

const operator = "operator"

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
			actor := operator
			if admin != "" {
				addr, err := model.ParseAddress(admin)
				if err != nil {
					return usageError{err}
				}
				actor = addr.Key()
			}
			return a.console(cmd, func(_ context.Context, c *ops.Console) error {
				name, sw, err := a.applySettings(c, args[0], actor, changed, change)
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

func (a *app) applySettings(c *ops.Console, ref, actor string, changed bool, change func(model.Switches) model.Switches) (string, model.Switches, error) {
	if ref == "defaults" {
		if !changed {
			sw, err := c.Store.DefaultSwitches()
			return "defaults for new directories", sw, err
		}
		if actor != operator {
			return "", model.Switches{}, fmt.Errorf("%w: only the operator sets the defaults for new directories", model.ErrForbidden)
		}
		sw, err := c.Store.SetDefaultSwitches(actor, change)
		return "defaults for new directories", sw, err
	}
	if !changed {
		d, err := c.Store.Directory(ref)
		return d.Name + " (" + d.ID + ", " + string(d.State) + ")", d.Switches, err
	}
	d, err := c.Store.SetSwitches(ref, actor, actor == operator, change)
	return d.Name + " (" + d.ID + ", " + string(d.State) + ")", d.Switches, err
}
