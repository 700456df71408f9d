package ops

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"strings"
	"time"

	"selfserve/model"
)

// ErrNotSent: the relay did not take a mail. What was saved with it is
// said by the caller; what to do is the front end's.
var ErrNotSent = errors.New("not sent")

// Mailer delivers a message.
type Mailer interface {
	Send(ctx context.Context, m model.Message) error
}

// SMTP sends through a relay at Addr (host:port) without authentication,
// as a local MTA or a test relay expects.
type SMTP struct {
	Addr string
	From string
}

// Send delivers m, giving up at ctx's deadline.
func (s SMTP) Send(ctx context.Context, m model.Message) error {
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("SMTP relay %s: %w", s.Addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	host, _, _ := net.SplitHostPort(s.Addr)
	cl, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("SMTP relay %s: %w", s.Addr, err)
	}
	defer cl.Close()
	if err := cl.Mail(s.From); err != nil {
		return fmt.Errorf("SMTP relay %s refused sender %s: %w", s.Addr, s.From, err)
	}
	if err := cl.Rcpt(m.To); err != nil {
		return fmt.Errorf("SMTP relay %s refused recipient %s: %w", s.Addr, m.To, err)
	}
	w, err := cl.Data()
	if err != nil {
		return fmt.Errorf("SMTP relay %s: %w", s.Addr, err)
	}
	body := strings.ReplaceAll(m.Body, "\n", "\r\n")
	fmt.Fprintf(w, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n\r\n%s", s.From, m.To, m.Subject, m.Time.Format(time.RFC1123Z), body)
	if err := w.Close(); err != nil {
		return fmt.Errorf("SMTP relay %s did not accept the message: %w", s.Addr, err)
	}
	return cl.Quit()
}
