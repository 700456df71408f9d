package model

import (
	"slices"
	"time"
)

// State is a directory's lifecycle state.
type State string

const (
	Unmanaged State = "unmanaged"
	Managed   State = "managed"
	// Retired: merged into another directory by an external takeover; kept
	// read-only for RetentionAfterMerge, then purged.
	Retired State = "retired"
)

// RetentionAfterMerge is how long a retired directory stays readable.
const RetentionAfterMerge = 10 * 24 * time.Hour

// Directory is a tenant.
type Directory struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	State        State     `json:"state"`
	Domains      []string  `json:"domains"`
	GlobalAdmins []string  `json:"globalAdmins,omitempty"` // address keys
	Switches     Switches  `json:"switches"`
	CreatedAt    time.Time `json:"createdAt"`
	// Job is set while a takeover moves users out of this directory;
	// sign-ups for it get ErrTryAgain until it is done.
	Job        string    `json:"job,omitempty"`
	RetiredAt  time.Time `json:"retiredAt,omitzero"`
	MergedInto string    `json:"mergedInto,omitempty"`
}

// IsAdmin reports whether key is a global admin of d.
func (d Directory) IsAdmin(key string) bool { return slices.Contains(d.GlobalAdmins, key) }

// DomainRecord says which directory holds a domain and how it was proven.
type DomainRecord struct {
	Domain     string    `json:"domain"`
	Directory  string    `json:"directory"`
	Verified   bool      `json:"verified"`
	VerifiedAt time.Time `json:"verifiedAt,omitzero"`
	// Proof is how ownership was shown: "dns-txt", "dns-mx", or
	// "parent:example.com" for a subdomain of a verified domain.
	Proof string `json:"proof,omitempty"`
	// Record is the challenge record that proved it; it must stay
	// published, and re-checks look for it.
	Record    *RecordSpec `json:"record,omitempty"`
	CheckedAt time.Time   `json:"checkedAt,omitzero"`
	// Flagged: a re-check no longer found Record. The domain stays
	// verified (never silently dropped) until an admin acts.
	Flagged    bool      `json:"flagged,omitempty"`
	FlaggedAt  time.Time `json:"flaggedAt,omitzero"`
	FlagReason string    `json:"flagReason,omitempty"`
}

// CreationMethod records how a user came to be.
type CreationMethod string

const (
	EmailVerified CreationMethod = "EmailVerified"
	Invited       CreationMethod = "Invitation"
)

// UserKind is member or guest (B2B).
type UserKind string

const (
	Member UserKind = "member"
	Guest  UserKind = "guest"
)

// User is a user object in one directory.
type User struct {
	ID             string         `json:"id"`
	Email          string         `json:"email"` // display form; the key is its lower-cased form
	Directory      string         `json:"directory"`
	Kind           UserKind       `json:"kind"`
	CreationMethod CreationMethod `json:"creationMethod"`
	Grants         []string       `json:"grants"` // services, sorted
	CreatedAt      time.Time      `json:"createdAt"`
	// HomeUser links a guest to the member it stands for, when one exists.
	HomeUser string `json:"homeUser,omitempty"`
	// FormerID is the user's id in the directory it was merged from.
	FormerID string `json:"formerId,omitempty"`
}

// HasGrant reports whether u may use service.
func (u User) HasGrant(service string) bool { return slices.Contains(u.Grants, service) }

// WithGrant returns u's grants with service added, sorted.
func (u User) WithGrant(service string) []string {
	if u.HasGrant(service) {
		return u.Grants
	}
	g := append(slices.Clone(u.Grants), service)
	slices.Sort(g)
	return g
}

// JobState is the life of a takeover job.
type JobState string

const (
	JobRunning JobState = "running"
	JobDone    JobState = "done"
)

// Job is a journaled external takeover: users move in batches after
// Cursor, and opening the database finishes any job still running.
type Job struct {
	ID     string      `json:"id"`
	Source string      `json:"source"`
	Target string      `json:"target"`
	Domain string      `json:"domain"`
	Admin  string      `json:"admin"`
	By     string      `json:"by,omitempty"` // who started it for Admin, when someone else (the operator)
	Proof  string      `json:"proof"`
	Record *RecordSpec `json:"record,omitempty"`
	Force  bool        `json:"force"`
	// Services is the catalogue as it stood when the job started: the
	// admin agreed to the preview made from it, so an operator's later
	// change must not alter what the remaining batches do.
	Services   map[string]Service `json:"services"`
	Cursor     string             `json:"cursor"` // last moved address key
	Total      int                `json:"total"`
	Moved      int                `json:"moved"`
	Dropped    int                `json:"dropped"` // grants dropped by force
	State      JobState           `json:"state"`
	StartedAt  time.Time          `json:"startedAt"`
	FinishedAt time.Time          `json:"finishedAt,omitzero"`
	// Lease says which store runs the job, until when unless it renews
	// (each batch does), and how many times it changed hands: with
	// several servers on one database, one runs a job and another
	// resumes it only once the lease ran out (issue 13 point 3).
	Lease Lease `json:"lease,omitzero"`
}

// Lease is a claim on work that one of several servers must do alone.
// Fence grows each time the lease changes hands, so a holder that
// stalled past Until and lost it finds out at its next write.
type Lease struct {
	Owner string    `json:"owner,omitempty"`
	Fence uint64    `json:"fence,omitempty"`
	Until time.Time `json:"until,omitzero"`
}

// MappingStatus is what an external takeover did with one grant.
type MappingStatus string

const (
	Mapped         MappingStatus = "mapped"          // remap: keeps working
	NeedsMigration MappingStatus = "needs-migration" // migrate: admin action needed
	Dropped        MappingStatus = "dropped"         // block, forced: access lost
)

// Mapping is one users-to-resources mapping written by an external takeover.
type Mapping struct {
	Email   string        `json:"email"`
	Service string        `json:"service"`
	OldUser string        `json:"oldUser"`
	NewUser string        `json:"newUser"`
	OldDir  string        `json:"oldDirectory"`
	NewDir  string        `json:"newDirectory"`
	Status  MappingStatus `json:"status"`
	Job     string        `json:"job"`
}

// MappingFor classifies a grant by the service's policy.
func MappingFor(s Service, known bool) MappingStatus {
	switch {
	case !known || s.Takeover == Block:
		return Dropped
	case s.Takeover == Migrate:
		return NeedsMigration
	}
	return Mapped
}

// AuditEntry is one line of the append-only audit log.
type AuditEntry struct {
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`
	As     string    `json:"as,omitempty"` // whose name Actor used, when someone else's: the operator taking over for dan@…
	Action string    `json:"action"`
	Target string    `json:"target"`
	Before any       `json:"before,omitempty"`
	After  any       `json:"after,omitempty"`
}
