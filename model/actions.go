package model

// Operator is the operator's name in the audit log: the actor of the
// local console, of the command line without --as, and of what the
// service does by itself (re-checks, purges).
const Operator = "operator"

// The audit log's actions, one name for each kind of change. They are
// stored in every entry, so a name never changes once written.
const (
	ActionDirectoryCreate = "directory.create"
	ActionDirectoryPurge  = "directory.purge"
	ActionUserCreate      = "user.create"
	ActionUserGrant       = "user.grant"
	ActionUserMember      = "user.member" // an invited guest's home membership
	ActionInvite          = "invite"
	ActionSettingsChange  = "settings.change"
	ActionSettingsDefault = "settings.defaults"
	ActionConfigDNS       = "config.dns"
	ActionServicePut      = "service.put"
	ActionConsumerAdd     = "consumer-domain.add"
	ActionConsumerRemove  = "consumer-domain.remove"
	ActionChallengeIssue  = "challenge.issue"
	ActionDomainAdd       = "domain.add" // a domain with no directory added to a managed one
	ActionTakeoverInt     = "takeover.internal"
	ActionTakeoverStart   = "takeover.start"
	ActionTakeoverBatch   = "takeover.batch"
	ActionTakeoverExt     = "takeover.external"
)

// The audit actions that record a DNS check: the entry's After holds
// what each server answered (PRODUCT.md §3: "the audit log records which
// server answered what"); a re-check's holds it under "check".
const (
	ActionCheck         = "domain.check"
	ActionRecheck       = "domain.recheck"
	ActionRecheckFailed = "domain.recheck-failed"
	ActionFlagged       = "domain.flagged"
	ActionUnflagged     = "domain.unflagged"
)

// IsRecheck reports whether action records a periodic re-check.
func IsRecheck(action string) bool {
	switch action {
	case ActionRecheck, ActionRecheckFailed, ActionFlagged, ActionUnflagged:
		return true
	}
	return false
}
