package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"selfserve/dnscheck"
	"selfserve/model"
	"selfserve/ops"
)

func (a *app) domainCommand() *cobra.Command {
	cmd := group("domain", "Domains, challenges and takeover")
	cmd.AddCommand(a.domainListCommand(), a.challengeCommand(), a.verifyCommand(), a.recheckCommand())
	return cmd
}

func (a *app) domainListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "Every domain, its directory, and whether it is verified (Get-MsolDomain)",
		Example: "  selfserve domain list",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.asOperator(cmd, func(_ context.Context, s *ops.Session) error {
				recs, err := s.Domains()
				if err != nil {
					return err
				}
				return a.emit(recs, func(w io.Writer) {
					fmt.Fprintln(w, "DOMAIN\tDIRECTORY\tVERIFIED")
					for _, r := range recs {
						fmt.Fprintf(w, "%s\t%s\t%s\n", r.Domain, r.Directory, verifiedText(r))
					}
				})
			})
		},
	}
}

func (a *app) challengeCommand() *cobra.Command {
	var admin, mode, into string
	cmd := &cobra.Command{
		Use:   "challenge DOMAIN --as ADMIN [--mode txt|mx] [--into DIR]",
		Short: "Issue the DNS record that proves DOMAIN (Get-MsolDomainVerificationDns)",
		Long: `Issues the record ADMIN must publish at DOMAIN's apex. Without --into it is
for an internal takeover (ADMIN must be a user of DOMAIN's unmanaged
directory); with --into DIR for an external takeover into DIR (ADMIN must
be a global admin of it). Asking again while the challenge is valid returns
the same record.`,
		Example: "  selfserve domain challenge bellowscollege.com --as dan@bellowscollege.com\n  selfserve domain challenge contoso.co.uk --as admin@contoso.com --into contoso.com --mode mx",
		Args:    exactArgs("DOMAIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := model.ParseMode(mode)
			if err != nil {
				return usageError{err}
			}
			return a.console(cmd, func(_ context.Context, c *ops.Console) error {
				res, err := c.Challenge(args[0], admin, m, into)
				if err != nil {
					return err
				}
				return a.emit(res, func(w io.Writer) {
					verify := a.self(cmd, "domain", "verify", args[0], "--as", admin)
					if res.ParentProof != "" {
						fmt.Fprintf(w, "No challenge needed: %s is verified in your directory and proves this subdomain.\nRun: %s\n", res.ParentProof, verify)
						return
					}
					if old := res.Replaced; old != nil {
						fmt.Fprintf(w, "Note: this replaces your earlier %s challenge (%s); that record no longer counts.\n\n", strings.ToUpper(string(old.Mode)), old.Token)
					}
					ch := res.Challenge
					rec := ch.Record()
					fmt.Fprintf(w, "Create this DNS record at your DNS provider (%s takeover):\n\n", ch.Kind)
					fmt.Fprintf(w, "  name\t%s\n  type\t%s\n  value\t%s\n  ttl\t%d\n", rec.Name, rec.Type, rec.Value, rec.TTL)
					if rec.Preference != 0 {
						fmt.Fprintf(w, "  preference\t%d\n", rec.Preference)
					}
					fmt.Fprintf(w, "\nValid until %s. Then run: %s\n", ch.ExpiresAt.Format("2006-01-02 15:04 MST"), verify)
				})
			})
		},
	}
	cmd.Flags().StringVar(&admin, "as", "", "the admin's address")
	cmd.Flags().StringVar(&mode, "mode", "txt", "record type: txt or mx")
	cmd.Flags().StringVar(&into, "into", "", "managed directory (id or domain) to merge into: an external takeover")
	cmd.MarkFlagRequired("as")
	return cmd
}

func (a *app) verifyCommand() *cobra.Command {
	var admin string
	var opt ops.VerifyOptions
	cmd := &cobra.Command{
		Use:   "verify DOMAIN --as ADMIN [--dns-server HOST:PORT] [--dry-run] [--force]",
		Short: "Check the challenge in DNS, then take the directory over (Confirm-MsolEmailVerifiedDomain)",
		Long: `Looks the challenge record up in DNS and, when it is there, runs the takeover
the challenge was issued for. An external takeover first shows its impact:
services with the block policy refuse it unless --force is given, which
drops those grants and names every user who loses access. --dry-run checks
and previews without changing anything.`,
		Example: "  selfserve domain verify bellowscollege.com --as dan@bellowscollege.com\n  selfserve domain verify contoso.co.uk --as admin@contoso.com --dry-run\n  selfserve domain verify contoso.co.uk --as admin@contoso.com --force",
		Args:    exactArgs("DOMAIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opt.DNSServer != "" {
				server, err := hostPort(opt.DNSServer)
				if err != nil {
					return usageError{fmt.Errorf("--dns-server: %w", err)}
				}
				opt.DNSServer = server
			}
			if opt.Wait > 0 && a.attached == nil {
				return a.verifyWaiting(cmd, args[0], admin, opt)
			}
			a.extra = opt.Wait
			opt.Progress = func(at ops.Attempt) { a.progress(at.N, at.Result.Message(), at.Next) }
			return a.console(cmd, func(ctx context.Context, c *ops.Console) error {
				rep, err := c.Verify(ctx, args[0], admin, opt)
				return a.reportVerify(rep, err)
			})
		},
	}
	cmd.Flags().StringVar(&admin, "as", "", "the admin the challenge was issued to")
	cmd.Flags().StringVar(&opt.DNSServer, "dns-server", "", "send DNS queries to this HOST:PORT instead of the system resolver")
	cmd.Flags().BoolVar(&opt.DryRun, "dry-run", false, "check and show the impact preview; change nothing")
	cmd.Flags().BoolVar(&opt.Force, "force", false, "take over although block-policy services lose access")
	cmd.Flags().DurationVar(&opt.Wait, "wait", 0, "keep checking with back-off until the record shows up or this long has passed (e.g. 10m)")
	cmd.MarkFlagRequired("as")
	return cmd
}

func (a *app) recheckCommand() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "recheck [--all]",
		Short: "Check again that verified domains still publish their proof record",
		Long: `Looks again for the challenge record of every verified domain last checked
longer ago than the re-check interval (selfserve config; default 24h), or of
all of them with --all. A domain whose record is gone is flagged on its
directory and in the audit log; it stays verified until an admin acts. Run
it from cron or a systemd timer.`,
		Example: "  selfserve domain recheck\n  selfserve domain recheck --all --json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// --timeout bounds each domain's check, not the whole run.
			a.extra = 365 * 24 * time.Hour
			return a.console(cmd, func(ctx context.Context, c *ops.Console) error {
				cfg, err := c.As(ops.Viewer{}).DNSConfig()
				if err != nil {
					return err
				}
				done, err := c.Recheck(ctx, cfg.RecheckInterval, all, a.timeout)
				if err != nil {
					return err
				}
				return a.emit(done, func(w io.Writer) {
					fmt.Fprintln(w, "DOMAIN\tDIRECTORY\tOUTCOME\tSTATUS")
					for _, r := range done {
						status := "verified"
						if r.Domain.Flagged {
							status = "FLAGGED: " + r.Check.Message()
						}
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Domain.Domain, r.Domain.Directory, r.Check.Outcome, status)
					}
					fmt.Fprintf(w, "%d domains re-checked\n", len(done))
				})
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "re-check every verified domain, however recently checked")
	return cmd
}

func printVerify(w io.Writer, rep ops.VerifyReport, ok bool) {
	if rep.ParentProof != "" {
		fmt.Fprintf(w, "Proven by the verified parent domain %s.\n", rep.ParentProof)
	}
	if rep.Check != nil {
		// Without servers (no zone found) there is no table: the error
		// says why (issue 10 point 24).
		if len(rep.Check.Servers) > 0 {
			fmt.Fprintln(w, "SERVER\tOUTCOME\tANSWER\tTIME")
		}
		for _, s := range rep.Check.Servers {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", serverText(s), s.Outcome, answerText(s), s.RTT.Round(100_000))
		}
		if ok {
			fmt.Fprintln(w, rep.Check.Message())
		}
	}
	if im := rep.Impact; im != nil {
		fmt.Fprintf(w, "\nImpact of merging %s: %d users move.\n", rep.Domain, im.Users)
		fmt.Fprintln(w, "SERVICE\tPOLICY\tUSERS\tWHAT HAPPENS")
		for _, s := range im.Services {
			fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", s.Service, s.Policy, s.Users, s.Policy.Effect(rep.Job != nil))
		}
		if len(im.LosingAccess) > 0 {
			lose := "Would lose access if forced"
			if rep.Job != nil {
				lose = "Lost access (forced)"
			}
			fmt.Fprintf(w, "%s: %s\n", lose, strings.Join(im.LosingAccess, ", "))
		}
	}
	if !ok {
		return
	}
	if rep.DryRun {
		fmt.Fprintln(w, "\nDry run: nothing was changed.")
		return
	}
	if d := rep.Directory; d != nil && d.ID != "" {
		fmt.Fprintf(w, "\n%s takeover done: %s is now verified in managed directory %s (%s), global admins %s.\n",
			rep.Kind, rep.Domain, d.Name, d.ID, list(d.GlobalAdmins))
	}
	if j := rep.Job; j != nil {
		fmt.Fprintf(w, "Moved %d users (job %s); %d grants dropped.\n", j.Moved, j.ID, j.Dropped)
	}
}

// serverText marks the servers that only the parent zone's delegation
// names: the admin fixes those at the registrar, not in the zone.
func serverText(s dnscheck.ServerResult) string {
	if s.ParentOnly {
		return s.Label() + " [parent only]"
	}
	return s.Label()
}

// answerText is what the server answered, or why there is nothing to show:
// the address class of a server not asked, a refused connection.
func answerText(s dnscheck.ServerResult) string {
	switch s.Outcome {
	case dnscheck.NotAsked, dnscheck.ConnectionRefused:
		return s.Detail
	}
	return list(s.Values)
}

// hostPort accepts HOST or HOST:PORT and fills in DNS's port 53.
func hostPort(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		host, port = s, "53"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("%q: the port must be a number from 1 to 65535", s)
	}
	if host == "" {
		return "", fmt.Errorf("%q: give HOST or HOST:PORT", s)
	}
	return net.JoinHostPort(host, port), nil
}

// reportVerify prints what verify found and did, and returns its error.
func (a *app) reportVerify(rep ops.VerifyReport, err error) error {
	if err != nil && rep.Check == nil && rep.Impact == nil {
		return err // refused before anything was looked at
	}
	if a.json {
		if jerr := a.emit(rep, nil); jerr != nil {
			return jerr
		}
		return err
	}
	a.emit(rep, func(w io.Writer) { printVerify(w, rep, err == nil) })
	return err
}

// progress says on stderr that check n did not find the record yet.
func (a *app) progress(n int, msg string, next time.Duration) {
	fmt.Fprintf(a.errw, "check %d: %s\n  next check in %s\n", n, msg, next.Round(time.Second))
}

// verifyWaiting is `domain verify --wait` run on its own: it opens the
// database for each check and closes it while waiting, so other commands
// on it are not kept out for minutes (issue 12 point 3). Each check is a
// whole verify, which takes over as soon as the record shows. When a
// server holds the database, the first open sends the whole command to
// it instead, and the server waits.
func (a *app) verifyWaiting(cmd *cobra.Command, domain, admin string, opt ops.VerifyOptions) error {
	deadline := time.Now().Add(opt.Wait)
	opt.Wait = 0
	var next func() time.Duration
	for n := 1; ; n++ {
		var rep ops.VerifyReport
		var verr error
		if err := a.console(cmd, func(ctx context.Context, c *ops.Console) error {
			if next == nil {
				next = c.Polls()
			}
			rep, verr = c.Verify(ctx, domain, admin, opt)
			return nil
		}); err != nil {
			return err
		}
		left := time.Until(deadline)
		if !errors.Is(verr, model.ErrNotVerified) || rep.Check == nil || left <= 0 {
			return a.reportVerify(rep, verr)
		}
		pause := min(next(), left)
		a.progress(n, rep.Check.Message(), pause)
		select {
		case <-cmd.Context().Done():
			return a.reportVerify(rep, verr)
		case <-time.After(pause):
		}
	}
}
