package sshconsole

import (
	"net"
	"sync"
	"time"
)

// Defaults of the limits on connections that have not yet opened their
// console. They are not the session limits' business: --idle-timeout 0
// and --max-session 0 leave them in force.
const (
	// sshd's LoginGraceTime is 120s; a minute leaves a person time to
	// answer ssh's host-key question and type a key's passphrase.
	defaultHandshakeTimeout = time.Minute
	// sshd's MaxStartups refuses every new connection at 100 waiting.
	defaultMaxPending = 100
)

// gate holds the connections between accept and their console: each
// is closed if it has not opened a console within timeout, and at most
// max wait at once, so a crowd of silent or slow connections (each a
// goroutine and a key exchange's state) is bounded whatever the session
// limits say.
type gate struct {
	timeout time.Duration
	max     int
	onLate  func(net.Conn)
	mu      sync.Mutex
	waiting map[*pendingConn]struct{}
	closed  bool
}

// pendingConn is a connection on its way in; in (or Close) takes it out
// of the gate.
type pendingConn struct {
	net.Conn
	g     *gate
	timer *time.Timer
	once  sync.Once
}

func newGate(timeout time.Duration, max int, onLate func(net.Conn)) *gate {
	return &gate{timeout: timeout, max: max, onLate: onLate, waiting: map[*pendingConn]struct{}{}}
}

// enter admits c, or returns nil when max connections already wait or
// the server is stopping.
func (g *gate) enter(c net.Conn) *pendingConn {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed || len(g.waiting) >= g.max {
		return nil
	}
	p := &pendingConn{Conn: c, g: g}
	g.waiting[p] = struct{}{}
	p.timer = time.AfterFunc(g.timeout, func() {
		g.onLate(c)
		p.Close()
	})
	return p
}

// in marks the connection as having opened its console: its deadline no
// longer applies and it no longer counts against the cap.
func (p *pendingConn) in() {
	p.timer.Stop()
	p.leave()
}

func (p *pendingConn) leave() {
	p.once.Do(func() {
		p.g.mu.Lock()
		delete(p.g.waiting, p)
		p.g.mu.Unlock()
	})
}

func (p *pendingConn) Close() error {
	p.leave()
	return p.Conn.Close()
}

// close refuses new connections and closes those still waiting, which
// the SSH library's own shutdown does not know about yet.
func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	waiting := make([]*pendingConn, 0, len(g.waiting))
	for p := range g.waiting {
		waiting = append(waiting, p)
	}
	g.mu.Unlock()
	for _, p := range waiting {
		p.Close()
	}
}
