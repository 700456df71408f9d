package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"selfserve/model"
	"selfserve/tui/words"
)

// openMailMsg asks the root to show one kept mail.
type openMailMsg struct{ m model.Message }

// outboxScreen lists the mails the mailer kept (sign-up codes,
// invitations), newest first; enter shows one.
type outboxScreen struct {
	c    Common
	mail []model.Message // newest first
	err  error
	sc   scroller
}

func newOutboxScreen(c Common) *outboxScreen {
	o := &outboxScreen{c: c}
	o.mail, o.err = c.Ops.Outbox()
	slices.Reverse(o.mail)
	o.sc.n = len(o.mail)
	return o
}

func (o *outboxScreen) Init() tea.Cmd   { return nil }
func (o *outboxScreen) Title() string   { return "Outbox" }
func (o *outboxScreen) Capturing() bool { return false }

func (o *outboxScreen) SetSize(width, height int) {
	o.c.SetSize(width, height)
	o.sc.height = max(1, height-2)
	o.sc.clamp()
}

func (o *outboxScreen) Update(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	if key.Matches(k, o.c.KeyMap.Open) && o.sc.cursor < len(o.mail) {
		m := o.mail[o.sc.cursor]
		return func() tea.Msg { return openMailMsg{m: m} }
	}
	o.sc.key(o.c.KeyMap, k)
	return nil
}

var outboxColumns = []column{
	{title: "TIME", min: len(auditTimeLayout)},
	{title: "TO", min: 16},
	{title: "SUBJECT", min: 14},
}

var outboxGrowth = []growStep{{1, 28}, {2, 40}, {1, 36}, {2, 0}}

func (o *outboxScreen) View() string {
	s := o.c.Styles
	w := plan(outboxColumns, outboxGrowth, o.c.Width-len(marker))
	lines := []string{header(outboxColumns, w, s.ColumnHeader)}
	from, to := o.sc.visible()
	for i := from; i < to; i++ {
		m := o.mail[i]
		lines = append(lines, row(outboxColumns, w, []cell{
			styled(m.Time.UTC().Format(auditTimeLayout), s.Muted),
			plain(m.To),
			plain(m.Subject),
		}, i == o.sc.cursor, s.SelectedRow))
	}
	if len(o.mail) == 0 && o.err == nil {
		lines = append(lines, s.Muted.Render("  No mail kept: sign-ups and invitations leave their mails here."))
	}
	status := ""
	switch {
	case o.err != nil:
		status = s.Error.Render(fmt.Sprint(o.err))
	case len(o.mail) > 0:
		status = s.StatusBar.Render(fmt.Sprintf("mail %s of %s · newest first", words.Count(int64(o.sc.cursor+1)), words.Count(int64(len(o.mail)))))
	}
	return fitHeight(strings.Join(lines, "\n"), o.c.Height-1) + "\n" + clip(status, o.c.Width)
}

func (o *outboxScreen) ShortHelp() []key.Binding {
	km := o.c.KeyMap
	return []key.Binding{km.Move, km.Open, km.Back}
}

func (o *outboxScreen) FullHelp() [][]key.Binding {
	km := o.c.KeyMap
	h := listHelp(km)
	h[1] = append(h[1], km.Open)
	return h
}

// mailScreen shows one kept mail, its body wrapped to the screen.
type mailScreen struct {
	c   Common
	m   model.Message
	top int
}

func newMailScreen(c Common, m model.Message) *mailScreen { return &mailScreen{c: c, m: m} }

func (m *mailScreen) Init() tea.Cmd   { return nil }
func (m *mailScreen) Title() string   { return "Mail to " + m.m.To }
func (m *mailScreen) Capturing() bool { return false }

func (m *mailScreen) SetSize(width, height int) {
	m.c.SetSize(width, height)
	m.clamp()
}

// body is the mail's text wrapped to the width, under its headers.
func (m *mailScreen) lines() []string {
	s := m.c.Styles
	label := func(l string) string { return s.Label.Render(fmt.Sprintf("%-9s", l)) }
	out := []string{
		label("To") + m.m.To,
		label("Subject") + s.Title.Render(m.m.Subject),
		label("Kept") + m.m.Time.UTC().Format(auditTimeLayout),
		"",
	}
	body := ansi.Wrap(strings.TrimRight(m.m.Body, "\n"), max(20, m.c.Width), "")
	return append(out, strings.Split(body, "\n")...)
}

func (m *mailScreen) clamp() {
	m.top = max(0, min(m.top, len(m.lines())-m.c.Height))
}

func (m *mailScreen) Update(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	km := m.c.KeyMap
	switch {
	case key.Matches(k, km.Down):
		m.top++
	case key.Matches(k, km.Up):
		m.top--
	case key.Matches(k, km.PageDown):
		m.top += m.c.Height
	case key.Matches(k, km.PageUp):
		m.top -= m.c.Height
	case key.Matches(k, km.Home):
		m.top = 0
	case key.Matches(k, km.End):
		m.top = len(m.lines())
	}
	m.clamp()
	return nil
}

func (m *mailScreen) View() string {
	ls := m.lines()[m.top:]
	for i := range ls {
		ls[i] = clip(ls[i], m.c.Width)
	}
	return fitHeight(strings.Join(ls, "\n"), m.c.Height)
}

func (m *mailScreen) ShortHelp() []key.Binding {
	km := m.c.KeyMap
	return []key.Binding{km.Move, km.Back}
}

func (m *mailScreen) FullHelp() [][]key.Binding { return listHelp(m.c.KeyMap) }
