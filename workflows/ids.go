package workflows

import (
	"fmt"
)

// Workflow-ID helpers: every ID this service uses is built here.

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
