package tui

import (
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	blist "github.com/charmbracelet/bubbles/list" // table.go has its own list
	"github.com/charmbracelet/bubbles/paginator"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// emailItem is one user in the bubbles/list baseline: its title and filter
// value are the address, as in our users table.
type emailItem string

func (e emailItem) Title() string       { return string(e) }
func (e emailItem) Description() string { return "" }
func (e emailItem) FilterValue() string { return string(e) }

// listRunner drives a list.Model the way Bubble Tea would, but in line: each
// message's commands are run and their messages fed back until none is
// left, so a filter keystroke is timed until its matches are applied.
type listRunner struct{ m blist.Model }

func (r *listRunner) send(msg tea.Msg) {
	queue := []tea.Msg{msg}
	for len(queue) > 0 {
		var cmd tea.Cmd
		r.m, cmd = r.m.Update(queue[0])
		queue = append(queue[1:], runCmd(cmd)...)
	}
}

// runCmd runs cmd and any batch it returns, returning the messages.
func runCmd(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	switch msg := cmd().(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		var msgs []tea.Msg
		for _, c := range msg {
			msgs = append(msgs, runCmd(c)...)
		}
		return msgs
	default:
		return []tea.Msg{msg}
	}
}

// BenchmarkUsersKeystrokeBubblesList is the baseline of PRODUCT.md §6's TUI
// figure: the same million addresses in a bubbles/list at 120x40, in colour,
// one row per user as in our table, with paginator.Arabic (the default dots
// paginator makes one View take ~21 s). Its prefix counterpart is list's own
// filter: one character typed into an active filter, timed until the
// filtered items are applied and drawn.
func BenchmarkUsersKeystrokeBubblesList(b *testing.B) {
	// The tests draw in ASCII; list's styles use the default renderer, so
	// give it the colour a real terminal gets (as colourRenderer does ours).
	prof := lipgloss.ColorProfile()
	lipgloss.SetColorProfile(termenv.TrueColor)
	lipgloss.SetHasDarkBackground(true)
	b.Cleanup(func() { lipgloss.SetColorProfile(prof) })

	items := make([]blist.Item, 1_000_000)
	for i := range items {
		items[i] = emailItem(millionEmail(i))
	}
	d := blist.NewDefaultDelegate()
	d.ShowDescription = false
	d.SetSpacing(0)
	for _, bc := range []struct {
		name  string
		setup []tea.Msg
		key   func(i int) tea.Msg
	}{
		{"down", nil, func(int) tea.Msg { return tea.KeyMsg{Type: tea.KeyDown} }},
		{"pgdown", nil, func(int) tea.Msg { return tea.KeyMsg{Type: tea.KeyPgDown} }},
		{"end", nil, func(int) tea.Msg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'G'}} }},
		// As ours: typing and erasing one character after the same text,
		// pasted in one message so the setup filters once, not per rune.
		{"prefix", []tea.Msg{
			tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'/'}},
			tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("grace.chen1")},
		}, func(i int) tea.Msg {
			if i%2 == 0 {
				return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'7'}}
			}
			return tea.KeyMsg{Type: tea.KeyBackspace}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := blist.New(items, d, 120, 40)
			m.Paginator.Type = paginator.Arabic
			// A blinking cursor's command sleeps until the next blink.
			m.FilterInput.Cursor.SetMode(cursor.CursorStatic)
			r := &listRunner{m: m}
			for _, msg := range bc.setup {
				r.send(msg)
			}
			lat := make([]time.Duration, 0, 64)
			i := 0
			for b.Loop() {
				t0 := time.Now()
				r.send(bc.key(i))
				_ = r.m.View()
				lat = append(lat, time.Since(t0))
				i++
			}
			// Guard against timing a filter that never ran.
			if bc.name == "prefix" && (r.m.FilterState() != blist.Filtering || len(r.m.VisibleItems()) == len(items)) {
				b.Fatalf("filter state %v with %d items shown, want filtering", r.m.FilterState(), len(r.m.VisibleItems()))
			}
			reportLatency(b, lat)
		})
	}
}
