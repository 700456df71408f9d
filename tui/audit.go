package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"selfserve/model"
	"selfserve/tui/words"
)

// auditLimit is how much of the log the screen holds: the newest entries
// are what an operator looks for here; `selfserve audit --since` reads
// the rest.
const auditLimit = 500

// auditTimeLayout keeps the seconds: several changes often share a minute.
const auditTimeLayout = "2006-01-02 15:04:05"

// openAuditMsg, openOutboxMsg and openServicesMsg ask the root to open
// those screens.
type (
	openAuditMsg    struct{}
	openOutboxMsg   struct{}
	openServicesMsg struct{}
)

// auditScreen is the tail of the audit log, newest first, with a line
// saying what each entry changed.
type auditScreen struct {
	c       Common
	entries []model.AuditEntry // newest first
	err     error
	sc      scroller
}

func newAuditScreen(c Common) *auditScreen {
	a := &auditScreen{c: c}
	a.entries, a.err = c.Ops.Audit(auditLimit)
	slices.Reverse(a.entries)
	a.sc.n = len(a.entries)
	return a
}

func (a *auditScreen) Init() tea.Cmd   { return nil }
func (a *auditScreen) Title() string   { return "Audit log" }
func (a *auditScreen) Capturing() bool { return false }

// SetSize leaves room for the column titles and the status line.
func (a *auditScreen) SetSize(width, height int) {
	a.c.SetSize(width, height)
	a.sc.height = max(1, height-2)
	a.sc.clamp()
}

func (a *auditScreen) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyMsg); ok {
		a.sc.key(a.c.KeyMap, k)
	}
	return nil
}

var auditColumns = []column{
	{title: "TIME", min: len(auditTimeLayout)},
	{title: "ACTOR", min: 10, drop: 2},
	{title: "ACTION", min: 16},
	{title: "TARGET", min: 12},
	{title: "CHANGE", min: 24, drop: 1},
}

var auditGrowth = []growStep{{4, 32}, {1, 22}, {3, 30}, {4, 0}}

func (a *auditScreen) View() string {
	s := a.c.Styles
	w := plan(auditColumns, auditGrowth, a.c.Width-len(marker))
	lines := []string{header(auditColumns, w, s.ColumnHeader)}
	from, to := a.sc.visible()
	for i := from; i < to; i++ {
		e := a.entries[i]
		lines = append(lines, row(auditColumns, w, []cell{
			styled(e.Time.UTC().Format(auditTimeLayout), s.Muted),
			plain(e.Actor),
			plain(e.Action),
			plain(e.Target),
			plain(model.ChangeSummary(e.Before, e.After)),
		}, i == a.sc.cursor, s.SelectedRow))
	}
	if len(a.entries) == 0 && a.err == nil {
		lines = append(lines, s.Muted.Render("  The audit log is empty: nothing has changed yet."))
	}
	return fitHeight(strings.Join(lines, "\n"), a.c.Height-1) + "\n" + clip(a.status(), a.c.Width)
}

func (a *auditScreen) status() string {
	s := a.c.Styles
	if a.err != nil {
		return s.Error.Render(fmt.Sprint(a.err))
	}
	if len(a.entries) == 0 {
		return ""
	}
	note := "newest first"
	if len(a.entries) == auditLimit {
		note = fmt.Sprintf("the newest %d, newest first · selfserve audit --since T reads older ones", auditLimit)
	}
	return s.StatusBar.Render(fmt.Sprintf("entry %s of %s · %s", words.Count(int64(a.sc.cursor+1)), words.Count(int64(len(a.entries))), note))
}

func (a *auditScreen) ShortHelp() []key.Binding {
	km := a.c.KeyMap
	return []key.Binding{km.Move, km.PageDown, km.Back}
}

func (a *auditScreen) FullHelp() [][]key.Binding { return listHelp(a.c.KeyMap) }
