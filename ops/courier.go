package ops

import (
	"context"
	"errors"
	"net/textproto"
	"time"

	"github.com/charmbracelet/log"

	"selfserve/model"
	"selfserve/ops/metrics"
	"selfserve/store"
)

// Courier delivers the mail queued in the store through Mail: each
// message is written in the transaction that issues its code, so a crash
// between commit and delivery loses none (it is sent after restart, at
// least once). Failures are retried with back-off (model.MailRetryAfter)
// until the relay refuses for good or the attempts run out.
type Courier struct {
	Store   *store.Store
	Mail    Mailer
	Metrics *metrics.Metrics
	Log     *log.Logger
	// Timeout bounds one delivery (0: 30 s).
	Timeout time.Duration
}

// batch is how many due mails one pass reads.
const batch = 64

// settleRetry is the pause after the store failed to record an attempt.
const settleRetry = 30 * time.Second

// Run delivers until ctx ends: what is due now, then whenever a mail is
// queued (the store's change feed says so) or a retry falls due. A
// message being sent when ctx ends is finished, not cut off.
func (c *Courier) Run(ctx context.Context) error {
	w, err := c.Store.Watch()
	if err != nil {
		return err
	}
	defer w.Close()
	queued := make(chan struct{}, 1)
	go func() {
		for {
			ch, err := w.Next(ctx)
			if err != nil {
				return
			}
			if ch.Outbox {
				select {
				case queued <- struct{}{}:
				default:
				}
			}
		}
	}()
	for {
		wake := time.NewTimer(time.Hour)
		wakeOnQueue := queued
		if err := c.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			// The store would not record an attempt (a full disk): a
			// mail sent but not settled is due again, so wait before
			// trying rather than resend it in a loop.
			c.logger().Error("mail courier", "err", err)
			wake.Reset(settleRetry)
			wakeOnQueue = nil // a new mail does not end the pause
		} else if next, ok, err := c.Store.NextMail(); err == nil && ok {
			wake.Reset(max(next.Sub(c.Store.Now()), 0) + 10*time.Millisecond)
		}
		select {
		case <-ctx.Done():
			wake.Stop()
			return nil
		case <-wakeOnQueue:
		case <-wake.C:
		}
		wake.Stop()
	}
}

// DeliverDue tries every mail due now, stopping between messages when
// ctx ends.
func (c *Courier) DeliverDue(ctx context.Context) error {
	for ctx.Err() == nil {
		due, err := c.Store.DueMail(c.Store.Now(), batch)
		if err != nil || len(due) == 0 {
			return err
		}
		for _, m := range due {
			if ctx.Err() != nil {
				return nil
			}
			if err := c.deliver(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// deliver makes one attempt at m and records its outcome.
func (c *Courier) deliver(m model.Message) error {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	// Its own deadline, not the server's context: a shutdown lets the
	// message in flight finish.
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	sendErr := c.Mail.Send(ctx, m)
	cancel()
	now := c.Store.Now()
	settled, err := c.Store.SettleMail(m.ID, func(m *model.Message) {
		if sendErr == nil {
			m.Delivered(now)
			return
		}
		m.Failed(now, sendErr.Error(), permanent(sendErr))
	})
	if errors.Is(err, model.ErrConflict) {
		return nil // settled meanwhile by another courier
	}
	if err != nil {
		return err
	}
	state := string(settled.State)
	if settled.State == model.MailQueued {
		state = "retried"
	}
	c.Metrics.Mail(state)
	if sendErr != nil {
		c.logger().Warn("mail not delivered", "to", m.To, "attempt", settled.Attempts, "state", settled.State, "err", sendErr)
	}
	return nil
}

// permanent reports whether the relay refused for good (an SMTP 5xx):
// trying again would get the same answer.
func permanent(err error) bool {
	var tp *textproto.Error
	return errors.As(err, &tp) && tp.Code >= 500
}

func (c *Courier) logger() *log.Logger {
	if c.Log == nil {
		return log.Default()
	}
	return c.Log
}
