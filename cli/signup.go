package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/tui/words"
)

func (a *app) signupCommand() *cobra.Command {
	cmd := group("signup", "Self-service sign-up with a work address")
	var service string
	start := &cobra.Command{
		Use:   "start EMAIL --service S",
		Short: "Mail EMAIL a one-time code, or why it may not sign up",
		Long: `Checks the address and whether its domain's directory would let it sign up
for the service, then mails a 6-digit code (valid 15 minutes, 5 attempts).
Where the answer would tell whether the address is already a member (a
directory that takes no new users but lets members add services), the
command answers the same either way and the mail says what happened.
While many wrong codes are being tried for a domain, its codes have 12
digits. Without --smtp the mail is kept in the outbox: see 'selfserve outbox'.`,
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
					fmt.Fprintf(w, "Mail to %s was %s: it holds a code, or says why none was sent. Any earlier code for this address no longer works.\n", msg.To, where)
					fmt.Fprintf(w, "Confirm a code with: %s --code CODE\n", a.self(cmd, "signup", "verify", msg.To))
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
			if (len(code) != model.CodeDigits && len(code) != model.LongCodeDigits) || strings.Trim(code, "0123456789") != "" {
				return usageError{fmt.Errorf("--code %q: the code is the %d digits from the mail (or %d, when the mail has that many)", code, model.CodeDigits, model.LongCodeDigits)}
			}
			return a.console(cmd, func(_ context.Context, c *ops.Console) error {
				res, err := c.SignupVerify(args[0], code)
				if err != nil {
					return adviseCode(cmd, a, args[0], err)
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
	verify.Flags().StringVar(&code, "code", "", "the code from the mail (6 digits, or 12)")
	verify.MarkFlagRequired("code")
	cmd.AddCommand(start, verify)
	return cmd
}

// adviseCode adds what to do to the refusals of a code, which store and
// model only name, naming the command to run again (so it is here and
// not in advise). A rejected code gets one piece of advice whatever the
// reason, since the reason is not told (issue 10 point 12).
func adviseCode(cmd *cobra.Command, a *app, email string, err error) error {
	again := a.self(cmd, "signup", "start", email, "--service", "SERVICE")
	var paused *model.PausedError
	switch {
	case errors.As(err, &paused):
		return fmt.Errorf("%w; ask for a new code now, which works at once: %s", err, again)
	case errors.Is(err, model.ErrCodeRejected):
		return fmt.Errorf("%w; a code works once, within %d minutes and %d attempts, and only the newest one: ask for a new one with %s",
			err, int(model.CodeTTL/time.Minute), model.MaxCodeAttempts, again)
	}
	return err
}

func (a *app) outboxCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "outbox",
		Short:   "Mail selfserve sent or keeps: kept (no --smtp), queued, sent or failed",
		Example: "  selfserve outbox",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.asOperator(cmd, func(_ context.Context, s *ops.Session) error {
				msgs, err := s.Outbox()
				if err != nil {
					return err
				}
				return a.emit(msgs, func(w io.Writer) {
					if len(msgs) == 0 {
						fmt.Fprintln(w, "The outbox is empty.")
					}
					for _, m := range msgs {
						fmt.Fprintf(w, "%s  to %s\n  %s\n", m.Time.Format("2006-01-02 15:04:05"), m.To, m.Subject)
						if st := words.MailState(string(m.State), m.Attempts, m.LastError); st != "" {
							fmt.Fprintf(w, "  %s\n", st)
						}
						fmt.Fprintln(w)
					}
				})
			})
		},
	}
}
