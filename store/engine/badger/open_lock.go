package badger

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"selfserve/store/engine"
)

// dirLock is an flock on the database directory itself: the same lock
// Badger takes (so an older selfserve or Badger's own tools still exclude
// us), but taken by us before anything in the directory is looked at.
// Issue 10 point 8: eight processes creating one database at once saw
// each other's half-made files when the emptiness check ran before
// Badger's lock; and the damage inspection must not read a MANIFEST that
// another process is rewriting. Readers share the lock; a writer has it
// alone.
type dirLock struct{ f *os.File }

// lockDir takes the lock, waiting up to wait while another process holds
// it: two commands run at once should queue, not fail.
func lockDir(dir string, shared bool, wait time.Duration) (*dirLock, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_EX
	if shared {
		how = syscall.LOCK_SH
	}
	deadline := time.Now().Add(wait)
	for pause := 20 * time.Millisecond; ; pause = min(2*pause, 500*time.Millisecond) {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return &dirLock{f: f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("open database %s: %w", dir, engine.ErrBusy)
			}
			return nil, fmt.Errorf("open database %s: locking it: %w", dir, err)
		}
		time.Sleep(pause)
	}
}

// release drops the lock (closing the descriptor releases the flock).
func (l *dirLock) release() error { return l.f.Close() }
