package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// scroller is the cursor of a list held in memory (the audit tail, the
// outbox, the catalogue): which row is selected and which is on top.
type scroller struct {
	cursor, top int
	n           int // rows in the list
	height      int // rows on screen
}

// clamp keeps the cursor on a row and on screen.
func (s *scroller) clamp() {
	h := max(1, s.height)
	s.cursor = max(0, min(s.cursor, s.n-1))
	s.top = max(0, min(s.top, s.n-h))
	if s.cursor < s.top {
		s.top = s.cursor
	}
	if s.cursor >= s.top+h {
		s.top = s.cursor - h + 1
	}
}

// key moves the cursor for the list keys and says whether k was one.
func (s *scroller) key(km *KeyMap, k tea.KeyMsg) bool {
	h := max(1, s.height)
	switch {
	case key.Matches(k, km.Down):
		s.cursor++
	case key.Matches(k, km.Up):
		s.cursor--
	case key.Matches(k, km.PageDown):
		s.cursor += h
		s.top += h
	case key.Matches(k, km.PageUp):
		s.cursor -= h
		s.top -= h
	case key.Matches(k, km.Home):
		s.cursor = 0
	case key.Matches(k, km.End):
		s.cursor = s.n - 1
	default:
		return false
	}
	s.clamp()
	return true
}

// visible is the range of rows on screen.
func (s *scroller) visible() (from, to int) {
	return s.top, min(s.n, s.top+max(1, s.height))
}

func listHelp(km *KeyMap) [][]key.Binding {
	return [][]key.Binding{{km.Up, km.Down, km.PageUp, km.PageDown}, {km.Home, km.End}}
}
