package tui

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/store"
)

// windowStore holds one directory "w" of n users with distinct keys.
func windowStore(t testing.TB, n int) (*store.Store, []string) {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l := st.NewLoader()
	l.Directory(model.Directory{ID: "w", Name: "w.test", State: model.Unmanaged, Domains: []string{"w.test"}})
	keys := make([]string, n)
	for i := range n {
		keys[i] = fmt.Sprintf("%s%03d@w.test", firsts[i%len(firsts)], i)
		l.User(model.User{ID: fmt.Sprint(i), Email: keys[i], Directory: "w", Kind: model.Member, CreatedAt: time.Unix(0, 0)})
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return st, keys
}

// The window against a plain slice: after any sequence of keys the cursor
// is on the same user, the screen shows consecutive users around it, and
// the known position is right, whatever pages were read or dropped.
func TestTUIUserWindowMatchesList(t *testing.T) {
	for _, n := range []int{0, 1, 7, 200} {
		st, keys := windowStore(t, n)
		for _, height := range []int{1, 3, 10, 25} {
			t.Run(fmt.Sprintf("n=%d/h=%d", n, height), func(t *testing.T) {
				rnd := rand.New(rand.NewPCG(uint64(n), uint64(height)))
				w := &userWindow{st: (&ops.Console{Store: st}).As(ops.Viewer{}), dir: "w", total: int64(n)}
				if err := w.setHeight(height); err != nil {
					t.Fatal(err)
				}
				want := 0 // the cursor's index in keys
				for step := range 400 {
					var op string
					var err error
					switch rnd.IntN(8) {
					case 0, 1:
						op, err = "down", w.move(1, false)
						want = min(want+1, max(n-1, 0))
					case 2:
						op, err = "up", w.move(-1, false)
						want = max(want-1, 0)
					case 3:
						op, err = "pgdown", w.move(height, true)
						want = min(want+height, max(n-1, 0))
					case 4:
						op, err = "pgup", w.move(-height, true)
						want = max(want-height, 0)
					case 5:
						op, err = "end", w.last()
						want = max(n-1, 0)
					case 6:
						op, err = "home", w.first()
						want = 0
					case 7:
						p := firsts[rnd.IntN(len(firsts))][:1+rnd.IntN(2)]
						if rnd.IntN(4) == 0 {
							p = "zz"
						}
						op = "jump " + p
						var found bool
						found, err = w.jump(p)
						i, _ := slices.BinarySearch(keys, p)
						if hit := i < n && strings.HasPrefix(keys[i], p); hit != found {
							t.Fatalf("step %d %s: found = %v, want %v", step, op, found, hit)
						} else if hit {
							want = i
						}
					}
					if err != nil {
						t.Fatalf("step %d %s: %v", step, op, err)
					}
					checkWindow(t, w, keys, want, height, fmt.Sprintf("step %d %s", step, op))
				}
			})
		}
	}
}

func checkWindow(t *testing.T, w *userWindow, keys []string, want, height int, what string) {
	t.Helper()
	vis := w.visible()
	if len(keys) == 0 {
		if len(vis) != 0 {
			t.Fatalf("%s: empty directory shows %d rows", what, len(vis))
		}
		return
	}
	if got := addressKey(w.rows[w.cursor]); got != keys[want] {
		t.Fatalf("%s: cursor on %s, want %s", what, got, keys[want])
	}
	if w.cursor < w.top || w.cursor >= w.top+height {
		t.Fatalf("%s: cursor %d off screen (top %d, height %d)", what, w.cursor, w.top, height)
	}
	// The screen is full whenever the directory has enough users.
	if len(vis) != min(height, len(keys)) {
		t.Fatalf("%s: %d rows on screen, want %d", what, len(vis), min(height, len(keys)))
	}
	first, _ := slices.BinarySearch(keys, addressKey(vis[0]))
	for i, u := range vis {
		if addressKey(u) != keys[first+i] {
			t.Fatalf("%s: row %d is %s, want %s", what, i, addressKey(u), keys[first+i])
		}
	}
	if p := w.position(); p != 0 && p != int64(want+1) {
		t.Fatalf("%s: position %d, want %d", what, p, want+1)
	}
	if len(w.rows) > w.capacity()+w.page() {
		t.Fatalf("%s: window holds %d rows, capacity %d", what, len(w.rows), w.capacity())
	}
}

// countingReader counts the window's reads, so a test can tell the reads
// a key makes while the user waits from those made ahead in commands.
type countingReader struct {
	pageReader
	reads int
}

func (c *countingReader) UsersFrom(ref, fromKey string, limit int) ([]model.User, error) {
	c.reads++
	return c.pageReader.UsersFrom(ref, fromKey, limit)
}

func (c *countingReader) UsersBefore(ref, beforeKey string, limit int) ([]model.User, error) {
	c.reads++
	return c.pageReader.UsersBefore(ref, beforeKey, limit)
}

// settle does what the program does between keys: runs the read-ahead
// commands and hands their pages back to the window, until it asks for
// nothing more.
func settle(t *testing.T, w *userWindow) {
	t.Helper()
	for cmd := w.readAhead(); cmd != nil; cmd = w.readAhead() {
		for _, msg := range runCmd(cmd) {
			m, ok := msg.(aheadMsg)
			if !ok {
				t.Fatalf("read-ahead brought %T", msg)
			}
			if err := w.apply(m); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// Issue 11 point 16: a move key (up, down, a page either way) never reads
// the store while the user waits, whatever keys came before: the pages
// beside the screen were read ahead, in a command, after the previous
// key. A read inside the key made the slowest keystrokes (pgdown to
// 67 ms on a million users). Only the first key after opening may read.
func TestTUIUserWindowReadsAhead(t *testing.T) {
	const n = 300
	st, keys := windowStore(t, n)
	for _, height := range []int{1, 4, 10, 25} {
		t.Run(fmt.Sprintf("h=%d", height), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(uint64(height), 16))
			cr := &countingReader{pageReader: (&ops.Console{Store: st}).As(ops.Viewer{})}
			w := &userWindow{st: cr, dir: "w", total: n}
			if err := w.setHeight(height); err != nil {
				t.Fatal(err)
			}
			want := 0
			for step := range 600 {
				before := cr.reads
				var op string
				var err error
				move := true
				switch rnd.IntN(10) {
				case 0, 1, 2:
					op, err = "down", w.move(1, false)
					want = min(want+1, n-1)
				case 3, 4:
					op, err = "up", w.move(-1, false)
					want = max(want-1, 0)
				case 5, 6:
					op, err = "pgdown", w.move(height, true)
					want = min(want+height, n-1)
				case 7:
					op, err = "pgup", w.move(-height, true)
					want = max(want-height, 0)
				case 8:
					op, err, move = "end", w.last(), false
					want = n - 1
				case 9:
					p := firsts[rnd.IntN(len(firsts))][:2]
					op, move = "jump "+p, false
					_, err = w.jump(p)
					want, _ = slices.BinarySearch(keys, p)
				}
				if err != nil {
					t.Fatalf("step %d %s: %v", step, op, err)
				}
				if move && step > 0 && cr.reads != before {
					t.Fatalf("step %d %s: the key read the store %d times while the user waited", step, op, cr.reads-before)
				}
				settle(t, w)
				checkWindow(t, w, keys, want, height, fmt.Sprintf("step %d %s", step, op))
			}
		})
	}
}
