package tui

import (
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"selfserve/model"
)

// userWindow keeps a few pages of a directory's users around the cursor,
// read from Badger by seeking. It never knows the whole list: a page past
// either edge of the screen is read ahead in a command (readAhead), a
// move beyond what it holds (keys faster than the reads) reads one more
// page, and jumps (first, last, prefix) replace the window with the page
// they land on. So every key costs at most a seek plus a page, whatever
// the directory's size, and a move key usually none.
type userWindow struct {
	st  pageReader
	dir string // directory id

	rows    []model.User
	atStart bool // rows[0] is the directory's first user
	atEnd   bool // the last row is its last user
	cursor  int  // index into rows
	top     int  // index into rows of the first row on screen
	height  int  // rows on screen
	// base is the position of rows[0] in the whole directory, or -1
	// after a prefix jump, until an end is reached again.
	base  int64
	total int64 // the directory's user count when it was opened
	// reading is the edges whose next page a command is reading; shared
	// by the copies of a window (the one saved before a jump), so a page
	// handed to either clears it for both.
	reading *edges
}

// edges names a window's first and last rows by address key.
type edges struct{ before, after string }

// page is how many users one read fetches: one screenful, so a page key
// costs a single seek.
func (w *userWindow) page() int { return max(w.height, 10) }

// capacity bounds memory: the screen and up to two pages either side
// (see trim).
func (w *userWindow) capacity() int { return 5 * w.page() }

// pageReader is the session's paged reads of a directory's users.
type pageReader interface {
	UsersFrom(ref, fromKey string, limit int) ([]model.User, error)
	UsersBefore(ref, beforeKey string, limit int) ([]model.User, error)
}

func addressKey(u model.User) string {
	if a, err := model.ParseAddress(u.Email); err == nil {
		return a.Key()
	}
	return strings.ToLower(u.Email)
}

func (w *userWindow) setHeight(h int) error {
	w.height = max(1, h)
	if w.rows == nil {
		return w.first()
	}
	w.scroll()
	return w.fill()
}

// first loads the first page.
func (w *userWindow) first() error {
	rows, err := w.st.UsersFrom(w.dir, "", w.page())
	if err != nil {
		return err
	}
	w.rows, w.cursor, w.top, w.base = rows, 0, 0, 0
	w.atStart, w.atEnd = true, len(rows) < w.page()
	return nil
}

// last loads the last page, the cursor on the last user.
func (w *userWindow) last() error {
	rows, err := w.st.UsersBefore(w.dir, "", w.page())
	if err != nil {
		return err
	}
	w.rows, w.atEnd, w.atStart = rows, true, len(rows) < w.page()
	w.cursor = max(0, len(rows)-1)
	w.top = max(0, len(rows)-w.height)
	w.base = max(0, w.total-int64(len(rows)))
	if w.atStart {
		w.base = 0
	}
	return nil
}

// jump puts the cursor on the first user whose address starts with
// prefix; found is false (and nothing moves) when there is none.
func (w *userWindow) jump(prefix string) (found bool, err error) {
	rows, err := w.st.UsersFrom(w.dir, prefix, w.page())
	if err != nil || len(rows) == 0 || !strings.HasPrefix(addressKey(rows[0]), prefix) {
		return false, err
	}
	w.rows, w.cursor, w.top, w.base = rows, 0, 0, -1
	w.atStart, w.atEnd = false, len(rows) < w.page()
	return true, w.fill()
}

// move moves the cursor by n rows (negative: up), reading pages as it
// crosses the window's edges, and scrolls by the same amount when the
// move is a whole page so page keys turn pages.
func (w *userWindow) move(n int, byPage bool) error {
	target := w.cursor + n
	for target >= len(w.rows) && !w.atEnd {
		if err := w.loadAfter(); err != nil {
			return err
		}
	}
	for target < 0 && !w.atStart {
		added, err := w.loadBefore()
		if err != nil {
			return err
		}
		target += added
	}
	target = max(0, min(target, len(w.rows)-1))
	if byPage {
		w.top += target - w.cursor
	}
	w.cursor = target
	w.scroll()
	w.trim()
	return nil
}

func (w *userWindow) loadAfter() error {
	if len(w.rows) == 0 {
		return w.first()
	}
	rows, err := w.st.UsersFrom(w.dir, after(w.lastKey()), w.page())
	if err != nil {
		return err
	}
	w.appendPage(rows)
	return nil
}

// after is the smallest key after k.
func after(k string) string { return k + "\x00" }

func (w *userWindow) firstKey() string { return addressKey(w.rows[0]) }
func (w *userWindow) lastKey() string  { return addressKey(w.rows[len(w.rows)-1]) }

// appendPage adds the page read after the last row.
func (w *userWindow) appendPage(rows []model.User) {
	w.rows = append(w.rows, rows...)
	if len(rows) < w.page() {
		w.atEnd = true
		if w.total > 0 && w.base < 0 {
			w.base = max(0, w.total-int64(len(w.rows)))
		}
	}
}

// loadBefore prepends the page before the window and says how many rows
// it added, so indices into rows can be shifted.
func (w *userWindow) loadBefore() (int, error) {
	if len(w.rows) == 0 {
		return 0, w.last()
	}
	rows, err := w.st.UsersBefore(w.dir, w.firstKey(), w.page())
	if err != nil {
		return 0, err
	}
	w.prependPage(rows)
	return len(rows), nil
}

// prependPage adds the page read before the first row; a new array, so
// a saved copy of the window keeps its rows.
func (w *userWindow) prependPage(rows []model.User) {
	w.rows = append(rows, w.rows...)
	w.cursor += len(rows)
	w.top += len(rows)
	if w.base >= 0 {
		w.base -= int64(len(rows))
	}
	if len(rows) < w.page() {
		w.atStart, w.base = true, 0
	}
}

// aheadMsg is a page read ahead of the screen: the users just after (or,
// with before, just before) the row whose address key is edge.
type aheadMsg struct {
	dir, edge string
	before    bool
	rows      []model.User
	err       error
}

// readAhead returns the command reading the page beyond either edge of
// the window when less than a page is held past the screen there, so
// the next move key, even a page key, finds its rows already read and
// costs no store read while the user waits (issue 11 point 16: page reads
// inside keys made the slowest keystrokes). nil when nothing is missing.
func (w *userWindow) readAhead() tea.Cmd {
	if len(w.rows) == 0 {
		return nil
	}
	if w.reading == nil {
		w.reading = &edges{}
	}
	st, dir, n := w.st, w.dir, w.page()
	var cmds []tea.Cmd
	if last := w.lastKey(); !w.atEnd && len(w.rows)-(w.top+w.height) < n && w.reading.after != last {
		w.reading.after = last
		cmds = append(cmds, func() tea.Msg {
			rows, err := st.UsersFrom(dir, after(last), n)
			return aheadMsg{dir: dir, edge: last, rows: rows, err: err}
		})
	}
	if first := w.firstKey(); !w.atStart && w.top < n && w.reading.before != first {
		w.reading.before = first
		cmds = append(cmds, func() tea.Msg {
			rows, err := st.UsersBefore(dir, first, n)
			return aheadMsg{dir: dir, edge: first, before: true, rows: rows, err: err}
		})
	}
	return tea.Batch(cmds...)
}

// apply adds a page read ahead if the window still ends where it was
// read from; a jump or a read made meanwhile leaves it unused.
func (w *userWindow) apply(m aheadMsg) error {
	if m.dir != w.dir {
		return nil
	}
	if w.reading != nil {
		if m.before && w.reading.before == m.edge {
			w.reading.before = ""
		}
		if !m.before && w.reading.after == m.edge {
			w.reading.after = ""
		}
	}
	switch {
	case m.err != nil:
		return m.err
	case len(w.rows) == 0:
	case m.before && !w.atStart && w.firstKey() == m.edge:
		w.prependPage(m.rows)
		w.trim()
	case !m.before && !w.atEnd && w.lastKey() == m.edge:
		w.appendPage(m.rows)
		w.trim()
	}
	return nil
}

// fill reads more when the screen would show blank rows that exist:
// after a jump near the end, or when the terminal grew.
func (w *userWindow) fill() error {
	if len(w.rows)-w.top < w.height && !w.atEnd {
		if err := w.loadAfter(); err != nil {
			return err
		}
	}
	if len(w.rows)-w.top < w.height && w.top > 0 {
		w.top = max(0, len(w.rows)-w.height)
	}
	if len(w.rows) < w.height && !w.atStart {
		if _, err := w.loadBefore(); err != nil {
			return err
		}
		w.top = max(0, len(w.rows)-w.height)
	}
	w.scroll()
	return nil
}

// trim drops rows more than two pages beyond either edge of the screen,
// keeping the page read ahead on each side. It re-slices and never
// writes the array, so a saved copy of the window keeps its rows.
func (w *userWindow) trim() {
	beyond := 2 * w.page()
	if drop := w.top - beyond; drop > 0 {
		w.rows = w.rows[drop:]
		w.cursor -= drop
		w.top -= drop
		w.atStart = false
		if w.base >= 0 {
			w.base += int64(drop)
		}
	}
	if keep := w.top + w.height + beyond; keep < len(w.rows) {
		// Capped, so a later append copies instead of writing rows a
		// saved copy may still show.
		w.rows = w.rows[:keep:keep]
		w.atEnd = false
	}
}

// scroll keeps the cursor on screen and the screen inside the window.
func (w *userWindow) scroll() {
	w.top = max(0, min(w.top, len(w.rows)-w.height))
	if w.cursor < w.top {
		w.top = w.cursor
	}
	if w.cursor >= w.top+w.height {
		w.top = w.cursor - w.height + 1
	}
	w.top = max(0, w.top)
}

// visible is the rows on screen.
func (w *userWindow) visible() []model.User {
	end := min(len(w.rows), w.top+w.height)
	if w.top >= end {
		return nil
	}
	return w.rows[w.top:end]
}

// position is the cursor's 1-based place in the directory, 0 if unknown.
func (w *userWindow) position() int64 {
	if w.base < 0 || len(w.rows) == 0 {
		return 0
	}
	return w.base + int64(w.cursor) + 1
}
