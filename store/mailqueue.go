package store

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"selfserve/model"
	"selfserve/store/engine"
)

// pMailDue indexes queued mail by when the courier tries it next:
// mq/<next nanos BE><message key tail> → nothing. Only queued mail has
// an entry, so the courier's scan never walks the sent ones.
const pMailDue = "mq/"

// keepMessage writes a mail to the outbox in txn (the transaction that
// issues what it carries), indexed for the courier when queued.
func (s *Store) keepMessage(txn engine.Txn, m model.Message) error {
	tail := make([]byte, 8)
	if _, err := io.ReadFull(s.rand, tail); err != nil {
		return err
	}
	k := timeKey(pOutbox, m.Time.UnixNano(), tail)
	if m.State == model.MailQueued && m.Next.IsZero() {
		m.Next = m.Time
	}
	return saveMessage(txn, k, m)
}

// saveMessage writes m at k with its due entry, if queued.
func saveMessage(txn engine.Txn, k []byte, m model.Message) error {
	m.ID = ""
	if err := put(txn, k, m); err != nil {
		return err
	}
	if m.State != model.MailQueued {
		return nil
	}
	return txn.Set(dueKey(m.Next, k), nil)
}

func dueKey(next time.Time, msgKey []byte) []byte {
	return timeKey(pMailDue, next.UnixNano(), msgKey[len(pOutbox):])
}

func messageID(k []byte) string { return hex.EncodeToString(k[len(pOutbox):]) }

func messageKey(id string) ([]byte, error) {
	tail, err := hex.DecodeString(id)
	if err != nil || len(tail) != 16 {
		return nil, fmt.Errorf("%w: no message %q", model.ErrNotFound, id)
	}
	return append([]byte(pOutbox), tail...), nil
}

// DueMail lists up to limit queued mails whose time has come at now,
// the longest-waiting first.
func (s *Store) DueMail(now time.Time, limit int) ([]model.Message, error) {
	var out []model.Message
	err := s.view(func(txn engine.Txn) error {
		return scan(txn, []byte(pMailDue), nil, func(k, _ []byte) (bool, error) {
			if len(out) >= limit || int64(binary.BigEndian.Uint64(k[len(pMailDue):])) > now.UnixNano() {
				return false, nil
			}
			mk := append([]byte(pOutbox), k[len(pMailDue)+8:]...)
			var m model.Message
			found, err := get(txn, mk, &m)
			if err != nil || !found {
				return false, err
			}
			m.ID = messageID(mk)
			out = append(out, m)
			return true, nil
		})
	})
	return out, err
}

// NextMail is when the next queued mail is due (false: none is queued).
func (s *Store) NextMail() (time.Time, bool, error) {
	var next time.Time
	var ok bool
	err := s.view(func(txn engine.Txn) error {
		return scan(txn, []byte(pMailDue), nil, func(k, _ []byte) (bool, error) {
			next, ok = time.Unix(0, int64(binary.BigEndian.Uint64(k[len(pMailDue):]))), true
			return false, nil
		})
	})
	return next, ok, err
}

// SettleMail records what became of attempts at queued mails, all in
// one transaction (a courier settles a pass of deliveries at once: one
// durable write instead of one per mail). change gets each id's message
// as stored and sets its new state (sent, queued again, failed). A mail
// no longer queued (another courier settled it) is left alone and not
// returned.
func (s *Store) SettleMail(ids []string, change func(id string, m *model.Message)) ([]model.Message, error) {
	keys := make([][]byte, len(ids))
	for i, id := range ids {
		k, err := messageKey(id)
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	var out []model.Message
	err := s.update(func(txn engine.Txn) error {
		out = out[:0]
		for i, k := range keys {
			var m model.Message
			found, err := get(txn, k, &m)
			if err != nil {
				return err
			}
			if !found || m.State != model.MailQueued {
				continue
			}
			if err := txn.Delete(dueKey(m.Next, k)); err != nil {
				return err
			}
			change(ids[i], &m)
			if err := saveMessage(txn, k, m); err != nil {
				return err
			}
			m.ID = ids[i]
			out = append(out, m)
		}
		return nil
	})
	return out, err
}
