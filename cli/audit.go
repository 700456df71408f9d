package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/tui"
)

func (a *app) auditCommand() *cobra.Command {
	var since string
	var limit int
	cmd := &cobra.Command{
		Use:   "audit [--since T]",
		Short: "The append-only audit log: every change, its actor, before and after",
		Long: `Lists the audit log, oldest first: every sign-up, switch change, challenge,
DNS check, takeover and invitation, with who did it and what changed.
"operator as dan@example.com" is the operator acting under an admin's name
(domain challenge/verify --as); a check's line says at how many servers
its outcome was seen, and --json has each server's answer.
--since T starts at a time (2026-11-23 or RFC 3339) or a duration back from
now (90m, 24h); --limit N alone shows the newest N entries.`,
		Example: "  selfserve audit --since 1h\n  selfserve audit --since 2026-11-23 --json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 0 {
				return usageError{fmt.Errorf("--limit must be 0 (all) or more")}
			}
			from, err := parseSince(since, time.Now())
			if err != nil {
				return usageError{err}
			}
			return a.asOperator(cmd, func(_ context.Context, s *ops.Session) error {
				var entries []model.AuditEntry
				var err error
				if since == "" && limit > 0 {
					entries, err = s.Audit(limit)
				} else {
					entries, err = s.AuditSince(from, limit)
				}
				if err != nil {
					return err
				}
				return a.emit(entries, func(w io.Writer) {
					fmt.Fprintln(w, "TIME\tACTOR\tACTION\tTARGET\tCHANGE")
					for _, e := range entries {
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", e.Time.Format("2006-01-02 15:04:05 MST"), e.Who(), e.Action, e.Target, change(e))
					}
				})
			})
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "only entries at or after T")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many entries (0: all)")
	return cmd
}

func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: give a time like 2026-11-23 or 2026-11-23T10:00:00Z, or a duration like 24h", s)
}

// change says in one line what an entry changed, as the console does (a
// check's outcome at its servers); --json has the whole records.
func change(e model.AuditEntry) string {
	return clip(tui.AuditChange(e), 100)
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
