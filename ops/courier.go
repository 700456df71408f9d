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

// courierLease is how long one server's courier keeps the mail after its
// last pass: with several servers on one database, one delivers (a mail
// sent twice is what two couriers reading one queue would do), and
// another takes over once a dead one's lease runs out.
const courierLease = time.Minute

// errNotCourier says another server's courier holds the mail.
var errNotCourier = errors.New("another server delivers the mail")

// Run delivers until ctx ends: what is due now, then whenever a mail is
// queued (the store's change feed says so) or a retry falls due. A
// message being sent when ctx ends is finished, not cut off.
func (c *Courier) Run(ctx context.Context) error {
	w, err := c.Store.Watch()
	if err != nil {
		return err
	}
	defer w.Close()
	queued, leased := make(chan struct{}, 1), make(chan struct{}, 1)
	go func() {
		for {
			ch, err := w.Next(ctx)
			if err != nil {
				return
			}
			for _, c := range []struct {
				yes bool
				to  chan struct{}
			}{{ch.Outbox, queued}, {ch.Leases, leased}} {
				if c.yes {
					select {
					case c.to <- struct{}{}:
					default:
					}
				}
			}
		}
	}()
	for {
		wake := time.NewTimer(time.Hour)
		wakeOnQueue, wakeOnLease := queued, (chan struct{})(nil)
		err := c.DeliverDue(ctx)
		if errors.Is(err, errNotCourier) {
			// Try again when a lease changes (the holder stopping gives
			// it up) or once the holder's could have run out (it died);
			// the holder hears of new mail too.
			wake.Reset(courierLease / 2)
			wakeOnQueue, wakeOnLease = nil, leased
		} else if err != nil && ctx.Err() == nil {
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
			// Another server's courier may take the mail at once.
			return c.Store.DropLease("courier")
		case <-wakeOnQueue:
		case <-wakeOnLease:
		case <-wake.C:
		}
		wake.Stop()
	}
}

// DeliverDue tries every mail due now, a pass of up to batch at a time,
// stopping between messages when ctx ends; each pass's outcomes are
// recorded in one transaction. Each message first takes or renews the
// courier's lease, so a pass longer than the lease (a slow relay) keeps
// it, and a server that lost it (stalled) stops: errNotCourier while
// another server holds it.
func (c *Courier) DeliverDue(ctx context.Context) error {
	for ctx.Err() == nil {
		held, err := c.Store.TakeLease("courier", courierLease)
		if err != nil {
			return err
		}
		if !held {
			return errNotCourier
		}
		due, err := c.Store.DueMail(c.Store.Now(), batch)
		if err != nil || len(due) == 0 {
			return err
		}
		sent := map[string]error{}
		var ids []string
		for i, m := range due {
			if ctx.Err() != nil {
				break
			}
			if i > 0 {
				if held, err = c.Store.TakeLease("courier", courierLease); err != nil || !held {
					break
				}
			}
			sent[m.ID] = c.send(m)
			ids = append(ids, m.ID)
		}
		if err := errors.Join(c.settle(ids, sent), err); err != nil {
			return err
		}
		if !held {
			return errNotCourier
		}
	}
	return nil
}

// send makes one attempt at m, under its own deadline rather than the
// server's context: a shutdown lets the message in flight finish.
func (c *Courier) send(m model.Message) error {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return c.Mail.Send(ctx, m)
}

// settle records the outcomes of a pass.
func (c *Courier) settle(ids []string, sent map[string]error) error {
	if len(ids) == 0 {
		return nil
	}
	now := c.Store.Now()
	settled, err := c.Store.SettleMail(ids, func(id string, m *model.Message) {
		if err := sent[id]; err != nil {
			m.Failed(now, err.Error(), permanent(err))
			return
		}
		m.Delivered(now)
	})
	if err != nil {
		return err
	}
	for _, m := range settled {
		state := string(m.State)
		if m.State == model.MailQueued {
			state = "retried"
		}
		c.Metrics.Mail(state)
		if err := sent[m.ID]; err != nil {
			c.logger().Warn("mail not delivered", "to", m.To, "attempt", m.Attempts, "state", m.State, "err", err)
		}
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
