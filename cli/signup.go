package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"selfserve/model"
	"selfserve/ops"
)

func (a *app) signupCommand() *cobra.Command {
	cmd := group("signup", "Self-service sign-up with a work address")
	var service string
	start := &cobra.Command{
		Use:   "start EMAIL --service S",
		Short: "Send a one-time code to EMAIL, if its directory would accept it",
		Long: `Checks the address and whether its domain's directory would let it sign up
for the service, then sends a 6-digit code (valid 15 minutes, 5 attempts).
Without --smtp the mail is kept in the outbox: see 'selfserve outbox'.`,
		Example:     "  selfserve signup start Dan@BellowsCollege.com --service rms",
		Annotations: creates,
		Args:        exactArgs("EMAIL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.console(cmd, func(ctx context.Context, c *ops.Console) error {
				msg, err := c.SignupStart(ctx, args[0], service)
				if err != nil {
					return err
				}
				where := "kept in the outbox (selfserve outbox)"
				if c.Mail != nil {
					where = "sent through " + a.smtp
				}
				return a.emit(map[string]any{"to": msg.To, "service": service, "delivery": where}, func(w io.Writer) {
					fmt.Fprintf(w, "A code for %s was %s; any earlier code for this address no longer works.\n", msg.To, where)
					fmt.Fprintf(w, "Confirm with: %s --code CODE\n", a.self(cmd, "signup", "verify", msg.To))
				})
			})
		},
	}
	start.Flags().StringVar(&service, "service", "", "service to sign up for (see selfserve service list)")
	start.MarkFlagRequired("service")

	var code string
	verify := &cobra.Command{
		Use:   "verify EMAIL --code C",
		Short: "Confirm the code; creates or joins the domain's directory",
		Long: `Confirms the code sent by 'signup start'. The first verified sign-up from a
domain creates its unmanaged directory; later ones join it, as the
directory's two switches allow.`,
		Example: "  selfserve signup verify dan@bellowscollege.com --code 123456",
		Args:    exactArgs("EMAIL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(code) != model.CodeDigits || strings.Trim(code, "0123456789") != "" {
				return usageError{fmt.Errorf("--code %q: the code is the %d digits from the mail", code, model.CodeDigits)}
			}
			return a.console(cmd, func(_ context.Context, c *ops.Console) error {
				res, err := c.SignupVerify(args[0], code)
				if err != nil {
					return err
				}
				return a.emit(res, func(w io.Writer) {
					verb := "joined"
					if res.CreatedDirectory {
						verb = "created"
					}
					if res.AlreadyGranted {
						fmt.Fprintf(w, "%s already had this service in %s; nothing changed.\n", res.User.Email, res.Directory.Name)
						return
					}
					fmt.Fprintf(w, "%s: %s, %s directory %s (%s, %s)\n", res.User.Email, res.Outcome, verb, res.Directory.Name, res.Directory.ID, res.Directory.State)
					fmt.Fprintf(w, "services\t%s\n", list(res.User.Grants))
				})
			})
		},
	}
	verify.Flags().StringVar(&code, "code", "", "the 6-digit code from the mail")
	verify.MarkFlagRequired("code")
	cmd.AddCommand(start, verify)
	return cmd
}

func (a *app) outboxCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "outbox",
		Short:   "Mail kept by the outbox mailer (when no --smtp is set)",
		Example: "  selfserve outbox",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.console(cmd, func(_ context.Context, c *ops.Console) error {
				msgs, err := c.Store.Outbox()
				if err != nil {
					return err
				}
				return a.emit(msgs, func(w io.Writer) {
					if len(msgs) == 0 {
						fmt.Fprintln(w, "The outbox is empty.")
					}
					for _, m := range msgs {
						fmt.Fprintf(w, "%s  to %s\n  %s\n\n", m.Time.Format("2006-01-02 15:04:05"), m.To, m.Subject)
					}
				})
			})
		},
	}
}
