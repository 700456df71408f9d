package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"selfserve/model"
	"selfserve/ops"
)

func (a *app) domainCommand() *cobra.Command {
	cmd := group("domain", "Domains, challenges and takeover")
	cmd.AddCommand(a.domainListCommand(), a.challengeCommand(), a.verifyCommand())
	return cmd
}

func (a *app) domainListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "Every domain, its directory, and whether it is verified (Get-MsolDomain)",
		Example: "  selfserve domain list",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.console(cmd, func(_ context.Context, c *ops.Console) error {
				recs, err := c.Store.Domains()
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
					if res.ParentProof != "" {
						fmt.Fprintf(w, "No challenge needed: %s is verified in your directory and proves this subdomain.\nRun: selfserve domain verify %s --as %s\n", res.ParentProof, args[0], admin)
						return
					}
					ch := res.Challenge
					rec := ch.Record()
					fmt.Fprintf(w, "Create this DNS record at your DNS provider (%s takeover):\n\n", ch.Kind)
					fmt.Fprintf(w, "  name\t%s\n  type\t%s\n  value\t%s\n  ttl\t%d\n", rec.Name, rec.Type, rec.Value, rec.TTL)
					if rec.Preference != 0 {
						fmt.Fprintf(w, "  preference\t%d\n", rec.Preference)
					}
					fmt.Fprintf(w, "\nValid until %s. Then run: selfserve domain verify %s --as %s\n", ch.ExpiresAt.Format("2006-01-02 15:04 MST"), ch.Domain, admin)
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
			return a.console(cmd, func(ctx context.Context, c *ops.Console) error {
				rep, err := c.Verify(ctx, args[0], admin, opt)
				if a.json {
					if jerr := a.emit(rep, nil); jerr != nil {
						return jerr
					}
					return err
				}
				a.emit(rep, func(w io.Writer) { printVerify(w, rep, err == nil) })
				if errors.Is(err, model.ErrBlockedByPlan) && rep.Impact != nil && len(rep.Impact.LosingAccess) > 0 {
					err = fmt.Errorf("%w\nUsers who would lose access: %v", err, rep.Impact.LosingAccess)
				}
				return err
			})
		},
	}
	cmd.Flags().StringVar(&admin, "as", "", "the admin the challenge was issued to")
	cmd.Flags().StringVar(&opt.DNSServer, "dns-server", "", "send DNS queries to this HOST:PORT instead of the system resolver")
	cmd.Flags().BoolVar(&opt.DryRun, "dry-run", false, "check and show the impact preview; change nothing")
	cmd.Flags().BoolVar(&opt.Force, "force", false, "take over although block-policy services lose access")
	cmd.MarkFlagRequired("as")
	return cmd
}

func printVerify(w io.Writer, rep ops.VerifyReport, ok bool) {
	if rep.ParentProof != "" {
		fmt.Fprintf(w, "Proven by the verified parent domain %s.\n", rep.ParentProof)
	}
	if rep.Check != nil {
		fmt.Fprintln(w, "SERVER\tOUTCOME\tANSWER\tTIME")
		for _, s := range rep.Check.Servers {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", s.Server, s.Outcome, list(s.Values), s.RTT.Round(100_000))
		}
		fmt.Fprintln(w, rep.Check.Message())
	}
	if im := rep.Impact; im != nil {
		fmt.Fprintf(w, "\nImpact of merging %s: %d users move.\n", rep.Domain, im.Users)
		fmt.Fprintln(w, "SERVICE\tPOLICY\tUSERS\tWHAT HAPPENS")
		for _, s := range im.Services {
			fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", s.Service, s.Policy, s.Users, policyEffect(s.Policy))
		}
		if len(im.LosingAccess) > 0 {
			fmt.Fprintf(w, "Losing access if forced: %v\n", im.LosingAccess)
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

func policyEffect(p model.TakeoverPolicy) string {
	switch p {
	case model.Remap:
		return "mapped to the new users, keeps working"
	case model.Migrate:
		return "moves, but needs your data migration afterwards"
	}
	return "blocks the takeover; --force drops these grants"
}
