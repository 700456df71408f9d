package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/tui/words"
)

// outboxSpec lists the mails the mailer kept (sign-up codes,
// invitations), newest first; enter shows one.
var outboxSpec = &listSpec[model.Message]{
	title:   "Outbox",
	watches: func(ch ops.Change) bool { return ch.Outbox },
	noun:    "mail",
	columns: []listColumn{
		{column: column{title: "TIME", min: len(auditTimeLayout)}, whole: true},
		{column: column{title: "TO", min: 16}, whole: true},
		{column: column{title: "SUBJECT", min: 14}},
	},
	growth: []int{2},
	split:  2,
	read: func(oc *ops.Session) ([]model.Message, error) {
		mail, err := oc.Outbox()
		slices.Reverse(mail)
		return mail, err
	},
	cells: func(s *Styles, m model.Message) []cell {
		subject := m.Subject
		if st := words.MailState(string(m.State), m.Attempts, m.LastError); st != "" {
			subject = "[" + st + "] " + subject
		}
		return []cell{styled(m.Time.UTC().Format(auditTimeLayout), s.Muted), plain(m.To), plain(subject)}
	},
	empty: "No mail kept: sign-ups and invitations leave their mails here.",
	note:  func([]model.Message) string { return "newest first" },
	open:  func(c Common, m model.Message) screen { return newMailScreen(c, m) },
}

func newOutboxScreen(c Common) *listScreen[model.Message] { return newListScreen(c, outboxSpec) }

// newMailScreen shows one kept mail, its body wrapped to the screen.
func newMailScreen(c Common, m model.Message) *pager {
	return newPager(c, "Mail to "+m.To, func(s *Styles, width int) []string {
		label := func(l string) string { return s.Label.Render(fmt.Sprintf("%-9s", l)) }
		out := []string{
			label("To") + m.To,
			label("Subject") + s.Title.Render(m.Subject),
			label("Kept") + m.Time.UTC().Format(auditTimeLayout),
			"",
		}
		body := ansi.Wrap(strings.TrimRight(m.Body, "\n"), max(20, width), "")
		return append(out, strings.Split(body, "\n")...)
	})
}
