package store

import (
	"fmt"
	"testing"
	"time"

	"selfserve/model"
)

// A directory's counters are read by walking the keys under its counter;
// another directory whose id begins with this one's is not counted in.
func TestCountersOfDirectoriesWhoseIDsShareABeginning(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	now := time.Now().UTC()
	on := model.Switches{AllowEmailVerifiedUsers: true, AllowAdHocSubscriptions: true}
	l := s.NewLoader()
	for id, n := range map[string]int{"d1": 2, "d10": 5} {
		dom := id + ".example"
		l.Directory(model.Directory{ID: id, Name: dom, State: model.Unmanaged, Domains: []string{dom}, Switches: on, CreatedAt: now})
		for u := range n {
			l.User(model.User{ID: fmt.Sprintf("%s-%d", id, u), Email: fmt.Sprintf("u%d@%s", u, dom), Directory: id,
				Kind: model.Member, CreationMethod: model.EmailVerified, Grants: []string{"rms"}, CreatedAt: now})
		}
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	// Sign-ups add to shards of both.
	mustSignup(t, s, "new@d1.example", "rms")
	mustSignup(t, s, "new@d10.example", "rms")
	for id, want := range map[string]int64{"d1": 3, "d10": 6} {
		sum, err := s.Summary(id)
		if err != nil || sum.Users != want || sum.Grants["rms"] != want {
			t.Errorf("%s: %d users, %d rms grants (%v), want %d", id, sum.Users, sum.Grants["rms"], err, want)
		}
	}
	checkInvariants(t, s)
}
