package ops

import (
	"context"
	"fmt"
	"strings"
	"time"

	"selfserve/dnscheck"
	"selfserve/model"
	"selfserve/ops/metrics"
	"selfserve/store"
)

// Console runs operations against one open store.
type Console struct {
	Store *store.Store
	// Mail delivers codes and invitations; nil keeps them in the outbox.
	Mail Mailer
	// Queue writes mail queued for a Courier (which delivers through
	// Mail) in the transaction that issues it, instead of sending it
	// after the commit: the server's way, so no crash loses a mail.
	Queue bool
	// DNS is the checker used by Verify; its Server may be overridden per
	// call.
	DNS dnscheck.Checker
	// PollStart is the first pause of `verify --wait` (0: 5 seconds).
	PollStart time.Duration
	// SignupURL is the sign-up page a code is typed into, when one is
	// served; the code mail names it instead of the command.
	SignupURL string
	// Metrics counts what is done (nil: nothing is counted).
	Metrics *metrics.Metrics
}

// SignupStart checks that email may sign up for service and sends it a
// one-time code, or a mail saying why it may not when telling the caller
// would tell whether the address is a member (store.StartSignupMail).
func (c *Console) SignupStart(ctx context.Context, email, service string) (model.Message, error) {
	msg, err := c.signupStart(ctx, email, service)
	c.Metrics.Signup("start", SignupReason(err, true))
	return msg, err
}

func (c *Console) signupStart(ctx context.Context, email, service string) (model.Message, error) {
	addr, err := model.ParseAddress(email)
	if err != nil {
		return model.Message{}, err
	}
	service = strings.ToLower(strings.TrimSpace(service))
	mail := store.SignupMail{
		Code: func(code string) model.Message {
			body := fmt.Sprintf("Your code is %s. It works once, for %d minutes.\n", code, int(model.CodeTTL/time.Minute))
			if len(code) > model.CodeDigits {
				body += fmt.Sprintf("It is longer than usual because many wrong codes were tried for %s lately.\n", addr.Domain)
			}
			return model.Message{
				Time: c.Store.Now().UTC(), To: addr.String(), State: c.newMailState(),
				Subject: fmt.Sprintf("Your %s sign-up code: %s", service, code),
				Body:    body + c.confirmWith(addr, code),
			}
		},
		Refused: func(reason error) model.Message {
			return model.Message{
				Time: c.Store.Now().UTC(), To: addr.String(), State: c.newMailState(),
				Subject: fmt.Sprintf("Your %s sign-up is not allowed", service),
				Body: fmt.Sprintf("Someone, probably you, asked to sign up %s for %s. No code was sent: %s\n\n"+
					"If that was not you, nothing needs doing; nothing was changed.\n",
					addr, service, whyNoCode(reason)),
			}
		},
	}
	msg, err := c.Store.StartSignupMail(addr, service, c.Mail == nil || c.Queue, mail)
	if err != nil || c.Mail == nil || c.Queue {
		if err == nil {
			c.Metrics.Mail(c.mailFate())
		}
		return msg, err
	}
	if err := c.Mail.Send(ctx, msg); err != nil {
		return msg, fmt.Errorf("the code mail to %s was %w (%w)", addr, ErrNotSent, err)
	}
	return msg, nil
}

// newMailState is how a mail is written: queued for the courier, or
// kept for the operator when there is no relay.
func (c *Console) newMailState() model.MailState {
	if c.Queue {
		return model.MailQueued
	}
	return model.MailKept
}

// mailFate names, for the metrics, what became of a mail just written.
func (c *Console) mailFate() string {
	if c.Queue {
		return "queued"
	}
	return "kept"
}

// confirmWith tells the mail's reader where the code goes: the page they
// came from, when one is served, else the command.
func (c *Console) confirmWith(addr model.Address, code string) string {
	if c.SignupURL != "" {
		return fmt.Sprintf("\nType it on the sign-up page: %s\n", c.SignupURL)
	}
	return fmt.Sprintf("\nConfirm with:\n  selfserve signup verify %s --code %s\n", addr, code)
}

// SignupVerify confirms a code and applies the sign-up.
func (c *Console) SignupVerify(email, code string) (store.SignupResult, error) {
	res, err := c.signupVerify(email, code)
	reason := SignupReason(err, false)
	c.Metrics.Signup("verify", reason)
	if reason == ReasonCode {
		c.Metrics.CodeFailed()
	}
	return res, err
}

func (c *Console) signupVerify(email, code string) (store.SignupResult, error) {
	addr, err := model.ParseAddress(email)
	if err != nil {
		return store.SignupResult{}, err
	}
	return c.Store.VerifySignup(addr, code)
}

// Challenge issues (or repeats) the DNS challenge for an admin, as the
// operator: the command line names the admin with --as, and the audit
// log says the operator acted for them (issue 11 point 6).
func (c *Console) Challenge(domain, admin string, mode model.ChallengeMode, into string) (store.ChallengeResult, error) {
	return c.challenge(Viewer{}, domain, admin, mode, into)
}

// challenge is Challenge made by by.
func (c *Console) challenge(by Viewer, domain, admin string, mode model.ChallengeMode, into string) (store.ChallengeResult, error) {
	claim, err := parseClaim(by, domain, admin, into)
	if err != nil {
		return store.ChallengeResult{}, err
	}
	return c.Store.IssueChallenge(claim, mode)
}

// parseClaim reads the claim by makes for admin.
func parseClaim(by Viewer, domain, admin, into string) (store.Claim, error) {
	d, err := model.ParseDomain(domain)
	if err != nil {
		return store.Claim{}, err
	}
	a, err := model.ParseAddress(admin)
	if err != nil {
		return store.Claim{}, err
	}
	return store.Claim{Domain: d, Admin: a, Into: into, By: by.Actor()}, nil
}

// Invite sends a B2B invitation from a managed directory.
func (c *Console) Invite(ctx context.Context, email, from, admin string) (store.InviteResult, error) {
	invitee, err := model.ParseAddress(email)
	if err != nil {
		return store.InviteResult{}, err
	}
	a, err := model.ParseAddress(admin)
	if err != nil {
		return store.InviteResult{}, err
	}
	compose := func(res store.InviteResult) model.Message {
		return model.Message{Time: c.Store.Now().UTC(), To: invitee.String(), State: c.newMailState(),
			Subject: fmt.Sprintf("%s invited you as a guest", a),
			Body:    fmt.Sprintf("%s invited you to directory %s as a guest (%s).\n", a, from, res.Outcome)}
	}
	var send func(model.Message) error
	if c.Mail != nil && !c.Queue {
		send = func(m model.Message) error {
			if err := c.Mail.Send(ctx, m); err != nil {
				return fmt.Errorf("the invitation mail to %s was %w (%w); nothing was saved", invitee, ErrNotSent, err)
			}
			return nil
		}
	}
	return c.Store.Invite(from, a, invitee, compose, send)
}
