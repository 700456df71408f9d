package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"selfserve/store/engine"
)

// channel is the one NOTIFY channel of the database.
const channel = "selfserve"

const (
	// maxPayload is PostgreSQL's bound on a NOTIFY payload: a longer one
	// fails the transaction.
	maxPayload = 8000
	// lostMarker is sent instead of a message NOTIFY cannot carry (too
	// long, or not UTF-8 text), and reaches listeners as a Note with
	// Lost set, so they read again what they show.
	lostMarker = "\x01selfserve: message not sent"
)

// payload is what NOTIFY sends for msg.
func payload(msg string) string {
	if len(msg) >= maxPayload || !utf8.ValidString(msg) || strings.IndexByte(msg, 0) >= 0 {
		return lostMarker
	}
	return msg
}

const (
	// idlePing is how long a listener waits for a notice before it
	// checks that its server still answers: a server that vanished
	// without closing the connection would otherwise leave it waiting
	// for ever.
	idlePing    = 30 * time.Second
	pingTimeout = 10 * time.Second
)

// listener is one Listen's goroutine.
type listener struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func (l *listener) stop() {
	l.cancel()
	<-l.done
}

// Listen holds a connection of its own (not the pool's: LISTEN belongs to
// a session) and calls fn from one goroutine, in commit order. After
// losing the connection it reconnects, and once it listens again calls
// fn with Lost set. stop must not be called from fn.
func (e *Engine) Listen(fn func(engine.Note)) (stop func(), err error) {
	if e.closed.Load() {
		return nil, errClosed
	}
	ctx, cancel := context.WithCancel(context.Background())
	// The first connection is made before Listen returns, so every
	// commit after that is heard.
	conn, err := e.listenConn(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	l := &listener{cancel: cancel, done: make(chan struct{})}
	e.mu.Lock()
	if e.listeners == nil { // closed
		e.mu.Unlock()
		cancel()
		conn.Close(context.Background())
		return nil, errClosed
	}
	e.listeners[l] = struct{}{}
	e.mu.Unlock()
	go func() {
		defer close(l.done)
		e.listen(ctx, conn, fn)
	}()
	return func() {
		e.mu.Lock()
		delete(e.listeners, l)
		e.mu.Unlock()
		l.stop()
	}, nil
}

func (e *Engine) listen(ctx context.Context, conn *pgx.Conn, fn func(engine.Note)) {
	for {
		e.relay(ctx, conn, fn)
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Close(closeCtx)
		cancel()
		if conn = e.reconnect(ctx); conn == nil {
			return
		}
		fn(engine.Note{Lost: true})
	}
}

// relay passes notices to fn until the connection fails or ctx ends.
func (e *Engine) relay(ctx context.Context, conn *pgx.Conn, fn func(engine.Note)) {
	for {
		waitCtx, cancel := context.WithTimeout(ctx, idlePing)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		if err == nil {
			if n.Payload == lostMarker {
				fn(engine.Note{Lost: true})
			} else {
				fn(engine.Note{Msg: n.Payload})
			}
			continue
		}
		// A wait that timed out leaves the connection usable.
		if ctx.Err() != nil || !pgconn.Timeout(err) {
			return
		}
		pingCtx, cancel := context.WithTimeout(ctx, pingTimeout)
		err = conn.Ping(pingCtx)
		cancel()
		if err != nil {
			return
		}
	}
}

// reconnect listens again, trying with a back-off capped at a second
// until it works; nil when ctx ends first.
func (e *Engine) reconnect(ctx context.Context) *pgx.Conn {
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		if conn, err := e.listenConn(ctx); err == nil {
			return conn
		}
	}
}

// listenConn connects to the server the pool uses and listens.
func (e *Engine) listenConn(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, e.connectFor)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, e.listenConfig)
	if err != nil {
		return nil, fmt.Errorf("%w: postgres %s: %v", engine.ErrUnreachable, e.where, err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("%w: postgres %s: %v", engine.ErrUnreachable, e.where, err)
	}
	return conn, nil
}
