package tui

import (
	"sort"

	tea "github.com/charmbracelet/bubbletea"

	"selfserve/model"
)

// refreshMsg is a window's rows read again from its first row.
type refreshMsg struct {
	// anchor is the window's first row when the read began.
	dir, anchor string
	n           int
	rows        []model.User
	err         error
}

// refresh reads the rows the window holds again, from its first one on,
// so users others added among them show (issue 12 point 9: live
// consoles); one seek and one page, whatever the directory's size.
func (w *userWindow) refresh() tea.Cmd {
	if len(w.rows) == 0 {
		return nil
	}
	st, dir, anchor, n := w.st, w.dir, w.firstKey(), len(w.rows)
	from := anchor
	if w.atStart {
		from = "" // a user added before the first one shows too
	}
	return func() tea.Msg {
		rows, err := st.UsersFrom(dir, from, n)
		return refreshMsg{dir: dir, anchor: anchor, n: n, rows: rows, err: err}
	}
}

// applyRefresh puts rows read again in place if the window still starts
// where they were read from, the cursor on the user it was on (or the
// next one, if that user left).
func (w *userWindow) applyRefresh(m refreshMsg) error {
	if m.err != nil {
		return m.err
	}
	if m.dir != w.dir || len(w.rows) == 0 || len(m.rows) == 0 || w.firstKey() != m.anchor {
		return nil
	}
	sel := addressKey(w.rows[w.cursor])
	w.rows = m.rows
	// Fewer rows than asked for: the window now reaches the end.
	w.atEnd = len(m.rows) < m.n
	i := sort.Search(len(w.rows), func(i int) bool { return addressKey(w.rows[i]) >= sel })
	i = min(i, len(w.rows)-1)
	// The screen keeps its first row, so what was added above the cursor
	// shows, and the cursor moves down with its user.
	w.cursor = i
	w.scroll()
	return nil
}
