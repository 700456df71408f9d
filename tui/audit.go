package tui

import (
	"slices"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/tui/words"
)

// auditLimit is how much of the log the screen holds: the newest entries
// are what an operator looks for here; `selfserve audit --since` reads
// the rest.
const auditLimit = 500

// auditTimeLayout keeps the seconds: several changes often share a minute.
const auditTimeLayout = "2006-01-02 15:04:05"

// auditSpec is the tail of the audit log, newest first, with a line
// saying what each entry changed; enter opens an entry. Time, actor and
// action are what an entry is, so they are never cut while they fit
// (issue 11 point 4); the change gives way first, and enter shows it whole.
var auditSpec = &listSpec[model.AuditEntry]{
	title:   "Audit log",
	watches: func(ch ops.Change) bool { return ch.Audit },
	noun:    "entry",
	columns: []listColumn{
		{column: column{title: "TIME", min: len(auditTimeLayout)}, whole: true},
		{column: column{title: "ACTOR", min: 8}, whole: true},
		{column: column{title: "ACTION", min: 12}, whole: true},
		{column: column{title: "TARGET", min: 12}},
		{column: column{title: "CHANGE", min: 16, drop: 1}},
	},
	growth: []int{3, 4},
	split:  2,
	read: func(oc *ops.Session) ([]model.AuditEntry, error) {
		entries, err := oc.Audit(auditLimit)
		slices.Reverse(entries)
		return entries, err
	},
	cells: func(s *Styles, e model.AuditEntry) []cell {
		return []cell{
			styled(e.Time.UTC().Format(auditTimeLayout), s.Muted),
			plain(e.Who()),
			plain(e.Action),
			plain(e.Target),
			auditChange(s, e),
		}
	},
	empty: "The audit log is empty: nothing has changed yet.",
	note: func(entries []model.AuditEntry) string {
		if len(entries) == auditLimit {
			return "the newest " + words.Count(auditLimit) + ", newest first · selfserve audit --since T reads older ones"
		}
		return "newest first"
	},
	open: func(c Common, e model.AuditEntry) screen { return newAuditEntryScreen(c, e) },
}

func newAuditScreen(c Common) *listScreen[model.AuditEntry] { return newListScreen(c, auditSpec) }
