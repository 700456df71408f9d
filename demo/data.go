package demo

import (
	"fmt"
	"time"

	"selfserve/model"
	"selfserve/store"
)

// Size says how much filler data to build around the stories.
type Size struct {
	Directories int // small unmanaged directories
	BigUsers    int // users of the one large directory
	// Users, when more than 0, is the total wanted instead: the large
	// directory gets what the stories and the small ones leave.
	Users int
}

// DefaultSize is what `selfserve demo` builds.
var DefaultSize = Size{Directories: 3000, BigUsers: 120_000}

// The story's people, for the README and tests.
const (
	Dan          = "Dan@BellowsCollege.com"
	ContosoAdmin = "admin@contoso.com"
	Bellows      = "bellowscollege.com"
	Contoso      = "contoso.com"
	ContosoUK    = "contoso.co.uk"
	BigDomain    = "woodgrovebank.com"
)

var (
	firstNames = []string{"ada", "ben", "chloe", "dev", "emma", "farid", "grace", "hugo", "ines", "jon", "kai", "lena", "mo", "nina", "omar", "pia", "quinn", "ravi", "sara", "tom", "uma", "vic", "wen", "yara", "zoe"}
	lastNames  = []string{"adams", "brown", "chen", "diaz", "evans", "fischer", "garcia", "hall", "ito", "jones", "khan", "lopez", "moore", "nguyen", "okafor", "patel", "quist", "rossi", "smith", "tanaka"}
	// Filler names sort after the stories' domains, so the console opens
	// with Bellows College and Contoso on the first screen.
	orgWords = []string{"datum", "fabrikam", "firstup", "fourthcoffee", "graphicdesign", "humongous", "lamna", "litware", "lucerne", "margie", "northwind", "proseware", "relecloud", "southridge", "tailspin", "treyresearch", "vanarsdel", "wideworld", "wingtip", "woodgrove"}
	tlds     = []string{"com", "net", "org", "edu", "io", "co.uk", "de", "fr"}
)

// person makes the i-th distinct address at domain.
func person(i int, domain string) string {
	f := firstNames[i%len(firstNames)]
	l := lastNames[(i/len(firstNames))%len(lastNames)]
	n := i / (len(firstNames) * len(lastNames))
	if n == 0 {
		return fmt.Sprintf("%s.%s@%s", f, l, domain)
	}
	return fmt.Sprintf("%s.%s%d@%s", f, l, n, domain)
}

// Build fills an empty store with the demo and returns what it made.
func Build(st *store.Store, size Size) (Summary, error) {
	now := st.Now().UTC()
	l := st.NewLoader()
	sum := Summary{}
	on := model.Switches{AllowEmailVerifiedUsers: true, AllowAdHocSubscriptions: true}
	// Every directory was created by its first sign-up, demoAge ago; the
	// others joined in the hours since (issue 11 point 9: no user older
	// than their directory).
	created := now.Add(-demoAge)
	joined := 0
	addDir := func(id, domain string, state model.State, admins []string) {
		l.Directory(model.Directory{ID: id, Name: domain, State: state, Domains: []string{domain}, GlobalAdmins: admins, Switches: on, CreatedAt: created})
		sum.Directories++
		joined = 0
	}
	uid := 0
	addUser := func(dir, email string, grants ...string) {
		uid++
		at := created
		if joined > 0 {
			at = created.Add(time.Duration(1+uid%(int(demoAge/time.Hour)-1)) * time.Hour)
		}
		joined++
		l.User(model.User{ID: fmt.Sprintf("%016x", uid), Email: email, Directory: dir, Kind: model.Member,
			CreationMethod: model.EmailVerified, Grants: grants, CreatedAt: at})
		sum.Users++
	}

	addDir("bellows0001", Bellows, model.Unmanaged, nil)
	addUser("bellows0001", Dan, "rms")
	for i := 0; i < 320; i++ {
		if i%5 == 0 {
			addUser("bellows0001", person(i, Bellows), "rms", "sharepoint")
		} else {
			addUser("bellows0001", person(i, Bellows), "rms")
		}
	}
	addDir("contoso00001", Contoso, model.Managed, []string{ContosoAdmin})
	addUser("contoso00001", ContosoAdmin, "exchange", "sharepoint")
	for i := 0; i < 60; i++ {
		addUser("contoso00001", person(i, Contoso), "exchange", "sharepoint")
	}
	addDir("contosouk001", ContosoUK, model.Unmanaged, nil)
	for i := 0; i < 48; i++ {
		grants := []string{"rms"}
		if i%4 == 0 {
			grants = append(grants, "sharepoint")
		}
		if i%8 == 1 {
			grants = append(grants, "powerbi")
		}
		addUser("contosouk001", person(i, ContosoUK), grants...)
	}
	for i := 0; i < size.Directories; i++ {
		domain := fmt.Sprintf("%s%d.%s", orgWords[i%len(orgWords)], i/len(orgWords)+1, tlds[(i/len(orgWords))%len(tlds)])
		id := fmt.Sprintf("filler%06d", i)
		addDir(id, domain, model.Unmanaged, nil)
		for j := 0; j < 1+i%7; j++ {
			addUser(id, person(j, domain), "rms")
		}
	}
	big := size.BigUsers
	if size.Users > 0 {
		big = max(0, size.Users-sum.Users)
	}
	addDir("woodgrove001", BigDomain, model.Unmanaged, nil)
	for i := 0; i < big; i++ {
		addUser("woodgrove001", person(i, BigDomain), "rms")
	}
	return sum, l.Flush()
}

// demoAge is how long ago the demo's directories were created.
const demoAge = 90 * 24 * time.Hour

// Summary counts what Build made.
type Summary struct {
	Directories int `json:"directories"`
	Users       int `json:"users"`
}
