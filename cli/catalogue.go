package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"selfserve/model"
	"selfserve/ops"
)

func (a *app) serviceCommand() *cobra.Command {
	cmd := group("service", "The service catalogue")
	ls := &cobra.Command{
		Use:     "list",
		Short:   "Services, their takeover policy and ad-hoc exemption",
		Example: "  selfserve service list",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.asOperator(cmd, func(_ context.Context, s *ops.Session) error {
				svcs, err := s.Services()
				if err != nil {
					return err
				}
				return a.emit(svcs, func(w io.Writer) {
					fmt.Fprintln(w, "SERVICE\tTAKEOVER\tEXEMPT FROM AD-HOC SWITCH")
					for _, s := range svcs {
						fmt.Fprintf(w, "%s\t%s\t%v\n", s.Name, s.Takeover, s.ExemptAdHoc)
					}
				})
			})
		},
	}
	var policy string
	var exempt bool
	add := &cobra.Command{
		Use:   "add NAME --takeover remap|migrate|block [--exempt-adhoc]",
		Short: "Add a service, or change an existing one",
		Long: `Adds a service to the catalogue, or changes the policy of one already there.
remap: an external takeover maps its users and it keeps working; migrate: it
moves but the admin must migrate data; block: it refuses external takeover
unless forced. --exempt-adhoc makes sign-ups ignore AllowAdHocSubscriptions
(like the Flow and PowerApps trials).`,
		Example:     "  selfserve service add teams --takeover migrate\n  selfserve service add forms --takeover remap --exempt-adhoc",
		Annotations: creates,
		Args:        exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := model.ParsePolicy(policy)
			if err != nil {
				return usageError{err}
			}
			return a.asOperator(cmd, func(_ context.Context, s *ops.Session) error {
				svc := model.Service{Name: args[0], Takeover: p, ExemptAdHoc: exempt}
				created, err := s.PutService(svc)
				if err != nil {
					return err
				}
				return a.emit(map[string]any{"service": svc, "created": created}, func(w io.Writer) {
					verb := "changed"
					if created {
						verb = "added"
					}
					fmt.Fprintf(w, "Service %s %s: takeover %s, exempt from ad-hoc switch %v.\n", svc.Name, verb, svc.Takeover, svc.ExemptAdHoc)
				})
			})
		},
	}
	add.Flags().StringVar(&policy, "takeover", "", "remap, migrate or block")
	add.Flags().BoolVar(&exempt, "exempt-adhoc", false, "sign-ups ignore AllowAdHocSubscriptions")
	add.MarkFlagRequired("takeover")
	cmd.AddCommand(ls, add)
	return cmd
}

func (a *app) consumerCommand() *cobra.Command {
	cmd := group("consumer", "Consumer mail domains, which never get a directory")
	ls := &cobra.Command{
		Use: "list", Short: "The shipped list and the operator's additions", Args: noArgs,
		Example: "  selfserve consumer list",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.asOperator(cmd, func(_ context.Context, s *ops.Session) error {
				set, err := s.ConsumerDomains()
				if err != nil {
					return err
				}
				names := sortedKeys(set)
				return a.emit(names, func(w io.Writer) {
					for _, d := range names {
						fmt.Fprintln(w, d)
					}
				})
			})
		},
	}
	add := &cobra.Command{
		Use: "add DOMAIN", Short: "Add a consumer mail domain", Args: exactArgs("DOMAIN"),
		Example: "  selfserve consumer add mail.example", Annotations: creates,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.asOperator(cmd, func(_ context.Context, s *ops.Session) error {
				if err := s.AddConsumerDomain(args[0]); err != nil {
					return err
				}
				return a.emit(map[string]string{"added": args[0]}, func(w io.Writer) {
					fmt.Fprintf(w, "Sign-ups from %s will be refused.\n", args[0])
				})
			})
		},
	}
	remove := &cobra.Command{
		Use: "remove DOMAIN", Short: "Take back an operator's addition", Args: exactArgs("DOMAIN"),
		Example: "  selfserve consumer remove mail.example",
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.asOperator(cmd, func(_ context.Context, s *ops.Session) error {
				if err := s.RemoveConsumerDomain(args[0]); err != nil {
					return err
				}
				return a.emit(map[string]string{"removed": args[0]}, func(w io.Writer) {
					fmt.Fprintf(w, "Sign-ups from %s are allowed again.\n", args[0])
				})
			})
		},
	}
	cmd.AddCommand(ls, add, remove)
	return cmd
}
