package sshdemo

import "sync"

// oneRestore runs a demo restore one at a time (issue 11 point 14): a
// second restore beside the first would empty the database under the
// first one's build. A ctrl+r pressed while a restore runs waits for
// that restore and shares its outcome, as a second one would only redo
// it; held down, ctrl+r still restores once.
type oneRestore struct {
	do      func() error
	mu      sync.Mutex
	running *restore
}

// restore is one run of do; err is set before done closes.
type restore struct {
	done chan struct{}
	err  error
}

func (o *oneRestore) run() error {
	o.mu.Lock()
	if r := o.running; r != nil {
		o.mu.Unlock()
		<-r.done
		return r.err
	}
	r := &restore{done: make(chan struct{})}
	o.running = r
	o.mu.Unlock()
	r.err = o.do()
	o.mu.Lock()
	o.running = nil
	o.mu.Unlock()
	close(r.done)
	return r.err
}
