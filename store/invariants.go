package store

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"selfserve/model"
	"selfserve/store/engine"
)

// CheckInvariants walks the whole database and reports every broken rule:
// a member in two directories or outside the directory holding its
// domain, users of a missing or retired directory, a domain held by a
// directory that does not list it or listed by two, counters that
// disagree with the records, a mapping that does not match the user and
// job it names, or a takeover job left running or not fully recorded in
// the audit log. It holds for any database, including one filled by the
// Loader. Tests and the torture run use it after every crash.
func (s *Store) CheckInvariants() error {
	var p problems
	err := s.view(func(txn engine.Txn) error {
		w, err := readWorld(txn)
		if err != nil {
			return err
		}
		checkDomainRecords(w, p.bad)
		checkDirectories(w, p.bad)
		tally, err := checkUserRecords(txn, w, p.bad)
		if err != nil {
			return err
		}
		if err := checkUserCounters(txn, w, tally.users, p.bad); err != nil {
			return err
		}
		if err := checkGrantCounters(txn, tally.grants, p.bad); err != nil {
			return err
		}
		dropped, err := checkMappings(txn, w.jobs, p.bad)
		if err != nil {
			return err
		}
		trail, err := readJobTrail(txn)
		if err != nil {
			return err
		}
		for _, id := range slices.Sorted(maps.Keys(w.jobs)) {
			checkJob(w.jobs[id], w, tally.movedBy[id], dropped[id], trail, p.bad)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return p.err("broken invariants")
}

// problems collects what the checks find, so one run reports them all.
type problems []string

func (p *problems) bad(f string, a ...any) { *p = append(*p, fmt.Sprintf(f, a...)) }

func (p problems) err(what string) error {
	if len(p) == 0 {
		return nil
	}
	return fmt.Errorf("%d %s:\n  %s", len(p), what, strings.Join(p, "\n  "))
}

// world is what the checks look things up in: every directory, takeover
// job and domain record, by id or name.
type world struct {
	dirs    map[string]model.Directory
	jobs    map[string]model.Job
	domains map[string]model.DomainRecord
}

func readWorld(txn engine.Txn) (world, error) {
	w := world{dirs: map[string]model.Directory{}, domains: map[string]model.DomainRecord{}}
	if err := each(txn, pDirectory, func(_ []byte, d model.Directory) error {
		w.dirs[d.ID] = d
		return nil
	}); err != nil {
		return w, err
	}
	if err := each(txn, pDomain, func(_ []byte, r model.DomainRecord) error {
		w.domains[r.Domain] = r
		return nil
	}); err != nil {
		return w, err
	}
	var err error
	w.jobs, err = readJobs(txn)
	return w, err
}

// checkDomainRecords: a domain record must point at a live directory
// that lists the domain.
func checkDomainRecords(w world, bad func(string, ...any)) {
	for _, name := range slices.Sorted(maps.Keys(w.domains)) {
		r := w.domains[name]
		d, ok := w.dirs[r.Directory]
		switch {
		case !ok || !slices.Contains(d.Domains, r.Domain):
			bad("domain %s points at directory %s, which does not list it", r.Domain, r.Directory)
		case d.State == model.Retired:
			bad("domain %s belongs to retired directory %s, which was merged into %s", r.Domain, r.Directory, d.MergedInto)
		}
	}
}

// userTally is what the walk over the users counts, for the counters and
// the jobs to be checked against.
type userTally struct {
	users   map[string]int64 // directory id → users
	grants  map[string]int64 // directory id/service → users holding it
	movedBy map[string]int   // job id → users it moved
}

// checkUserRecords checks each user against its directory and its domain, and
// counts them.
func checkUserRecords(txn engine.Txn, w world, bad func(string, ...any)) (userTally, error) {
	t := userTally{users: map[string]int64{}, grants: map[string]int64{}, movedBy: map[string]int{}}
	memberOf := map[string]string{}
	err := each(txn, pUser, func(k []byte, u model.User) error {
		dir, addr, _ := strings.Cut(string(k[len(pUser):]), "/")
		d, ok := w.dirs[dir]
		switch {
		case !ok:
			bad("user %s is in missing directory %s", addr, dir)
		case d.State == model.Retired:
			bad("user %s is still in retired directory %s", addr, dir)
		}
		if u.Directory != dir {
			bad("user %s is stored under %s but says %s", addr, dir, u.Directory)
		}
		if u.Kind == model.Member {
			checkMember(w, memberOf, dir, addr, bad)
		}
		if u.FormerID != "" {
			if j, ok := movedFrom(w.jobs, u); ok {
				t.movedBy[j.ID]++
			} else {
				bad("user %s of %s has former id %s, but no takeover job into %s moved it", addr, dir, u.FormerID, dir)
			}
		}
		t.users[dir]++
		for _, g := range u.Grants {
			t.grants[dir+"/"+g]++
		}
		return nil
	})
	return t, err
}

// checkMember: a member is in one directory, the one holding its domain.
// Sign-up and takeover both keep it there; elsewhere it is lost to its
// admins.
func checkMember(w world, memberOf map[string]string, dir, addr string, bad func(string, ...any)) {
	if other, dup := memberOf[addr]; dup {
		bad("member %s is in two directories: %s and %s", addr, other, dir)
	}
	memberOf[addr] = dir
	domain := addr[strings.LastIndexByte(addr, '@')+1:]
	if r, ok := w.domains[domain]; !ok {
		bad("member %s is in directory %s, but no directory holds %s", addr, dir, domain)
	} else if r.Directory != dir {
		bad("member %s is in directory %s, but %s belongs to %s", addr, dir, domain, r.Directory)
	}
}

// checkUserCounters compares each directory's user counter with the users
// it holds. Counters are walked, not looked up by directory, so that a
// counter left behind by a directory that is gone is seen too. Each sums
// its shards (counters.go).
func checkUserCounters(txn engine.Txn, w world, users map[string]int64, bad func(string, ...any)) error {
	counted, err := sumCounters(txn, []byte(pUserCount))
	if err != nil {
		return err
	}
	for _, id := range slices.Sorted(maps.Keys(counted)) {
		n := counted[id]
		if _, ok := w.dirs[id]; !ok {
			bad("user counter %s is %d, but there is no directory %s", id, n, id)
		} else if n != users[id] {
			bad("directory %s counts %d users but holds %d", id, n, users[id])
		}
	}
	// Users of a missing directory are reported one by one by checkUserRecords.
	for _, id := range slices.Sorted(maps.Keys(users)) {
		if _, counted := counted[id]; !counted {
			if _, ok := w.dirs[id]; ok {
				bad("directory %s counts 0 users but holds %d", id, users[id])
			}
		}
	}
	return nil
}

// checkGrantCounters compares each grant counter with the users holding
// the grant.
func checkGrantCounters(txn engine.Txn, grants map[string]int64, bad func(string, ...any)) error {
	counted, err := sumCounters(txn, []byte(pGrantCnt))
	if err != nil {
		return err
	}
	for _, dg := range slices.Sorted(maps.Keys(counted)) {
		if n := counted[dg]; n != grants[dg] {
			bad("grant counter %s is %d but users hold %d", dg, n, grants[dg])
		}
	}
	for _, dg := range slices.Sorted(maps.Keys(grants)) {
		if _, ok := counted[dg]; !ok {
			bad("grant %s is held by %d users but has no counter", dg, grants[dg])
		}
	}
	return nil
}

// readJobs reads every takeover job, by id.
func readJobs(txn engine.Txn) (map[string]model.Job, error) {
	jobs := map[string]model.Job{}
	err := each(txn, pJob, func(_ []byte, j model.Job) error {
		jobs[j.ID] = j
		return nil
	})
	return jobs, err
}

// checkDirectories looks at the directory side of the domain records: a
// domain listed by two live directories, or listed by one that the record
// does not name, is claimed twice. A retired directory keeps its list as
// a record of what it held, so it is left out.
func checkDirectories(w world, bad func(string, ...any)) {
	listedBy := map[string]string{}
	for _, id := range slices.Sorted(maps.Keys(w.dirs)) {
		d := w.dirs[id]
		if d.Job != "" {
			// A stale mark refuses every sign-up to the directory forever.
			if j, ok := w.jobs[d.Job]; !ok || j.State != model.JobRunning || j.Source != id {
				bad("directory %s is marked as being taken over by job %s, which is not a running takeover of it", id, d.Job)
			}
		}
		if d.State == model.Retired {
			continue
		}
		for _, dom := range d.Domains {
			if other, dup := listedBy[dom]; dup {
				bad("domain %s is listed by two directories: %s and %s", dom, other, id)
			}
			listedBy[dom] = id
			if r, ok := w.domains[dom]; !ok {
				bad("directory %s lists domain %s, which has no domain record", id, dom)
			} else if r.Directory != id {
				bad("directory %s lists domain %s, which belongs to %s", id, dom, r.Directory)
			}
		}
	}
}

// movedFrom finds the job that moved u into its directory: a moved user's
// id is derived from the job and its former id (newUserID).
func movedFrom(jobs map[string]model.Job, u model.User) (model.Job, bool) {
	for _, j := range jobs {
		if j.Target == u.Directory && newUserID(j.ID, u.FormerID) == u.ID {
			return j, true
		}
	}
	return model.Job{}, false
}

// checkMappings checks every users-to-resources mapping against the user
// and the job it names: a grant the service still needs must still be
// held, and its status must follow the catalogue the job started with. It
// returns the dropped grants per job.
func checkMappings(txn engine.Txn, jobs map[string]model.Job, bad func(string, ...any)) (map[string]int, error) {
	dropped := map[string]int{}
	err := each(txn, pMapping, func(k []byte, m model.Mapping) error {
		dir, rest, _ := strings.Cut(string(k[len(pMapping):]), "/")
		addr, svc, _ := strings.Cut(rest, sep)
		if m.NewDir != dir || m.Service != svc {
			bad("mapping %s/%s (%s) says it is for %s in %s", dir, addr, svc, m.Service, m.NewDir)
		}
		var u model.User
		found, err := get(txn, userKey(dir, addr), &u)
		if err != nil {
			return err
		}
		if !found || u.ID != m.NewUser {
			bad("mapping of %s (%s) names user %s in %s, who is not there", addr, svc, m.NewUser, dir)
		}
		j, ok := jobs[m.Job]
		if !ok {
			bad("mapping of %s (%s) was written by takeover job %s, which does not exist", addr, svc, m.Job)
			return nil
		}
		if j.Source != m.OldDir || j.Target != dir || newUserID(j.ID, m.OldUser) != m.NewUser {
			bad("mapping of %s (%s) does not match its job %s (%s → %s)", addr, svc, j.ID, j.Source, j.Target)
		}
		policy, known := j.Services[svc]
		if want := model.MappingFor(policy, known); m.Status != want {
			bad("mapping of %s (%s) is %s, but the catalogue job %s started with says %s", addr, svc, m.Status, j.ID, want)
		}
		if m.Status == model.Dropped {
			dropped[j.ID]++
		} else if found && !u.HasGrant(svc) {
			bad("grant %s of %s was carried over by job %s (%s), but the user no longer holds it", svc, addr, j.ID, m.Status)
		}
		return nil
	})
	return dropped, err
}

// auditHead is an audit entry with its after-value left undecoded, so
// walking a long log does not build a map for every entry.
type auditHead struct {
	Action string          `json:"action"`
	Target string          `json:"target"`
	After  json.RawMessage `json:"after"`
}

// checkJob: a job must be done once the database is open, account for
// every user it moved and every grant it dropped, and be in the audit log
// from start to finish (each batch's entry is written with the batch).
func checkJob(j model.Job, w world, moved, dropped int, tr jobTrail, bad func(string, ...any)) {
	if j.State != model.JobDone {
		bad("takeover job %s is still %s", j.ID, j.State)
	}
	if moved != j.Moved {
		bad("takeover job %s moved %d users, but %d users of %s came from it", j.ID, j.Moved, moved, j.Target)
	}
	if dropped != j.Dropped {
		bad("takeover job %s counts %d dropped grants, but %d mappings say dropped", j.ID, j.Dropped, dropped)
	}
	if !j.Force && j.Dropped > 0 {
		bad("takeover job %s was not forced, yet dropped %d grants", j.ID, j.Dropped)
	}
	if !tr.started[j.ID] {
		bad("takeover job %s has no takeover.start audit entry", j.ID)
	}
	if tr.moved[j.ID] != j.Moved {
		bad("takeover job %s moved %d users, but its takeover.batch audit entries say %d", j.ID, j.Moved, tr.moved[j.ID])
	}
	if j.State != model.JobDone {
		return
	}
	if !tr.finished[j.Source] {
		bad("takeover job %s is done, but no takeover.external audit entry records it", j.ID)
	}
	// A purged source is gone, which is fine; a present one must say where
	// it went.
	if src, ok := w.dirs[j.Source]; ok && (src.State != model.Retired || src.MergedInto != j.Target) {
		bad("takeover job %s is done, but its source %s is %s (merged into %q)", j.ID, j.Source, src.State, src.MergedInto)
	}
	if r, ok := w.domains[j.Domain]; !ok || r.Directory != j.Target || !r.Verified {
		bad("takeover job %s is done, but domain %s is not verified in %s", j.ID, j.Domain, j.Target)
	}
}

// jobTrail is what the audit log says of the takeover jobs.
type jobTrail struct {
	started  map[string]bool // job id
	moved    map[string]int  // job id → users its batches moved
	finished map[string]bool // source directory id
}

// readJobTrail decodes each entry's after-value only for the actions that
// need it, and only the fields they need: the log is the longest thing in
// the database.
func readJobTrail(txn engine.Txn) (jobTrail, error) {
	tr := jobTrail{started: map[string]bool{}, moved: map[string]int{}, finished: map[string]bool{}}
	err := each(txn, pAudit, func(k []byte, e auditHead) error {
		switch e.Action {
		case model.ActionTakeoverStart:
			tr.started[e.Target] = true
		case model.ActionTakeoverBatch:
			var b struct {
				Moved int `json:"moved"`
			}
			if err := decode(k, e.After, &b); err != nil {
				return err
			}
			tr.moved[e.Target] += b.Moved
		case model.ActionTakeoverExt:
			tr.finished[e.Target] = true
		}
		return nil
	})
	return tr, err
}
