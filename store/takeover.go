package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"selfserve/model"
	"selfserve/store/engine"
)

// proof names how ownership was shown, for the domain record and audit,
// and returns the record that must stay published. checkProof has made
// sure one of the two is there.
func proof(p PendingProof) (string, *model.RecordSpec) {
	if p.ParentProof != "" || p.Challenge == nil {
		return "parent:" + p.ParentProof, nil
	}
	rec := p.Challenge.Record()
	return "dns-" + string(p.Challenge.Mode), &rec
}

// Preview computes the external takeover's impact on the directory now
// holding domain, naming every user a forced takeover cuts off.
func (s *Store) Preview(domain string) (model.Impact, error) {
	var im model.Impact
	err := s.view(func(txn engine.Txn) error {
		var err error
		im, err = preview(txn, domain, true)
		return err
	})
	return im, err
}

// preview computes the impact from counters; with names it also walks the
// directory to list who a forced takeover cuts off.
func preview(txn engine.Txn, domain string, names bool) (model.Impact, error) {
	rec, err := domainRecord(txn, domain)
	if err != nil || rec == nil {
		return model.Impact{}, err
	}
	d, err := directory(txn, rec.Directory)
	if err != nil {
		return model.Impact{}, err
	}
	sum, err := summary(txn, d)
	if err != nil {
		return model.Impact{}, err
	}
	cat, err := catalogue(txn)
	if err != nil {
		return model.Impact{}, err
	}
	grants := map[string]int{}
	for svc, n := range sum.Grants {
		grants[svc] = int(n)
	}
	im := model.PlanImpact(int(sum.Users), grants, cat)
	if len(im.Blocking) == 0 || !names {
		return im, nil
	}
	err = scan(txn, userPrefix(d.ID), nil, func(k, v []byte) (bool, error) {
		var u model.User
		if err := decode(k, v, &u); err != nil {
			return false, err
		}
		if _, dropped := model.MoveGrants(u.Grants, cat); len(dropped) > 0 {
			im.LosingAccess = append(im.LosingAccess, u.Email)
		}
		return true, nil
	})
	return im, err
}

// TakeOverInternal makes the unmanaged directory holding the domain
// managed with the admin as its global admin, in one transaction.
func (s *Store) TakeOverInternal(c Claim, p PendingProof) (model.Directory, error) {
	var d model.Directory
	err := s.update(func(txn engine.Txn) error {
		sc, err := authorize(txn, c)
		if err != nil {
			return err
		}
		if sc.Kind != model.Internal {
			return fmt.Errorf("%w: the challenge for %s was issued for an external takeover", model.ErrConflict, c.Domain)
		}
		if err := s.checkProof(txn, c, sc, p); err != nil {
			return err
		}
		if sc.Source.Job != "" {
			return fmt.Errorf("%w: a takeover of %s is already running", model.ErrTakeoverRunning, sc.Source.Name)
		}
		before := *sc.Source
		d = *sc.Source
		d.State = model.Managed
		d.GlobalAdmins = append(slices.Clone(d.GlobalAdmins), c.Admin.Key())
		if err := put(txn, dirKey(d.ID), d); err != nil {
			return err
		}
		name, rec := proof(p)
		if err := s.verifyDomain(txn, c.Domain, d.ID, name, rec); err != nil {
			return err
		}
		return s.auditClaim(txn, c, model.ActionTakeoverInt, d.ID, before, d)
	})
	return d, err
}

func (s *Store) verifyDomain(txn engine.Txn, domain, dir, proof string, rec *model.RecordSpec) error {
	now := s.Now().UTC()
	return put(txn, domainKey(domain), model.DomainRecord{
		Domain: domain, Directory: dir, Verified: true, VerifiedAt: now, CheckedAt: now, Proof: proof, Record: rec,
	})
}

// ExternalResult is what an external takeover did.
type ExternalResult struct {
	Job    model.Job       `json:"job"`
	Impact model.Impact    `json:"impact"`
	Target model.Directory `json:"target"`
}

// TakeOverExternal merges the directory holding the domain into the
// admin's managed directory. The work is a journaled job: this call
// starts it and runs it to the end; a crash leaves it for Open to finish.
func (s *Store) TakeOverExternal(c Claim, p PendingProof, force bool, onBatch func(model.Job)) (ExternalResult, error) {
	var res ExternalResult
	var added bool
	err := s.update(func(txn engine.Txn) error {
		res, added = ExternalResult{}, false
		sc, err := authorize(txn, c)
		if err != nil {
			return err
		}
		if sc.Kind != model.External {
			return fmt.Errorf("%w: the challenge for %s was issued for an internal takeover", model.ErrConflict, c.Domain)
		}
		if err := s.checkProof(txn, c, sc, p); err != nil {
			return err
		}
		res.Target = *sc.Target
		if sc.Source == nil {
			// Nobody signed up from the domain: a plain domain addition.
			added = true
			m := *sc.Target
			m.Domains = append(slices.Clone(m.Domains), c.Domain)
			if err := put(txn, dirKey(m.ID), m); err != nil {
				return err
			}
			name, rec := proof(p)
			if err := s.verifyDomain(txn, c.Domain, m.ID, name, rec); err != nil {
				return err
			}
			res.Target = m
			return s.auditClaim(txn, c, model.ActionDomainAdd, m.ID, nil, c.Domain)
		}
		if sc.Source.Job != "" {
			return fmt.Errorf("%w: a takeover of %s is already running", model.ErrTakeoverRunning, sc.Source.Name)
		}
		// Counts only: the names were shown by the caller's preview, and a
		// million-user walk has no place in this transaction.
		if res.Impact, err = preview(txn, c.Domain, false); err != nil {
			return err
		}
		if err := res.Impact.CheckForce(force); err != nil {
			return err
		}
		id, err := s.newID(8)
		if err != nil {
			return err
		}
		cat, err := catalogue(txn)
		if err != nil {
			return err
		}
		name, rec := proof(p)
		job := model.Job{ID: id, Source: sc.Source.ID, Target: sc.Target.ID, Domain: c.Domain, Admin: c.Admin.Key(), By: c.By,
			Proof: name, Record: rec, Force: force, Services: cat, Total: res.Impact.Users, State: model.JobRunning, StartedAt: s.Now().UTC(),
			Lease: model.Lease{Owner: s.owner, Fence: 1, Until: s.Now().Add(s.jobLease()).UTC()}}
		src := *sc.Source
		src.Job = id
		if err := put(txn, dirKey(src.ID), src); err != nil {
			return err
		}
		if err := put(txn, jobKey(id), job); err != nil {
			return err
		}
		res.Job = job
		return s.auditClaim(txn, c, model.ActionTakeoverStart, id, nil, map[string]any{"job": job, "impact": res.Impact})
	})
	if err != nil || added {
		return res, err
	}
	if res.Job, err = s.runJob(res.Job.ID, 1, onBatch); err != nil {
		return res, err
	}
	res.Target, err = s.Directory(res.Target.ID)
	return res, err
}

// JobLease is how long a takeover job stays with the server running it
// after its last batch: another server resumes it only once that ran out
// (a batch takes milliseconds, so only a dead or stalled server loses it).
const JobLease = 30 * time.Second

func (s *Store) jobLease() time.Duration {
	if s.opts.JobLease > 0 {
		return s.opts.JobLease
	}
	return JobLease
}

// ResumeJobs finishes every takeover job a crash left running, and on a
// database server every job whose server stopped renewing its lease.
func (s *Store) ResumeJobs() error {
	var running []string
	err := s.view(func(txn engine.Txn) error {
		return scan(txn, []byte(pJob), nil, func(k, v []byte) (bool, error) {
			var j model.Job
			if err := decode(k, v, &j); err != nil {
				return false, err
			}
			if j.State == model.JobRunning {
				running = append(running, j.ID)
			}
			return true, nil
		})
	})
	for _, id := range running {
		if err != nil {
			break
		}
		var fence uint64
		var ours bool
		if fence, ours, err = s.claimJob(id); ours && err == nil {
			_, err = s.runJob(id, fence, nil)
		}
		if errors.Is(err, errLeaseLost) {
			err = nil // another server took it over meanwhile
		}
	}
	if err != nil {
		return fmt.Errorf("finishing an interrupted takeover: %w", err)
	}
	return nil
}

// ResumeOrphanedJobs finishes, on a database server, the takeover jobs
// whose server stopped renewing their lease (it died); servers call it
// every JobLease/3. A directory's only process resumes its jobs at open.
func (s *Store) ResumeOrphanedJobs() error {
	if s.exclusive() {
		return nil
	}
	return s.ResumeJobs()
}

// claimJob takes a running job's lease when it is free or run out; ours
// says whether this store now runs it, with the fence to run it under.
func (s *Store) claimJob(id string) (fence uint64, ours bool, err error) {
	err = s.update(func(txn engine.Txn) error {
		var job model.Job
		found, err := get(txn, jobKey(id), &job)
		if err != nil || !found || job.State != model.JobRunning {
			ours = false
			return err
		}
		if s.exclusive() {
			fence, ours = job.Lease.Fence, true
			return nil
		}
		now := s.Now()
		if job.Lease.Owner == s.owner {
			if !now.After(job.Lease.Until) {
				ours = false // running in this process already
				return nil
			}
			// This process's run stopped (a database error ended it) or
			// stalled: taken anew under a new fence, so a stalled run
			// stops, since this may be the only server to resume it.
			job.Lease.Owner = ""
		}
		if ours = claim(&job.Lease, s.owner, now, s.jobLease()); !ours {
			return nil
		}
		fence = job.Lease.Fence
		return put(txn, jobKey(id), job)
	})
	return fence, ours, err
}

// runJob moves the job's users a batch per transaction until it is done.
// Each batch renews the lease and first checks that this store still
// holds it with fence: one that stalled past the lease stops rather than
// race the server that resumed the job.
func (s *Store) runJob(id string, fence uint64, onBatch func(model.Job)) (model.Job, error) {
	size := s.opts.BatchSize
	for {
		var job model.Job
		err := s.update(func(txn engine.Txn) error {
			found, err := get(txn, jobKey(id), &job)
			if err != nil {
				return err
			}
			if !found {
				return fmt.Errorf("%w: no takeover job %s", model.ErrNotFound, id)
			}
			if job.State == model.JobDone {
				return nil
			}
			if !s.exclusive() {
				if err := holds(job.Lease, s.owner, fence); err != nil {
					return err
				}
				job.Lease.Until = s.Now().Add(s.jobLease()).UTC()
			}
			moved, err := s.moveBatch(txn, &job, size)
			if err != nil {
				return err
			}
			if moved == 0 {
				return s.finishJob(txn, &job)
			}
			return put(txn, jobKey(id), job)
		})
		if errors.Is(err, engine.ErrTooBig) && size > 1 {
			size /= 2
			continue
		}
		if err != nil || job.State == model.JobDone {
			return job, err
		}
		for _, hook := range []func(model.Job){s.opts.AfterBatch, onBatch} {
			if hook != nil {
				hook(job)
			}
		}
	}
}

func newUserID(job, old string) string {
	sum := sha256.Sum256([]byte(job + "/" + old))
	return hex.EncodeToString(sum[:8])
}

func (s *Store) moveBatch(txn engine.Txn, job *model.Job, size int) (int, error) {
	cat := job.Services
	var from []byte
	if job.Cursor != "" {
		from = after(userKey(job.Source, job.Cursor))
	}
	prefix := userPrefix(job.Source)
	var batch []model.User
	var keys []string
	err := scan(txn, prefix, from, func(k, v []byte) (bool, error) {
		var u model.User
		if err := decode(k, v, &u); err != nil {
			return false, err
		}
		batch = append(batch, u)
		keys = append(keys, string(k[len(prefix):]))
		return len(batch) < size, nil
	})
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	// A guest of the target with a mover's address is the same person:
	// the member takes its place and keeps its grants too. All of the
	// batch's are read at once, one round trip to a database server.
	targets := make([][]byte, len(batch))
	for i := range batch {
		targets[i] = userKey(job.Target, keys[i])
	}
	guests, err := txn.GetMany(targets)
	if err != nil {
		return 0, err
	}
	// Grant counters change by service on both sides; summed per batch so
	// each counter is written once.
	fromDelta, toDelta := map[string]int64{}, map[string]int64{}
	for i, u := range batch {
		addrKey := keys[i]
		kept, dropped := model.MoveGrants(u.Grants, cat)
		nu := model.User{ID: newUserID(job.ID, u.ID), Email: u.Email, Directory: job.Target, Kind: model.Member,
			CreationMethod: u.CreationMethod, Grants: kept, CreatedAt: u.CreatedAt, FormerID: u.ID}
		var guest model.User
		hadGuest := guests[i] != nil
		if hadGuest {
			if err := decode(targets[i], guests[i], &guest); err != nil {
				return 0, err
			}
		}
		for _, g := range guest.Grants {
			nu.Grants = nu.WithGrant(g)
		}
		for _, g := range u.Grants {
			svc, known := cat[g]
			m := model.Mapping{Email: u.Email, Service: g, OldUser: u.ID, NewUser: nu.ID, OldDir: job.Source,
				NewDir: job.Target, Status: model.MappingFor(svc, known), Job: job.ID}
			if err := put(txn, append(mappingPrefix(job.Target, addrKey), g...), m); err != nil {
				return 0, err
			}
			fromDelta[g]--
		}
		for _, g := range kept {
			if !guest.HasGrant(g) {
				toDelta[g]++
			}
		}
		if err := put(txn, userKey(job.Target, addrKey), nu); err != nil {
			return 0, err
		}
		if err := txn.Delete(userKey(job.Source, addrKey)); err != nil {
			return 0, err
		}
		if hadGuest {
			// The guest already counted as a user of the target.
			if err := addCount(txn, userCountKey(job.Target), -1); err != nil {
				return 0, err
			}
		}
		job.Dropped += len(dropped)
	}
	for dir, delta := range map[string]map[string]int64{job.Source: fromDelta, job.Target: toDelta} {
		for g, n := range delta {
			if err := addCount(txn, grantCountKey(dir, g), n); err != nil {
				return 0, err
			}
		}
	}
	n := int64(len(batch))
	if err := addCount(txn, userCountKey(job.Source), -n); err != nil {
		return 0, err
	}
	if err := addCount(txn, userCountKey(job.Target), n); err != nil {
		return 0, err
	}
	job.Cursor = keys[len(keys)-1]
	job.Moved += len(batch)
	actor, as := model.Acting(job.By, job.Admin)
	return len(batch), s.auditAs(txn, actor, as, model.ActionTakeoverBatch, job.ID, nil,
		map[string]any{"moved": len(batch), "first": batch[0].Email, "last": batch[len(batch)-1].Email})
}

func (s *Store) finishJob(txn engine.Txn, job *model.Job) error {
	src, err := directory(txn, job.Source)
	if err != nil {
		return err
	}
	dst, err := directory(txn, job.Target)
	if err != nil {
		return err
	}
	now := s.Now().UTC()
	before := src
	src.State, src.MergedInto, src.RetiredAt, src.Job = model.Retired, dst.ID, now, ""
	dst.Domains = append(slices.Clone(dst.Domains), job.Domain)
	if err := put(txn, dirKey(src.ID), src); err != nil {
		return err
	}
	if err := foldCounters(txn, src.ID); err != nil {
		return err
	}
	if err := put(txn, dirKey(dst.ID), dst); err != nil {
		return err
	}
	if err := s.verifyDomain(txn, job.Domain, dst.ID, job.Proof, job.Record); err != nil {
		return err
	}
	if err := txn.Set(retiredKey(now.Add(model.RetentionAfterMerge).UnixNano(), src.ID), nil); err != nil {
		return err
	}
	job.State, job.FinishedAt = model.JobDone, now
	if err := put(txn, jobKey(job.ID), *job); err != nil {
		return err
	}
	actor, as := model.Acting(job.By, job.Admin)
	return s.auditAs(txn, actor, as, model.ActionTakeoverExt, src.ID, before, map[string]any{"source": src, "target": dst, "job": job})
}

// purgeRetired deletes retired directories past their retention. Their
// users moved out long ago; the mappings stay, since services use them.
func (s *Store) purgeRetired() (int, error) {
	now := s.Now().UnixNano()
	var due [][]byte
	err := s.view(func(txn engine.Txn) error {
		return scan(txn, []byte(pRetired), nil, func(k, _ []byte) (bool, error) {
			if string(k) >= string(timeKey(pRetired, now, nil)) {
				return false, nil
			}
			due = append(due, k)
			return true, nil
		})
	})
	n := 0
	for _, k := range due {
		if err != nil {
			break
		}
		n++
		dir := string(k[len(pRetired)+8:])
		err = s.update(func(txn engine.Txn) error {
			if err := txn.Delete(dirKey(dir)); err != nil {
				return err
			}
			if err := txn.Delete(k); err != nil {
				return err
			}
			return s.audit(txn, model.Operator, model.ActionDirectoryPurge, dir, nil, nil)
		})
	}
	return n, err
}
