package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"selfserve/model"
)

// next waits (generously: the machine may be busy) for w's changes.
func next(t *testing.T, w *Watcher) Change {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := w.Next(ctx)
	if err != nil {
		t.Fatalf("no change arrived: %v", err)
	}
	return c
}

// A sign-up and a switch change reach every watcher, named by directory,
// without anyone asking the store again.
func TestWatchersSeeCommittedChanges(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{Create: true})
	a, err := s.Watch()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := s.Watch()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	res := mustSignup(t, s, "dan@bellowscollege.com", "rms")
	for _, w := range []*Watcher{a, b} {
		c := next(t, w)
		if !c.Directories[res.Directory.ID] || !c.Audit {
			t.Errorf("after a sign-up: %+v, want directory %s and the audit", c, res.Directory.ID)
		}
	}
	if _, err := s.SetSwitches(res.Directory.ID, "operator", true, func(sw model.Switches) model.Switches {
		sw.AllowAdHocSubscriptions = false
		return sw
	}); err != nil {
		t.Fatal(err)
	}
	if c := next(t, a); !c.Directories[res.Directory.ID] {
		t.Errorf("after a switch change: %+v", c)
	}
}

// A watcher that does not read does not hold writers back: its changes
// pile up into one.
func TestSlowWatcherGetsOneMergedChange(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{Create: true})
	w, err := s.Watch()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	dirs := map[string]bool{}
	for i := range 200 {
		res := mustSignup(t, s, fmt.Sprintf("u%d@d%d.example", i, i), "rms")
		dirs[res.Directory.ID] = true
	}
	got := map[string]bool{}
	for len(got) < len(dirs) {
		for id := range next(t, w).Directories {
			got[id] = true
		}
	}
	for id := range got {
		if !dirs[id] {
			t.Errorf("change names directory %s nobody touched", id)
		}
	}
}

// Closing the store ends the feed; a closed watcher gets nothing more.
func TestWatchEndsWithTheStore(t *testing.T) {
	s, err := Open(dbFor(t, t.TempDir()), Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Watch()
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	mustSignup(t, s, "dan@bellowscollege.com", "rms")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if c, err := w.Next(ctx); err == nil {
		t.Errorf("a closed watcher got %+v", c)
	}
	open, err := s.Watch()
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan error)
	go func() {
		// Changes committed before the close (the sign-up above may
		// still be on its way) come first; then the close ends Next.
		for {
			if _, err := open.Next(context.Background()); err != nil {
				ended <- err
				return
			}
		}
	}()
	done := make(chan error)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close hangs with a watched feed")
	}
	select {
	case err := <-ended:
		if !errors.Is(err, ErrWatchClosed) {
			t.Errorf("a Next waiting when the store closed returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a Next waiting when the store closed never returns")
	}
}

// The first Watch while sign-ups commit: the subscription's callback
// must be able to hand them on while Watch waits for its probe (it
// took the same lock, and every writer hung behind it).
func TestFirstWatchDuringWrites(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{Create: true})
	stop := make(chan struct{})
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			mustSignup(t, s, fmt.Sprintf("u%d@busy%d.example", i, i%5), "rms")
		}
	}()
	watched := make(chan error)
	go func() {
		var err error
		for range 5 {
			var w *Watcher
			if w, err = s.Watch(); err != nil {
				break
			}
			w.Close()
		}
		watched <- err
	}()
	select {
	case err := <-watched:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Watch hangs while sign-ups commit")
	}
	close(stop)
	<-wrote
}
