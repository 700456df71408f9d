package badger

import (
	"sync"

	"selfserve/store/engine"
)

// listeners hold the engine's change feed: Badger is open in one process
// at a time (the directory lock), so every commit that sends a note is
// this process's own, handed over once Update has committed it.
type listeners struct {
	mu   sync.Mutex
	next int
	fns  map[int]func(engine.Note)
}

// Listen calls fn with the notes of every transaction committed from now
// on. fn runs on the committing goroutine, so it must not block.
func (e *Engine) Listen(fn func(engine.Note)) (stop func(), err error) {
	l := &e.listeners
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fns == nil {
		l.fns = map[int]func(engine.Note){}
	}
	id := l.next
	l.next++
	l.fns[id] = fn
	return func() {
		l.mu.Lock()
		delete(l.fns, id)
		l.mu.Unlock()
	}, nil
}

func (l *listeners) publish(msgs []string) {
	if len(msgs) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, fn := range l.fns {
		for _, m := range msgs {
			fn(engine.Note{Msg: m})
		}
	}
}

func (l *listeners) stop() {
	l.mu.Lock()
	l.fns = nil
	l.mu.Unlock()
}
