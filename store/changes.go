package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"selfserve/store/engine"
)

// Change says which kinds of records commits touched since a watcher
// last asked, so a console reads again only what it shows and only when
// something changed (issue 12: live consoles, no polling).
type Change struct {
	// Directories holds the ids of directories whose record, users or
	// counts changed.
	Directories map[string]bool `json:"d,omitempty"`
	// AllDirectories: any directory may have changed (the feed lost
	// track, or a bulk load or reset).
	AllDirectories bool `json:"ad,omitempty"`
	Domains        bool `json:"dn,omitempty"`
	Audit          bool `json:"a,omitempty"`
	Outbox         bool `json:"o,omitempty"`
	Services       bool `json:"s,omitempty"`
	Jobs           bool `json:"j,omitempty"`
	// Leases: a server took, renewed or gave up a lease (lease.go), so
	// one waiting for it may take it now.
	Leases bool `json:"l,omitempty"`
}

// Directory reports whether the directory id may have changed.
func (c Change) Directory(id string) bool { return c.AllDirectories || c.Directories[id] }

// Empty reports whether c names nothing.
func (c Change) Empty() bool {
	return len(c.Directories) == 0 && !c.AllDirectories && !c.Domains && !c.Audit && !c.Outbox && !c.Services && !c.Jobs && !c.Leases
}

// everything is the change that makes every watcher read again all it
// shows.
var everything = Change{AllDirectories: true, Domains: true, Audit: true, Outbox: true, Services: true, Jobs: true, Leases: true}

// maxNotedDirectories is how many directory ids one commit's message
// names; more (a bulk change) say "any directory" instead, keeping the
// message far below PostgreSQL's 8,000-byte limit.
const maxNotedDirectories = 64

// encode is the message a commit sends to the other watchers.
func (c Change) encode() string {
	if len(c.Directories) > maxNotedDirectories {
		c.Directories, c.AllDirectories = nil, true
	}
	b, _ := json.Marshal(c) // a map of strings and booleans always encodes
	return string(b)
}

// decodeChange reads a message; one that does not decode (another
// version's) makes its watchers read everything again.
func decodeChange(msg string) Change {
	var c Change
	if json.Unmarshal([]byte(msg), &c) != nil {
		return everything
	}
	return c
}

func (c *Change) merge(o Change) {
	if len(o.Directories) > 0 && c.Directories == nil {
		c.Directories = map[string]bool{}
	}
	maps.Copy(c.Directories, o.Directories)
	c.AllDirectories = c.AllDirectories || o.AllDirectories
	c.Domains = c.Domains || o.Domains
	c.Audit = c.Audit || o.Audit
	c.Outbox = c.Outbox || o.Outbox
	c.Services = c.Services || o.Services
	c.Jobs = c.Jobs || o.Jobs
	c.Leases = c.Leases || o.Leases
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
	case strings.HasPrefix(key, pLease):
		c.Leases = true
	}
}

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

// feed is the store's one subscription to the engine's change feed,
// shared by every watcher; it starts with the first watcher. Where the
// engine has none, it polls instead: every pollEvery, each watcher is
// told that anything may have changed.
type feed struct {
	// startMu makes one Watch start the subscription while others wait;
	// it is not mu, which the engine's feed takes to publish: holding mu
	// while the engine takes its own lock would deadlock with a commit.
	startMu  sync.Mutex
	mu       sync.Mutex
	started  bool
	closed   bool
	watchers map[*Watcher]bool
	stopFeed func()
}

// pollEvery is how often watchers of an engine without a change feed
// read again what they show: well inside the second in which a sign-up
// on one server should show in a console on another.
const pollEvery = 500 * time.Millisecond

// Watch starts receiving the changes committed from now on, by this
// process or, on a database server, any other.
func (s *Store) Watch() (*Watcher, error) {
	f := &s.feed
	f.startMu.Lock()
	defer f.startMu.Unlock()
	f.mu.Lock()
	started, closed := f.started, f.closed
	f.mu.Unlock()
	if closed {
		return nil, ErrWatchClosed
	}
	if !started {
		stop, err := s.eng.Listen(f.note)
		if errors.Is(err, engine.ErrNoFeed) {
			stop, err = f.poll(), nil
		}
		if err != nil {
			return nil, fmt.Errorf("watch changes: %w", err)
		}
		f.mu.Lock()
		f.started, f.stopFeed = true, stop
		f.mu.Unlock()
	}
	w := &Watcher{feed: f, ready: make(chan struct{}, 1), closed: make(chan struct{})}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, ErrWatchClosed
	}
	if f.watchers == nil {
		f.watchers = map[*Watcher]bool{}
	}
	f.watchers[w] = true
	return w, nil
}

// note runs on the engine's feed: it must not block, or writers wait.
func (f *feed) note(n engine.Note) {
	c := everything
	if !n.Lost {
		c = decodeChange(n.Msg)
	}
	f.publish(c)
}

func (f *feed) publish(c Change) {
	if c.Empty() {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for w := range f.watchers {
		w.add(c)
	}
}

// lost tells every watcher to read again all it shows.
func (f *feed) lost() { f.publish(everything) }

func (f *feed) poll() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(pollEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				f.lost()
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

func (f *feed) remove(w *Watcher) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.watchers, w)
}

// stop ends the subscription before the database closes.
func (f *feed) stop() {
	f.mu.Lock()
	stop, watchers := f.stopFeed, f.watchers
	f.watchers, f.closed = nil, true
	f.mu.Unlock()
	for w := range watchers {
		w.once.Do(func() { close(w.closed) })
	}
	if stop != nil {
		stop()
	}
}
