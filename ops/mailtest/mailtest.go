// Package mailtest is a real SMTP server on loopback for tests: it keeps
// what it receives and refuses mail on demand, temporarily (4xx) or for
// good (5xx), as a relay does.
package mailtest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Mail is one message the server took.
type Mail struct {
	From, To, Subject, Body string
}

// Server is the SMTP server; Addr is its host:port.
type Server struct {
	Addr string
	srv  *smtp.Server

	mu       sync.Mutex
	received []Mail
	refuse   int // 0, or the SMTP code DATA is answered with
	changed  chan struct{}
}

// Start listens on a free loopback port until Close.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: ln.Addr().String(), changed: make(chan struct{})}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	s.srv.Domain = "mailtest.invalid"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 30*time.Second, 30*time.Second
	go s.srv.Serve(ln)
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// Refuse makes the server answer every message with code (451: try
// later, 550: never), until Refuse(0).
func (s *Server) Refuse(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = code
}

// Received is what the server took, in order.
func (s *Server) Received() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.received...)
}

// Wait returns the mails once ok says they are what the test waits for,
// or what arrived by ctx's end with its error.
func (s *Server) Wait(ctx context.Context, ok func([]Mail) bool) ([]Mail, error) {
	for {
		s.mu.Lock()
		got, changed := append([]Mail(nil), s.received...), s.changed
		s.mu.Unlock()
		if ok(got) {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return got, ctx.Err()
		case <-changed:
		}
	}
}

type session struct {
	s        *Server
	from, to string
}

func (x *session) Reset()        { x.from, x.to = "", "" }
func (x *session) Logout() error { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = to
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse != 0 {
		return &smtp.SMTPError{Code: s.refuse, EnhancedCode: smtp.NoEnhancedCode, Message: fmt.Sprintf("refused on demand (%d)", s.refuse)}
	}
	m := Mail{From: x.from, To: x.to}
	if msg, err := mail.ReadMessage(strings.NewReader(string(raw))); err == nil {
		m.Subject = msg.Header.Get("Subject")
		b, _ := io.ReadAll(msg.Body)
		m.Body = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	s.received = append(s.received, m)
	close(s.changed)
	s.changed = make(chan struct{})
	return nil
}
