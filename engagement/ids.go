package engagement

import "strings"

// Workflow ids: every id this service gives a workflow is built here.

// engagementPrefix starts every engagement workflow ID.
const engagementPrefix = "engagement:"

// WorkflowID is engagement:<vendor>:<engagement id>.
func WorkflowID(vendor, engagementID string) string {
	return engagementPrefix + vendor + ":" + engagementID
}

// ParseWorkflowID splits an engagement workflow ID.
func ParseWorkflowID(id string) (vendor, engagementID string, ok bool) {
	rest, found := strings.CutPrefix(id, engagementPrefix)
	if !found {
		return "", "", false
	}
	vendor, engagementID, ok = strings.Cut(rest, ":")
	return vendor, engagementID, ok && vendor != "" && engagementID != ""
}

// ContractorWorkflowID is the per-contractor coordinator that lets one engagement at a time
// send a new contractor through an application session.
func ContractorWorkflowID(policyContractorID string) string {
	return "contractor:" + policyContractorID
}

// PolicyEventWorkflowID is the durable routing step for one 1099Policy event.
func PolicyEventWorkflowID(eventID string) string { return "policy-event:" + eventID }

// BackfillWorkflowID is one backfill of a platform; the request id (the Idempotency-Key, or
// a fresh one) makes a resent request the same backfill.
func BackfillWorkflowID(vendor, requestID string) string {
	return "backfill:" + vendor + ":" + requestID
}

// PollerWorkflowID is the scheduled poll of one platform.
func PollerWorkflowID(vendor string) string { return "poll:" + vendor }

// PolicyEventsPollerWorkflowID is the schedule (and its runs' workflow ID) that reads
// 1099Policy's events list.
const PolicyEventsPollerWorkflowID = "poll:1099policy"
