package store

import (
	"errors"
	"fmt"

	"selfserve/model"
	"selfserve/store/engine"
)

// SignupDecision is what a sign-up would do right now.
type SignupDecision struct {
	Directory *model.Directory // nil: a new unmanaged directory is created
	User      *model.User      // the existing member, if any
	Scenario  model.Scenario
	Outcome   model.Outcome
}

// decideSignup applies PRODUCT.md §3 rules 2, 4, 5 and 6 to addr signing up
// for svc. It is run when the code is asked for and again when it is
// confirmed, since an admin may flip a switch in between.
func (s *Store) decideSignup(txn engine.Txn, addr model.Address, svc model.Service) (SignupDecision, error) {
	consumer, err := consumerDomains(txn)
	if err != nil {
		return SignupDecision{}, err
	}
	if consumer.Contains(addr.Domain) {
		return SignupDecision{}, fmt.Errorf("%w: %s is a %w", model.ErrRefused, addr.Domain, model.ErrConsumerDomain)
	}
	if model.IsPublicSuffix(addr.Domain) {
		return SignupDecision{}, fmt.Errorf("%w: %s is a %w and cannot have a directory", model.ErrRefused, addr.Domain, model.ErrPublicSuffix)
	}
	rec, err := domainRecord(txn, addr.Domain)
	if err != nil {
		return SignupDecision{}, err
	}
	if rec == nil {
		sw, err := defaultSwitches(txn)
		if err != nil {
			return SignupDecision{}, err
		}
		sc := model.SignupScenario(false, svc.ExemptAdHoc)
		dec := SignupDecision{Scenario: sc, Outcome: model.Decide(sc, sw)}
		if dec.Outcome.Blocked() {
			return dec, model.RefuseSignup("", addr.Domain, dec.Outcome)
		}
		return dec, nil
	}
	d, err := directory(txn, rec.Directory)
	if err != nil {
		return SignupDecision{}, err
	}
	if d.Job != "" {
		return SignupDecision{}, fmt.Errorf("%w: directory %s is being taken over right now", model.ErrTakeoverRunning, d.Name)
	}
	var u model.User
	found, err := get(txn, userKey(d.ID, addr.Key()), &u)
	if err != nil {
		return SignupDecision{}, err
	}
	dec := SignupDecision{Directory: &d}
	if found {
		// A guest here with this address (invited before the domain
		// joined) is the same person: an existing user, made a member.
		dec.User = &u
	}
	dec.Scenario = model.SignupScenario(dec.User != nil, svc.ExemptAdHoc)
	dec.Outcome = model.Decide(dec.Scenario, d.Switches)
	if dec.Outcome.Blocked() {
		return dec, model.RefuseSignup(d.Name, addr.Domain, dec.Outcome)
	}
	return dec, nil
}

// SignupMail composes what StartSignupMail sends: the mail with the code,
// or the mail that says why no code was sent.
type SignupMail struct {
	Code func(code string) model.Message
	// Refused: nil sends nothing when the sign-up would be refused.
	Refused func(reason error) model.Message
}

// StartSignup is StartSignupMail with only a code's mail.
func (s *Store) StartSignup(addr model.Address, serviceName string, keep bool, compose func(code string) model.Message) (model.Message, error) {
	return s.StartSignupMail(addr, serviceName, keep, SignupMail{Code: compose})
}

// StartSignupMail checks that addr may sign up for service, then issues a
// one-time code. With keep, the mail is written to the outbox in the same
// transaction; otherwise the caller delivers msg.
//
// A refusal that depends on whether addr is a member (a switch that
// blocks new users but not existing ones) is not returned: the answer
// would tell anyone whether the address is a member. A void code record
// is written instead, counted like a real one, and the mail tells the
// address's owner why (issue 10 point 12). Refusals that are the same for
// everyone at the domain are returned as they are.
func (s *Store) StartSignupMail(addr model.Address, serviceName string, keep bool, mail SignupMail) (model.Message, error) {
	key, err := s.codeKey()
	if err != nil {
		return model.Message{}, err
	}
	digits, err := s.codeLength(addr.Domain, s.Now())
	if err != nil {
		return model.Message{}, err
	}
	var msg model.Message
	err = s.update(func(txn engine.Txn) error {
		msg = model.Message{}
		svc, err := service(txn, serviceName)
		if err != nil {
			return err
		}
		dec, refusal := s.decideSignup(txn, addr, svc)
		if refusal != nil && !revealsMembership(dec, svc) {
			return refusal
		}
		var prev model.CodeRecord
		found, err := get(txn, codeKey(addr.Key()), &prev)
		if err != nil {
			return err
		}
		var prevp *model.CodeRecord
		if found {
			prevp = &prev
		}
		now := s.Now()
		requests, window, err := model.CheckNewCode(prevp, now)
		if err != nil {
			return err
		}
		code, rec, err := model.NewCode(s.rand, key, addr.String(), svc.Name, digits, now)
		if err != nil {
			return err
		}
		rec.Requests, rec.WindowStart, rec.Void = requests, window, refusal != nil
		if err := put(txn, codeKey(addr.Key()), rec); err != nil {
			return err
		}
		switch {
		case refusal == nil:
			msg = mail.Code(code)
		case mail.Refused != nil:
			msg = mail.Refused(refusal)
		default:
			return nil
		}
		if keep {
			return s.keepMessage(txn, msg)
		}
		return nil
	})
	return msg, err
}

// revealsMembership reports whether refusing dec would tell whether the
// address is a member: whether the decision table would have answered
// otherwise had it been (or not been) one. A new domain has no members.
func revealsMembership(dec SignupDecision, svc model.Service) bool {
	if dec.Directory == nil || !dec.Outcome.Blocked() {
		return false
	}
	other := model.SignupScenario(dec.User == nil, svc.ExemptAdHoc)
	return model.Decide(other, dec.Directory.Switches) != dec.Outcome
}

// SignupResult says what a confirmed sign-up did.
type SignupResult struct {
	Directory        model.Directory `json:"directory"`
	User             model.User      `json:"user"`
	Outcome          model.Outcome   `json:"outcome"`
	CreatedDirectory bool            `json:"createdDirectory"`
	// AlreadyGranted: the user had the service already; nothing changed.
	AlreadyGranted bool `json:"alreadyGranted,omitempty"`
}

// VerifySignup confirms the code and applies the sign-up. A wrong code is
// counted even though the call fails: against the address's code, and
// against the budgets of wrong codes (budget.go). Every way a code can
// fail gets the same answer and the same counting (model.CodeRejected).
func (s *Store) VerifySignup(addr model.Address, code string) (SignupResult, error) {
	var res SignupResult
	key, err := s.codeKey()
	if err != nil {
		return res, err
	}
	var refusal error
	err = s.update(func(txn engine.Txn) error {
		refusal = nil
		now := s.Now()
		if len(code) == model.CodeDigits {
			if err := shortCodesPaused(txn, addr.Domain, now); err != nil {
				return err
			}
		}
		var rec model.CodeRecord
		found, err := get(txn, codeKey(addr.Key()), &rec)
		if err != nil {
			return err
		}
		checked, err := model.CheckCode(rec, key, addr.String(), code, now)
		if err != nil {
			refusal = err
			if found && checked.Attempts != rec.Attempts {
				if err := put(txn, codeKey(addr.Key()), checked); err != nil {
					return err
				}
			}
			return spendBudgets(txn, addr.Domain, now)
		}
		svc, err := service(txn, rec.Service)
		if err != nil {
			return err
		}
		dec, err := s.decideSignup(txn, addr, svc)
		if errors.Is(err, model.ErrTryAgain) {
			// Nothing is spent: the same code works once the takeover ends.
			return err
		}
		// Spent: keep the record only for its request count.
		checked.MAC = ""
		if perr := put(txn, codeKey(addr.Key()), checked); perr != nil {
			return perr
		}
		if model.IsRefusal(err) {
			refusal = err
			return nil
		} else if err != nil {
			return err
		}
		res, err = s.applySignup(txn, addr, svc, dec)
		return err
	})
	if err == nil {
		err = refusal
	}
	return res, err
}

func (s *Store) applySignup(txn engine.Txn, addr model.Address, svc model.Service, dec SignupDecision) (SignupResult, error) {
	res := SignupResult{Outcome: dec.Outcome}
	if dec.Directory == nil {
		d, err := s.createDirectory(txn, addr.Domain, addr.Key())
		if err != nil {
			return res, err
		}
		dec.Directory, res.CreatedDirectory = &d, true
	}
	res.Directory = *dec.Directory
	if dec.User != nil {
		res.AlreadyGranted = dec.User.HasGrant(svc.Name) && dec.User.Kind == model.Member
		u, err := s.grant(txn, *dec.User, addr.Key(), svc.Name, addr.Key())
		res.User = u
		return res, err
	}
	u, err := s.createUser(txn, dec.Directory.ID, addr, model.Member, model.EmailVerified, svc.Name, addr.Key())
	res.User = u
	return res, err
}

// createDirectory makes the unmanaged directory for a domain nobody has
// claimed. Two sign-ups racing for the same new domain both read "absent";
// Badger rejects the second commit and its retry joins the first's.
func (s *Store) createDirectory(txn engine.Txn, domain, actor string) (model.Directory, error) {
	id, err := s.newID(6)
	if err != nil {
		return model.Directory{}, err
	}
	sw, err := defaultSwitches(txn)
	if err != nil {
		return model.Directory{}, err
	}
	d := model.Directory{ID: id, Name: domain, State: model.Unmanaged, Domains: []string{domain}, Switches: sw, CreatedAt: s.Now().UTC()}
	if err := put(txn, dirKey(id), d); err != nil {
		return d, err
	}
	if err := put(txn, domainKey(domain), model.DomainRecord{Domain: domain, Directory: id}); err != nil {
		return d, err
	}
	return d, s.audit(txn, actor, model.ActionDirectoryCreate, id, nil, d)
}

func (s *Store) createUser(txn engine.Txn, dir string, addr model.Address, kind model.UserKind, how model.CreationMethod, svc, actor string) (model.User, error) {
	id, err := s.newID(8)
	if err != nil {
		return model.User{}, err
	}
	u := model.User{ID: id, Email: addr.String(), Directory: dir, Kind: kind, CreationMethod: how, Grants: []string{}, CreatedAt: s.Now().UTC()}
	shard := signupShard()
	if svc != "" {
		u.Grants = []string{svc}
		if err := addShardCount(txn, grantCountKey(dir, svc), shard, 1); err != nil {
			return u, err
		}
	}
	if err := put(txn, userKey(dir, addr.Key()), u); err != nil {
		return u, err
	}
	if err := addShardCount(txn, userCountKey(dir), shard, 1); err != nil {
		return u, err
	}
	return u, s.audit(txn, actor, model.ActionUserCreate, dir+"/"+addr.Key(), nil, u)
}

func (s *Store) grant(txn engine.Txn, u model.User, addrKey, svc, actor string) (model.User, error) {
	if u.HasGrant(svc) && u.Kind == model.Member {
		return u, nil
	}
	before := u
	u.Kind = model.Member
	if !u.HasGrant(svc) {
		u.Grants = u.WithGrant(svc)
		if err := addShardCount(txn, grantCountKey(u.Directory, svc), signupShard(), 1); err != nil {
			return u, err
		}
	}
	if err := put(txn, userKey(u.Directory, addrKey), u); err != nil {
		return u, err
	}
	return u, s.audit(txn, actor, model.ActionUserGrant, u.Directory+"/"+addrKey, before, u)
}
