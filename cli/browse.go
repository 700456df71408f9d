package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/tui/words"
)

func (a *app) directoryCommand() *cobra.Command {
	cmd := group("directory", "Browse directories")
	var state string
	ls := &cobra.Command{
		Use:     "list [--state unmanaged|managed|retired]",
		Short:   "Every directory with its domains, state, users and switches",
		Example: "  selfserve directory list --state unmanaged",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st := model.State(state)
			switch st {
			case "", model.Unmanaged, model.Managed, model.Retired:
			default:
				return usageError{fmt.Errorf("--state %q: use unmanaged, managed or retired", state)}
			}
			return a.asOperator(cmd, func(_ context.Context, s *ops.Session) error {
				dirs, err := s.Directories(st)
				if err != nil {
					return err
				}
				return a.emit(dirs, func(w io.Writer) {
					fmt.Fprintln(w, "ID\tNAME\tSTATE\tDOMAINS\tUSERS\tSERVICES\tEMAIL-VERIFIED\tAD-HOC")
					for _, d := range dirs {
						domains := list(d.Domains)
						if d.State == model.Retired {
							domains = "(merged into " + d.MergedInto + ")"
						}
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", d.ID, d.Name, d.State, domains, d.Users,
							list(d.InUse()), words.OnOff(d.Switches.AllowEmailVerifiedUsers), words.OnOff(d.Switches.AllowAdHocSubscriptions))
					}
					fmt.Fprintln(w, words.Plural(len(dirs), "directory", "directories"))
				})
			})
		},
	}
	ls.Flags().StringVar(&state, "state", "", "only directories in this state")
	show := &cobra.Command{
		Use:     "show DIR",
		Short:   "One directory: state, domains, admins, switches, users per service",
		Long:    "DIR is a directory id or any of its domains.",
		Example: "  selfserve directory show bellowscollege.com",
		Args:    exactArgs("DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.asOperator(cmd, func(_ context.Context, s *ops.Session) error {
				d, err := s.Summary(args[0])
				if err != nil {
					return err
				}
				return a.emit(d, func(w io.Writer) {
					fmt.Fprintf(w, "id\t%s\nname\t%s\nstate\t%s\n", d.ID, d.Name, d.State)
					if d.MergedInto != "" {
						fmt.Fprintf(w, "merged into\t%s (read-only until %s)\n", d.MergedInto, d.RetiredAt.Add(model.RetentionAfterMerge).Format("2006-01-02"))
					}
					for _, r := range d.DomainRecords {
						fmt.Fprintf(w, "domain %s\tverified %s\n", r.Domain, verifiedText(r))
					}
					fmt.Fprintf(w, "global admins\t%s\nusers\t%d\n", list(d.GlobalAdmins), d.Users)
					printSwitches(w, d.Switches)
					for _, s := range d.InUse() {
						fmt.Fprintf(w, "service %s\t%d users\n", s, d.Grants[s])
					}
					if d.Job != "" {
						fmt.Fprintf(w, "takeover job\t%s running\n", d.Job)
					}
				})
			})
		},
	}
	cmd.AddCommand(ls, show)
	return cmd
}

func (a *app) userCommand() *cobra.Command {
	cmd := group("user", "Browse users")
	var afterEmail string
	var limit int
	ls := &cobra.Command{
		Use:   "list DIR [--after EMAIL] [--limit N]",
		Short: "A page of a directory's users, in address order",
		Long: `Lists users of DIR (id or domain) in address order, a page at a time: pass
the last address of one page as --after to get the next.`,
		Example: "  selfserve user list bellowscollege.com --limit 20\n  selfserve user list bellowscollege.com --after dan@bellowscollege.com",
		Args:    exactArgs("DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 1 {
				return usageError{fmt.Errorf("--limit must be at least 1")}
			}
			afterKey := ""
			if afterEmail != "" {
				addr, err := model.ParseAddress(afterEmail)
				if err != nil {
					return usageError{err}
				}
				afterKey = addr.Key()
			}
			return a.asOperator(cmd, func(_ context.Context, s *ops.Session) error {
				// One more than asked tells whether a next page exists.
				users, err := s.Users(args[0], afterKey, limit+1)
				if err != nil {
					return err
				}
				more := len(users) > limit
				users = users[:min(len(users), limit)]
				return a.emit(users, func(w io.Writer) {
					fmt.Fprintln(w, "EMAIL\tKIND\tCREATION METHOD\tSERVICES\tCREATED")
					for _, u := range users {
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", u.Email, u.Kind, u.CreationMethod, list(u.Grants), u.CreatedAt.Format(timeFormat))
					}
					if more {
						fmt.Fprintf(w, "next page: %s\n", a.self(cmd, "user", "list", args[0], "--after", users[len(users)-1].Email, "--limit", fmt.Sprint(limit)))
					}
				})
			})
		},
	}
	ls.Flags().StringVar(&afterEmail, "after", "", "start after this address")
	ls.Flags().IntVar(&limit, "limit", 50, "users per page")
	show := &cobra.Command{
		Use:     "show DIR EMAIL",
		Short:   "One user: kind, grants, and the users-to-resources mappings of a merge",
		Example: "  selfserve user show contoso.com ann@contoso.co.uk",
		Args:    exactArgs("DIR", "EMAIL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := model.ParseAddress(args[1])
			if err != nil {
				return err
			}
			return a.asOperator(cmd, func(_ context.Context, s *ops.Session) error {
				u, maps, err := s.User(args[0], addr)
				if err != nil {
					return err
				}
				return a.emit(map[string]any{"user": u, "mappings": maps}, func(w io.Writer) {
					fmt.Fprintf(w, "email\t%s\nid\t%s\ndirectory\t%s\nkind\t%s\ncreation method\t%s\nservices\t%s\ncreated\t%s\n",
						u.Email, u.ID, u.Directory, u.Kind, u.CreationMethod, list(u.Grants), u.CreatedAt.Format(timeFormat))
					if u.HomeUser != "" {
						fmt.Fprintf(w, "home user\t%s\n", u.HomeUser)
					}
					if len(maps) > 0 {
						fmt.Fprintln(w, "\nMERGED FROM\tOLD ID\tSERVICE\tMAPPING")
						for _, m := range maps {
							fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", m.OldDir, m.OldUser, m.Service, m.Status)
						}
					}
				})
			})
		},
	}
	cmd.AddCommand(ls, show)
	return cmd
}

// timeFormat is how times are shown in tables (UTC, to the minute).
const timeFormat = "2006-01-02 15:04 MST"

func verifiedText(r model.DomainRecord) string {
	if !r.Verified {
		return "no"
	}
	s := "yes (" + r.Proof + ", " + r.VerifiedAt.Format(timeFormat)
	if r.Record != nil {
		s += ", last checked " + r.CheckedAt.Format(timeFormat)
	}
	s += ")"
	if r.Flagged {
		s += " FLAGGED since " + r.FlaggedAt.Format(timeFormat) + ": " + r.FlagReason
	}
	return s
}
