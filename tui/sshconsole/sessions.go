package sshconsole

import (
	"context"
	"sync"
	"time"

	"github.com/charmbracelet/ssh"

	"selfserve/ops"
)

// closing is why the server ended a session; the visitor reads it.
type closing string

func (c closing) Error() string { return string(c) }

const (
	errIdle     closing = "closed after no keystroke for too long"
	errTooLong  closing = "closed: the session reached its maximum length"
	errRevoked  closing = "closed: your key is no longer authorized"
	errKeysBad  closing = "closed: the server cannot read its authorized keys"
	errShutdown closing = "the server is shutting down"
)

// defaultKeyCheck is how often the keys file is read for open sessions:
// a removed key's session ends well within the minute issue 11 point 11
// allows, for a file read per 10 seconds.
const defaultKeyCheck = 10 * time.Second

// session is one open console.
type session struct {
	ctx     context.Context
	end     context.CancelCauseFunc
	idle    *time.Timer
	console Console
	// key and viewer are who signed in; key is nil in the demo.
	key    ssh.PublicKey
	viewer ops.Viewer
	remote string
}

// sessions are the open consoles, so that what happens outside a
// session (the server stopping, a key taken out of the keys file) can
// end it.
type sessions struct {
	mu      sync.Mutex
	open    map[*session]struct{}
	stopped bool
}

// add registers st, or says false once the server is stopping.
func (r *sessions) add(st *session) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return false
	}
	if r.open == nil {
		r.open = map[*session]struct{}{}
	}
	r.open[st] = struct{}{}
	return true
}

func (r *sessions) remove(st *session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.open, st)
}

func (r *sessions) list() []*session {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := make([]*session, 0, len(r.open))
	for st := range r.open {
		l = append(l, st)
	}
	return l
}

// stop ends every session with cause and refuses new ones.
func (r *sessions) stop(cause error) int {
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
	l := r.list()
	for _, st := range l {
		st.end(cause)
	}
	return len(l)
}

// keyVerdict says why st may no longer act, given the keys file as read
// now (keys, or the error reading it); nil while its line is unchanged.
// A line that now names someone else counts as removed: the session
// acts as who signed in.
func keyVerdict(keys *Keys, err error, st *session) error {
	if st.key == nil {
		return nil
	}
	if err != nil {
		return errKeysBad
	}
	if v, ok := keys.Lookup(st.key); !ok || v != st.viewer {
		return errRevoked
	}
	return nil
}

// recheck reads the keys file and ends st if its key is out of it.
func (s *Server) recheck(st *session) error {
	if s.cfg.Keys == nil || st.key == nil {
		return nil
	}
	keys, err := s.cfg.Keys()
	return s.judge(keys, err, st)
}

// judge ends st if keyVerdict says so, and logs why.
func (s *Server) judge(keys *Keys, err error, st *session) error {
	cause := keyVerdict(keys, err, st)
	if cause == nil || st.ctx.Err() != nil {
		return cause
	}
	if err != nil {
		s.log.Error("authorized keys", "err", err)
	}
	s.log.Warn("session closed", "why", cause.Error(), "as", st.viewer.Actor(),
		"fingerprint", fingerprint(st.key), "remote", st.remote)
	st.end(cause)
	return cause
}

// watchKeys reads the keys file every cfg.KeyCheck and ends the
// sessions whose key was taken out, so a removed key does not keep an
// open session (issue 11 point 11) even if it never types again.
func (s *Server) watchKeys(ctx context.Context) {
	if s.cfg.Keys == nil {
		return
	}
	t := time.NewTicker(s.cfg.KeyCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		open := s.sessions.list()
		if len(open) == 0 {
			continue
		}
		keys, err := s.cfg.Keys()
		for _, st := range open {
			_ = s.judge(keys, err, st)
		}
	}
}
