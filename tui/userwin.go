package tui

import (
	"strings"

	"selfserve/model"
	"selfserve/ops"
)

// userWindow keeps a few pages of a directory's users around the cursor,
// read from Badger by seeking. It never knows the whole list: moving past
// either end of what it holds reads one more page, and jumps (first,
// last, prefix) replace the window with the page they land on. So every
// key costs at most a seek plus a page, whatever the directory's size.
type userWindow struct {
	st  *ops.Session
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
}

// page is how many users one read fetches: one screenful, so a page key
// costs a single seek.
func (w *userWindow) page() int { return max(w.height, 10) }

// capacity bounds memory: a few pages either side of the cursor.
func (w *userWindow) capacity() int { return 4 * w.page() }

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
	w.trim()
	w.scroll()
	return nil
}

func (w *userWindow) loadAfter() error {
	if len(w.rows) == 0 {
		return w.first()
	}
	// The smallest key after the last row's.
	rows, err := w.st.UsersFrom(w.dir, addressKey(w.rows[len(w.rows)-1])+"\x00", w.page())
	if err != nil {
		return err
	}
	w.rows = append(w.rows, rows...)
	if len(rows) < w.page() {
		w.atEnd = true
		if w.total > 0 && w.base < 0 {
			w.base = max(0, w.total-int64(len(w.rows)))
		}
	}
	return nil
}

// loadBefore prepends the page before the window and says how many rows
// it added, so indices into rows can be shifted.
func (w *userWindow) loadBefore() (int, error) {
	if len(w.rows) == 0 {
		return 0, w.last()
	}
	rows, err := w.st.UsersBefore(w.dir, addressKey(w.rows[0]), w.page())
	if err != nil {
		return 0, err
	}
	w.rows = append(rows, w.rows...)
	w.cursor += len(rows)
	w.top += len(rows)
	if w.base >= 0 {
		w.base -= int64(len(rows))
	}
	if len(rows) < w.page() {
		w.atStart, w.base = true, 0
	}
	return len(rows), nil
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

// trim drops rows far from the cursor once the window holds more than
// its capacity.
func (w *userWindow) trim() {
	extra := len(w.rows) - w.capacity()
	if extra <= 0 {
		return
	}
	if w.cursor >= len(w.rows)/2 {
		// Keep what is on screen: never drop past the top row.
		extra = min(extra, w.top)
		w.rows = append([]model.User(nil), w.rows[extra:]...)
		w.cursor -= extra
		w.top -= extra
		if extra > 0 {
			w.atStart = false
			if w.base >= 0 {
				w.base += int64(extra)
			}
		}
		return
	}
	keep := max(len(w.rows)-extra, w.top+w.height)
	if keep < len(w.rows) {
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
