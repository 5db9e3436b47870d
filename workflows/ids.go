package workflows

import (
	"fmt"
	"strings"
)

// Workflow-ID helpers: every ID this service uses is built here.

// EngagementWorkflowID is engagement:<vendor>:<engagement id>.
func EngagementWorkflowID(vendor, engagementID string) string {
	return "engagement:" + vendor + ":" + engagementID
}

// ParseEngagementWorkflowID splits an engagement workflow ID.
func ParseEngagementWorkflowID(id string) (vendor, engagementID string, ok bool) {
	rest, found := strings.CutPrefix(id, "engagement:")
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

// contractorKeyPrefix is the guides' idempotency-key prefix per platform.
var contractorKeyPrefix = map[string]string{
	"remote":     "remote-contractor-",
	"workmarket": "workmarket-worker-",
	"upwork":     "upwork-freelancer-",
	"jobdiva":    "jobdiva-candidate-",
}

// ContractorKey is the idempotency key for creating a platform's contractor, exactly as the
// guides show it (the source id as the platform sends it).
func ContractorKey(vendor, sourceContractorID string) string {
	prefix, ok := contractorKeyPrefix[vendor]
	if !ok {
		prefix = vendor + "-contractor-"
	}
	return prefix + sourceContractorID
}

// stepKey is the idempotency key of one step of one engagement: the workflow ID, the step
// (with its counter, e.g. "quote-2") and the key generation (bumped by an operator retry, so a
// refused request stored under the old key is not replayed).
func stepKey(workflowID, step string, generation int) string {
	return fmt.Sprintf("%s/%s/g%d", workflowID, step, generation)
}
