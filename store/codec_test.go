package store

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"selfserve/model"
	"selfserve/store/engine"
)

// encoding/json reads a time with a +24:00 zone offset but will not write
// one. A record damaged that way reads, so the damage is found when the
// record is written back: the operation must say the database is damaged
// and name the record, and change nothing.
func TestDamageFoundOnWriteBack(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	a := addr(t, "dan@bellowscollege.com")
	if _, err := s.StartSignup(a, "rms", true, func(string) model.Message { return model.Message{} }); err != nil {
		t.Fatal(err)
	}
	k := codeKey(a.Key())
	damaged := []byte(`{"email":"dan@bellowscollege.com","service":"rms","salt":"00","mac":"00",` +
		`"issuedAt":"2030-01-01T00:00:00+24:00","expiresAt":"2030-01-01T00:15:00+24:00","attempts":0}`)
	if err := s.eng.Update(func(txn engine.Txn) error { return txn.Set(k, damaged) }); err != nil {
		t.Fatal(err)
	}
	_, err := s.VerifySignup(a, "123456")
	if !errors.Is(err, errDamaged) || !strings.Contains(err.Error(), fmt.Sprintf("%q", k)) {
		t.Fatalf("verify against a damaged code record = %v, want errDamaged naming %q", err, k)
	}
	var after []byte
	if err := s.eng.View(func(txn engine.Txn) (err error) {
		after, err = txn.Get(k)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if string(after) != string(damaged) {
		t.Errorf("the failed verify changed the record to %s", after)
	}
}
