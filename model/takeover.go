package model

import (
	"fmt"
	"slices"
	"strings"
)

// CheckClaimable refuses domains nobody may claim: public suffixes and
// domains already verified in a managed directory (PRODUCT.md §3).
func CheckClaimable(domain string, rec *DomainRecord, holder *Directory, into string) error {
	if IsPublicSuffix(domain) {
		return fmt.Errorf("%w: %s is a %w; nobody can claim it", ErrRefused, domain, ErrPublicSuffix)
	}
	if rec == nil || holder == nil {
		return nil
	}
	if rec.Verified && holder.State == Managed {
		if holder.ID == into {
			return fmt.Errorf("%w: %s is already verified in your directory %s", ErrConflict, domain, holder.Name)
		}
		return fmt.Errorf("%w: %s is already verified in managed directory %s and cannot be taken over", ErrRefused, domain, holder.Name)
	}
	if holder.State == Retired {
		return fmt.Errorf("%w: %s belongs to retired directory %s", ErrRefused, domain, holder.Name)
	}
	return nil
}

// CheckInternal: only a user of the unmanaged directory may promote it,
// having signed up with an address at the domain (PRODUCT.md §3).
func CheckInternal(u Directory, domain string, admin Address, adminIsMember bool) error {
	if u.State != Unmanaged {
		return fmt.Errorf("%w: directory %s is %s; internal takeover needs an unmanaged directory", ErrRefused, u.Name, u.State)
	}
	if admin.Domain != domain || !adminIsMember {
		return fmt.Errorf("%w: %s is not a user of %s with an address at %s", ErrNotMember, admin, u.Name, domain)
	}
	return nil
}

// CheckExternal: only a global admin of a managed directory may merge a
// domain into it.
func CheckExternal(m Directory, admin Address) error {
	if m.State != Managed {
		return fmt.Errorf("%w: directory %s is %s; an external takeover merges into a managed directory", ErrRefused, m.Name, m.State)
	}
	if !m.IsAdmin(admin.Key()) {
		return fmt.Errorf("%w: %s is not a global admin of %s", ErrForbidden, admin, m.Name)
	}
	return nil
}

// ServiceImpact is the preview line for one service in use.
type ServiceImpact struct {
	Service string         `json:"service"`
	Policy  TakeoverPolicy `json:"policy"`
	Users   int            `json:"users"`
}

// Impact is the external takeover preview: what happens to every grant.
type Impact struct {
	Users    int             `json:"users"`
	Services []ServiceImpact `json:"services"`
	// Blocking names the block-policy services in use; non-empty refuses
	// the takeover unless forced.
	Blocking []string `json:"blocking,omitempty"`
	// LosingAccess lists every user with a grant that a forced takeover
	// drops (the caller fills it, since it needs a scan).
	LosingAccess []string `json:"losingAccess,omitempty"`
}

// PlanImpact builds the preview from per-service grant counts. Services
// missing from the catalogue are treated as block: not knowing whether a
// service survives the move is no reason to break it silently.
func PlanImpact(users int, grants map[string]int, catalogue map[string]Service) Impact {
	im := Impact{Users: users}
	for name, n := range grants {
		if n == 0 {
			continue
		}
		s, ok := catalogue[name]
		p := s.Takeover
		if !ok {
			p = Block
		}
		im.Services = append(im.Services, ServiceImpact{Service: name, Policy: p, Users: n})
		if p == Block {
			im.Blocking = append(im.Blocking, name)
		}
	}
	slices.SortFunc(im.Services, func(a, b ServiceImpact) int {
		if a.Service < b.Service {
			return -1
		}
		if a.Service > b.Service {
			return 1
		}
		return 0
	})
	slices.Sort(im.Blocking)
	return im
}

// CheckForce refuses a takeover that would cut users off unless forced.
func (im Impact) CheckForce(force bool) error {
	if len(im.Blocking) == 0 || force {
		return nil
	}
	return &BlockedMergeError{Services: im.Blocking, LosingAccess: im.LosingAccess}
}

// BlockedMergeError refuses an external takeover because services with
// the block policy are in use; a forced takeover drops their grants.
type BlockedMergeError struct {
	Services     []string // the block-policy services in use
	LosingAccess []string // every user holding one of their grants
}

// shownLosing bounds the names in the message; the whole list is in
// LosingAccess (and in a preview).
const shownLosing = 10

func (e *BlockedMergeError) Error() string {
	who := ""
	if n := len(e.LosingAccess); n > 0 {
		names := e.LosingAccess[:min(n, shownLosing)]
		more := ""
		if n > shownLosing {
			more = fmt.Sprintf(" and %d more", n-shownLosing)
		}
		who = fmt.Sprintf("; %d user(s) would lose access (%s%s)", n, strings.Join(names, ", "), more)
	}
	return fmt.Sprintf("%v: %s cannot follow users through an external takeover%s",
		ErrBlockedByPlan, strings.Join(e.Services, ", "), who)
}

// Unwrap makes the error a refusal of the ErrBlockedByPlan class.
func (e *BlockedMergeError) Unwrap() error { return ErrBlockedByPlan }

// MoveGrants splits a moving user's grants by policy: kept are carried over
// (remap and migrate), dropped are block-policy grants a force removes.
func MoveGrants(grants []string, catalogue map[string]Service) (kept, dropped []string) {
	for _, g := range grants {
		s, ok := catalogue[g]
		if MappingFor(s, ok) == Dropped {
			dropped = append(dropped, g)
		} else {
			kept = append(kept, g)
		}
	}
	return kept, dropped
}
