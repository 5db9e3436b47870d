package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/coverage-orchestrator/coverage/workflows"
)

// TestContractorKeyLiterals: the contractor's idempotency key per platform, written out as SPEC
// §3 gives them (remote-contractor-<id>, workmarket-worker-<id>, upwork-freelancer-<id>,
// jobdiva-candidate-<id>, the id as the platform sends it), with each platform's source
// contractor id from vendors.md's examples (Remote: the employment id; WorkMarket:
// active_resource.id; Upwork: freelancer.id; JobDiva: CANDIDATEID).
func TestContractorKeyLiterals(t *testing.T) {
	for _, tc := range []struct{ vendor, source, want string }{
		{"remote", "2614f814-b08e-4c8e-8c4d-ddbcc4692d99", "remote-contractor-2614f814-b08e-4c8e-8c4d-ddbcc4692d99"},
		{"workmarket", "98765432", "workmarket-worker-98765432"},
		{"upwork", "~01abc2def3", "upwork-freelancer-~01abc2def3"},
		{"jobdiva", "456", "jobdiva-candidate-456"},
	} {
		assert.Equal(t, tc.want, workflows.ContractorKey(tc.vendor, tc.source), tc.vendor)
	}
}
