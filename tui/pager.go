package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"selfserve/tui/words"
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

// rows is how many lines of text show: all of the screen, or all but
// the line that says where in a longer text the screen is.
func (p *pager) rows() int {
	if len(p.lines) > p.c.Height {
		return max(1, p.c.Height-1)
	}
	return p.c.Height
}

func (p *pager) clamp() {
	p.top = max(0, min(p.top, len(p.lines)-p.rows()))
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
		p.top += p.rows()
	case key.Matches(k, km.PageUp):
		p.top -= p.rows()
	case key.Matches(k, km.Home):
		p.top = 0
	case key.Matches(k, km.End):
		p.top = len(p.lines)
	}
	p.clamp()
	return nil
}

func (p *pager) View() string {
	n := p.rows()
	ls := append([]string(nil), p.lines[min(p.top, len(p.lines)):min(p.top+n, len(p.lines))]...)
	for i := range ls {
		ls[i] = clip(ls[i], p.c.Width)
	}
	out := fitHeight(strings.Join(ls, "\n"), n)
	if n < p.c.Height {
		at := fmt.Sprintf("lines %s–%s of %s", words.Count(p.top+1), words.Count(p.top+len(ls)), words.Count(len(p.lines)))
		out += "\n" + clip(p.c.Styles.StatusBar.Render(at), p.c.Width)
	}
	return out
}

func (p *pager) ShortHelp() []key.Binding {
	km := p.c.KeyMap
	return []key.Binding{km.Move, km.Back}
}

func (p *pager) FullHelp() [][]key.Binding { return listHelp(p.c.KeyMap) }
