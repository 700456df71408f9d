package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"selfserve/ops"
)

func (a *app) inviteCommand() *cobra.Command {
	var from, admin string
	cmd := &cobra.Command{
		Use:   "invite EMAIL --from DIR --as ADMIN",
		Short: "Invite EMAIL as a B2B guest of DIR",
		Long: `Creates a guest in DIR. When the invitee's home directory allows
email-verified users (or it does not exist yet) a member is created there
too; otherwise the invitation is guest-only.`,
		Example: "  selfserve invite anna@fabrikam.com --from contoso.com --as admin@contoso.com",
		Args:    exactArgs("EMAIL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.console(cmd, func(ctx context.Context, c *ops.Console) error {
				res, err := c.Invite(ctx, args[0], from, admin)
				if err != nil {
					return err
				}
				return a.emit(res, func(w io.Writer) {
					fmt.Fprintf(w, "Invited %s (%s).\n", res.Guest.Email, res.Outcome)
					fmt.Fprintf(w, "guest in\t%s\n", from)
					if res.HomeUser != nil {
						fmt.Fprintf(w, "member in\t%s (%s)\n", res.Home.Name, res.Home.ID)
					}
				})
			})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the inviting directory (id or domain)")
	cmd.Flags().StringVar(&admin, "as", "", "a global admin of that directory")
	cmd.MarkFlagRequired("from")
	cmd.MarkFlagRequired("as")
	return cmd
}
