package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"
)

// Change says which kinds of records commits touched since a watcher
// last asked, so a console reads again only what it shows and only when
// something changed (issue 12: live consoles, no polling).
type Change struct {
	// Directories holds the ids of directories whose record, users or
	// counts changed.
	Directories map[string]bool
	Domains     bool
	Audit       bool
	Outbox      bool
	Services    bool
	Jobs        bool
}

// Empty reports whether c names nothing.
func (c Change) Empty() bool {
	return len(c.Directories) == 0 && !c.Domains && !c.Audit && !c.Outbox && !c.Services && !c.Jobs
}

func (c *Change) merge(o Change) {
	if len(o.Directories) > 0 && c.Directories == nil {
		c.Directories = map[string]bool{}
	}
	maps.Copy(c.Directories, o.Directories)
	c.Domains = c.Domains || o.Domains
	c.Audit = c.Audit || o.Audit
	c.Outbox = c.Outbox || o.Outbox
	c.Services = c.Services || o.Services
	c.Jobs = c.Jobs || o.Jobs
}

// changeOf classifies one written key.
func changeOf(c *Change, key string) {
	// A directory id ends at the "/" of a user or grant key, or at the
	// separator of a counter's shard.
	dir := func(rest string) {
		id := rest
		if i := strings.IndexAny(rest, "/"+sep); i >= 0 {
			id = rest[:i]
		}
		if c.Directories == nil {
			c.Directories = map[string]bool{}
		}
		c.Directories[id] = true
	}
	switch {
	case strings.HasPrefix(key, pDirectory):
		dir(key[len(pDirectory):])
	case strings.HasPrefix(key, pUser):
		dir(key[len(pUser):])
	case strings.HasPrefix(key, pUserCount):
		dir(key[len(pUserCount):])
	case strings.HasPrefix(key, pGrantCnt):
		dir(key[len(pGrantCnt):])
	case strings.HasPrefix(key, pDomain):
		c.Domains = true
	case strings.HasPrefix(key, pAudit):
		c.Audit = true
	case strings.HasPrefix(key, pOutbox):
		c.Outbox = true
	case strings.HasPrefix(key, pService):
		c.Services = true
	case strings.HasPrefix(key, pJob):
		c.Jobs = true
	}
}

// pWatchProbe is the key Watch deletes to learn that its subscription
// is in place; no record has it.
const pWatchProbe = "wp/"

// watchedPrefixes are the records a console shows.
var watchedPrefixes = []string{pDirectory, pUser, pUserCount, pGrantCnt, pDomain, pAudit, pOutbox, pService, pJob}

// Watcher receives the changes committed after Watch, by anyone using
// this store, merged until it asks for them: a slow console never slows
// a writer down, it just gets one bigger Change.
type Watcher struct {
	feed    *feed
	mu      sync.Mutex
	pending Change
	ready   chan struct{} // holds a token while pending is not empty
	closed  chan struct{} // closed by Close or the store's Close
	once    sync.Once
}

// ErrWatchClosed ends Next once the watcher or its store is closed.
var ErrWatchClosed = errors.New("watch closed")

// Next waits for changes and returns them all, or ctx's error.
func (w *Watcher) Next(ctx context.Context) (Change, error) {
	select {
	case <-ctx.Done():
		return Change{}, ctx.Err()
	case <-w.closed:
		return Change{}, ErrWatchClosed
	case <-w.ready:
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.pending
	w.pending = Change{}
	return c, nil
}

// Close stops w's changes and ends a Next waiting for them.
func (w *Watcher) Close() {
	w.feed.remove(w)
	w.once.Do(func() { close(w.closed) })
}

func (w *Watcher) add(c Change) {
	w.mu.Lock()
	w.pending.merge(c)
	w.mu.Unlock()
	select {
	case w.ready <- struct{}{}:
	default: // a token is waiting already
	}
}

// feed is the store's one subscription to Badger's change stream,
// shared by every watcher; it starts with the first watcher.
type feed struct {
	// startMu makes one Watch start the subscription while others wait;
	// it is not mu, which the subscription's callback takes: holding mu
	// while waiting for the callback to see the probe would deadlock.
	startMu  sync.Mutex
	started  bool
	mu       sync.Mutex
	watchers map[*Watcher]bool
	cancel   context.CancelFunc
	done     chan struct{}
	err      error // why the subscription ended, if before Close
}

// Watch starts receiving the changes committed from now on. A read-only
// store never sees any: only a writer's commits are published.
func (s *Store) Watch() (*Watcher, error) {
	f := &s.feed
	f.startMu.Lock()
	defer f.startMu.Unlock()
	f.mu.Lock()
	err := f.err
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	w := &Watcher{feed: f, ready: make(chan struct{}, 1), closed: make(chan struct{})}
	if s.opts.ReadOnly {
		return w, nil
	}
	if !f.started {
		if err := f.start(s.db); err != nil {
			return nil, err
		}
		f.started = true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.watchers == nil { // stopped meanwhile: the store is closing
		return nil, ErrWatchClosed
	}
	f.watchers[w] = true
	return w, nil
}

// start subscribes, and returns once the subscription is in place:
// Badger registers it inside Subscribe, which never returns while it
// runs, so a probe (deleting a key of its own prefix, which no record
// uses) is written until the subscription sees one.
func (f *feed) start(db *checkedDB) error {
	ctx, cancel := context.WithCancel(context.Background())
	matches := make([]pb.Match, len(watchedPrefixes)+1)
	for i, p := range watchedPrefixes {
		matches[i] = pb.Match{Prefix: []byte(p)}
	}
	matches[len(watchedPrefixes)] = pb.Match{Prefix: []byte(pWatchProbe)}
	probed := make(chan struct{})
	var once sync.Once
	f.mu.Lock()
	f.watchers, f.cancel, f.done = map[*Watcher]bool{}, cancel, make(chan struct{})
	f.mu.Unlock()
	go func() {
		defer close(f.done)
		err := db.Subscribe(ctx, func(kvs *badger.KVList) error {
			for _, kv := range kvs.Kv {
				if strings.HasPrefix(string(kv.Key), pWatchProbe) {
					once.Do(func() { close(probed) })
				}
			}
			return f.publish(kvs)
		}, matches)
		if err != nil && !errors.Is(err, context.Canceled) {
			f.mu.Lock()
			f.err = err
			f.mu.Unlock()
		}
	}()
	for pause := time.Millisecond; ; pause = min(2*pause, 100*time.Millisecond) {
		if err := db.Update(func(txn *badger.Txn) error { return txn.Delete([]byte(pWatchProbe)) }); err != nil {
			cancel()
			return err
		}
		select {
		case <-probed:
			return nil
		case <-f.done:
			cancel()
			return fmt.Errorf("watch changes: %w", f.err)
		case <-time.After(pause):
		}
	}
}

// publish runs on Badger's publisher: it must not block, or writers
// wait for it.
func (f *feed) publish(kvs *badger.KVList) error {
	var c Change
	for _, kv := range kvs.Kv {
		changeOf(&c, string(kv.Key))
	}
	if c.Empty() {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for w := range f.watchers {
		w.add(c)
	}
	return nil
}

func (f *feed) remove(w *Watcher) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.watchers, w)
}

// stop ends the subscription before the database closes.
func (f *feed) stop() {
	f.mu.Lock()
	cancel, done := f.cancel, f.done
	watchers := f.watchers
	f.watchers = nil
	f.mu.Unlock()
	for w := range watchers {
		w.once.Do(func() { close(w.closed) })
	}
	if cancel != nil {
		cancel()
		<-done
	}
}
