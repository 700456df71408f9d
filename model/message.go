package model

import "time"

// MailState is where a mail is on its way out.
type MailState string

const (
	// MailKept: no relay is configured; the mail waits in the outbox for
	// the operator to read (the demo, a laptop).
	MailKept MailState = ""
	// MailQueued: the courier has yet to deliver it, or will try again.
	MailQueued MailState = "queued"
	// MailSent: a relay took it.
	MailSent MailState = "sent"
	// MailFailed: the relay refused it for good, or every attempt failed.
	MailFailed MailState = "failed"
)

// Message is a mail selfserve sends: a code, a refusal, an invitation.
// It is written in the transaction that issues what it carries, so a
// crash never leaves a code without its mail.
type Message struct {
	// ID names it in the outbox (set when read back).
	ID      string    `json:"id,omitempty"`
	Time    time.Time `json:"time"`
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`

	State    MailState `json:"state,omitempty"`
	Attempts int       `json:"attempts,omitempty"`
	// Next is when the courier tries a queued mail (again).
	Next      time.Time `json:"next,omitzero"`
	LastError string    `json:"lastError,omitempty"`
	SentAt    time.Time `json:"sentAt,omitzero"`
}

// Delivery limits: a mail is tried for about eight hours (a relay down
// for a night loses no code mail that still matters: codes last
// CodeTTL, but invitations do not expire).
const (
	MailMaxAttempts = 12
	mailFirstRetry  = 30 * time.Second
	mailMaxRetry    = 2 * time.Hour
)

// MailRetryAfter is the pause before attempt n+1, after n failed ones:
// doubling from 30 s, at most two hours.
func MailRetryAfter(n int) time.Duration {
	d := mailFirstRetry
	for i := 1; i < n && d < mailMaxRetry; i++ {
		d *= 2
	}
	return min(d, mailMaxRetry)
}

// Failed records a failed attempt at now: queued again after the
// back-off, or failed for good when permanent (the relay refused it) or
// out of attempts.
func (m *Message) Failed(now time.Time, reason string, permanent bool) {
	m.Attempts++
	m.LastError = reason
	if permanent || m.Attempts >= MailMaxAttempts {
		m.State, m.Next = MailFailed, time.Time{}
		return
	}
	m.State, m.Next = MailQueued, now.Add(MailRetryAfter(m.Attempts))
}

// Delivered records that a relay took the mail at now.
func (m *Message) Delivered(now time.Time) {
	m.Attempts++
	m.State, m.SentAt, m.Next, m.LastError = MailSent, now, time.Time{}, ""
}
