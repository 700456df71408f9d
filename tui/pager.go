package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// pager is a screen of text that scrolls: one kept mail, one audit
// entry. Its lines are laid out for the width once per resize and
// wrapped, never cut.
type pager struct {
	c     Common
	title string
	// layout makes the lines for a width.
	layout func(s *Styles, width int) []string
	lines  []string
	top    int
}

func newPager(c Common, title string, layout func(s *Styles, width int) []string) *pager {
	return &pager{c: c, title: title, layout: layout}
}

func (p *pager) Init() tea.Cmd   { return nil }
func (p *pager) Title() string   { return p.title }
func (p *pager) Capturing() bool { return false }

func (p *pager) SetSize(width, height int) {
	p.c.SetSize(width, height)
	p.lines = p.layout(p.c.Styles, p.c.Width)
	p.clamp()
}

func (p *pager) clamp() {
	p.top = max(0, min(p.top, len(p.lines)-p.c.Height))
}

func (p *pager) Update(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	km := p.c.KeyMap
	switch {
	case key.Matches(k, km.Down):
		p.top++
	case key.Matches(k, km.Up):
		p.top--
	case key.Matches(k, km.PageDown):
		p.top += p.c.Height
	case key.Matches(k, km.PageUp):
		p.top -= p.c.Height
	case key.Matches(k, km.Home):
		p.top = 0
	case key.Matches(k, km.End):
		p.top = len(p.lines)
	}
	p.clamp()
	return nil
}

func (p *pager) View() string {
	ls := append([]string(nil), p.lines[min(p.top, len(p.lines)):]...)
	for i := range ls {
		ls[i] = clip(ls[i], p.c.Width)
	}
	return fitHeight(strings.Join(ls, "\n"), p.c.Height)
}

func (p *pager) ShortHelp() []key.Binding {
	km := p.c.KeyMap
	return []key.Binding{km.Move, km.Back}
}

func (p *pager) FullHelp() [][]key.Binding { return listHelp(p.c.KeyMap) }
