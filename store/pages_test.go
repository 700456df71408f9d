package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"selfserve/model"
)

// pagesStore holds three directories: "big" with users u000..u(n-1) (and
// an upper-case address, stored under its lower-case key), "empty" with
// none, and "zz" sorting after "big", whose users must never leak into a
// page of "big".
func pagesStore(t *testing.T, n int) *Store {
	t.Helper()
	s := openTest(t, t.TempDir(), Options{})
	l := s.NewLoader()
	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, d := range []struct{ id, domain string }{{"big", "big.test"}, {"empty", "empty.test"}, {"zz", "zz.test"}} {
		l.Directory(model.Directory{ID: d.id, Name: d.domain, State: model.Unmanaged, Domains: []string{d.domain}, CreatedAt: created})
	}
	for i := range n {
		local := fmt.Sprintf("u%03d", i)
		if i == 1 {
			local = "U001" // display form keeps its case; the key does not
		}
		l.User(model.User{ID: fmt.Sprint(i), Email: local + "@big.test", Directory: "big", Kind: model.Member,
			CreationMethod: model.EmailVerified, Grants: []string{"rms"}, CreatedAt: created})
	}
	l.User(model.User{ID: "z", Email: "a@zz.test", Directory: "zz", Kind: model.Member, CreationMethod: model.EmailVerified, CreatedAt: created})
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	return s
}

func pageKeys(t *testing.T, users []model.User) []string {
	t.Helper()
	out := []string{}
	for _, u := range users {
		out = append(out, addr(t, u.Email).Key())
	}
	return out
}

func wantUsers(from, to int) []string {
	out := []string{}
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("u%03d@big.test", i))
	}
	return out
}

func TestPagesUsersBefore(t *testing.T) {
	s := pagesStore(t, 50)
	for _, tc := range []struct {
		name, ref, before string
		limit             int
		want              []string
	}{
		{"last page", "big", "", 10, wantUsers(40, 50)},
		{"last page by domain", "big.test", "", 3, wantUsers(47, 50)},
		{"page before a key", "big", "u020@big.test", 5, wantUsers(15, 20)},
		{"before a key that is not stored", "big", "u020", 3, wantUsers(17, 20)},
		{"before the second", "big", "u001@big.test", 10, wantUsers(0, 1)},
		{"before the first", "big", "u000@big.test", 10, wantUsers(0, 0)},
		{"before anything", "big", "a", 10, wantUsers(0, 0)},
		{"after the last", "big", "zzz", 2, wantUsers(48, 50)},
		{"more than there are", "big", "", 100, wantUsers(0, 50)},
		{"empty directory", "empty", "", 10, wantUsers(0, 0)},
		{"empty directory, with key", "empty", "u001@big.test", 10, wantUsers(0, 0)},
		{"zero limit", "big", "", 0, wantUsers(0, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.UsersBefore(tc.ref, tc.before, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if k := pageKeys(t, got); !slices.Equal(k, tc.want) {
				t.Errorf("UsersBefore(%q, %q, %d) = %v, want %v", tc.ref, tc.before, tc.limit, k, tc.want)
			}
		})
	}
}

func TestPagesUsersFrom(t *testing.T) {
	s := pagesStore(t, 50)
	for _, tc := range []struct {
		name, ref, from string
		limit           int
		want            []string
	}{
		{"first page", "big", "", 4, wantUsers(0, 4)},
		{"at a stored key", "big", "u020@big.test", 3, wantUsers(20, 23)},
		{"prefix", "big", "u03", 20, wantUsers(30, 50)},
		{"prefix of the lower-cased key", "big", "u001", 1, wantUsers(1, 2)},
		{"prefix before every key", "big", "a", 2, wantUsers(0, 2)},
		{"prefix beyond every key", "big", "v", 10, wantUsers(0, 0)},
		{"last key", "big", "u049@big.test", 10, wantUsers(49, 50)},
		{"empty directory", "empty", "", 10, wantUsers(0, 0)},
		{"zero limit", "big", "", 0, wantUsers(0, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.UsersFrom(tc.ref, tc.from, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if k := pageKeys(t, got); !slices.Equal(k, tc.want) {
				t.Errorf("UsersFrom(%q, %q, %d) = %v, want %v", tc.ref, tc.from, tc.limit, k, tc.want)
			}
		})
	}
	if got, _ := s.UsersFrom("big", "u001", 1); got[0].Email != "U001@big.test" {
		t.Errorf("display form lost: %q", got[0].Email)
	}
}

// Paging backwards from the end with UsersBefore and forwards with Users
// must visit every user exactly once, in order.
func TestPagesWalkBothWays(t *testing.T) {
	s := pagesStore(t, 23)
	var back []string
	before := ""
	for {
		page, err := s.UsersBefore("big", before, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		back = append(pageKeys(t, page), back...)
		before = back[0]
	}
	if !slices.Equal(back, wantUsers(0, 23)) {
		t.Errorf("backwards walk = %v", back)
	}
}

func TestPagesUnknownDirectory(t *testing.T) {
	s := pagesStore(t, 1)
	if _, err := s.UsersBefore("nope.test", "", 5); err == nil {
		t.Error("UsersBefore of an unknown directory: no error")
	}
	if _, err := s.UsersFrom("nope.test", "", 5); err == nil {
		t.Error("UsersFrom of an unknown directory: no error")
	}
}

func TestPagesDomainsFrom(t *testing.T) {
	s := pagesStore(t, 1)
	for _, tc := range []struct {
		from  string
		limit int
		want  []string
	}{
		{"", 10, []string{"big.test", "empty.test", "zz.test"}},
		{"e", 10, []string{"empty.test", "zz.test"}},
		{"empty.test", 1, []string{"empty.test"}},
		{"c", 1, []string{"empty.test"}}, // nothing starts with c: the next one
		{"zz.test0", 10, []string{}},     // beyond every domain
		{"", 0, []string{}},
	} {
		got, err := s.DomainsFrom(tc.from, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		names := []string{}
		for _, r := range got {
			names = append(names, r.Domain)
		}
		if !slices.Equal(names, tc.want) {
			t.Errorf("DomainsFrom(%q, %d) = %v, want %v", tc.from, tc.limit, names, tc.want)
		}
	}
	got, _ := s.DomainsFrom("zz", 1)
	if len(got) != 1 || got[0].Directory != "zz" {
		t.Errorf("DomainsFrom(zz) = %+v, want the record of directory zz", got)
	}
}

// UserRank counts the users before a key within the directory only: the
// place a console jump landed.
func TestPagesUserRank(t *testing.T) {
	s := pagesStore(t, 50)
	for _, tc := range []struct {
		ref, key string
		want     int64
	}{
		{"big", "", 0},
		{"big", "u000@big.test", 0},
		{"big", "u001@big.test", 1}, // U001's key is lower-case
		{"big.test", "u017@big.test", 17},
		{"big", "u02", 20}, // a prefix, between keys
		{"big", "zzz", 50}, // past the last: the whole directory, not zz's users
		{"empty", "a", 0},
		{"zz", "b", 1},
	} {
		got, err := s.UserRank(context.Background(), tc.ref, tc.key)
		if err != nil || got != tc.want {
			t.Errorf("UserRank(%q, %q) = %d, %v; want %d", tc.ref, tc.key, got, err, tc.want)
		}
	}
	if _, err := s.UserRank(context.Background(), "nowhere", "a"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("UserRank of no directory: %v, want ErrNotFound", err)
	}
}
