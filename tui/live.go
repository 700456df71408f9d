package tui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"selfserve/ops"
)

// Every console sees what anyone else changes (another console, a
// command, a sign-up over HTTP) without a key press: the store's change
// feed says which records a commit touched, and each open screen that
// shows one of them reads again (issue 12 point 9). Nothing is read or
// drawn while nothing changes.

// live is a screen that shows what others change: Changed is the read
// to make again when ch touches what it shows (nil: nothing).
type live interface {
	Changed(ch ops.Change) tea.Cmd
}

// changedMsg carries the changes since the last one.
type changedMsg struct{ ch ops.Change }

// liveSettle is the least time between two re-reads: a burst of sign-ups
// (64 a second) becomes one re-read, well within the second a change
// must take to show.
const liveSettle = 150 * time.Millisecond

// watch waits for the next changes of w, after liveSettle, so changes that
// arrive meanwhile merge into one message. It closes w once the session
// ends.
func watch(c Common, w *ops.Watcher, pause time.Duration) tea.Cmd {
	return func() tea.Msg {
		if pause > 0 {
			select {
			case <-c.Context().Done():
			case <-time.After(pause):
			}
		}
		ch, err := w.Next(c.Context())
		if err != nil {
			w.Close()
			return nil
		}
		return changedMsg{ch}
	}
}

// startWatching subscribes the console to the change feed; a console on
// a store that cannot watch (read-only) just is not live.
func (a *app) startWatching() tea.Cmd {
	if a.static {
		return nil
	}
	w, err := a.c.Ops.Watch()
	if err != nil {
		return nil
	}
	a.watcher = w
	return watch(a.c, w, 0)
}

// changed hands ch to every open screen, the ones below the top too, so
// going back shows the present; then waits for the next changes.
func (a *app) changed(ch ops.Change) tea.Cmd {
	var cmds []tea.Cmd
	if a.watcher != nil {
		cmds = append(cmds, watch(a.c, a.watcher, liveSettle))
	}
	for _, s := range a.stack {
		if l, ok := s.(live); ok {
			cmds = append(cmds, l.Changed(ch))
		}
	}
	return tea.Batch(cmds...)
}

func (d *directoriesScreen) Changed(ch ops.Change) tea.Cmd {
	if len(ch.Directories) == 0 && !ch.AllDirectories && !ch.Domains {
		return nil
	}
	return d.Init() // keeps the selection (directoriesLoadedMsg)
}

func (l *listScreen[T]) Changed(ch ops.Change) tea.Cmd {
	if l.spec.watches == nil || !l.spec.watches(ch) {
		return nil
	}
	return l.Init()
}

func (s *switchesScreen) Changed(ch ops.Change) tea.Cmd {
	if s.sum.ID == "" || !ch.Directory(s.sum.ID) || s.saving {
		return nil
	}
	return s.Init() // unsaved changes stay proposed (switchesReadMsg)
}

func (u *userScreen) Changed(ch ops.Change) tea.Cmd {
	if !ch.Directory(u.dir) {
		return nil
	}
	return u.Init()
}

// Changed reads the directory's header again (its counts, switches,
// state) and the rows it holds, so a user added among them shows.
func (d *directoryScreen) Changed(ch ops.Change) tea.Cmd {
	if d.sum.ID == "" || !ch.Directory(d.sum.ID) {
		return nil
	}
	return tea.Batch(d.read(false), d.win.refresh())
}
