package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/coverage-orchestrator/coverage/engagement"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// postKeys lists the idempotency keys of every POST to a 1099Policy path, answered or refused.
func (f *fixture) postKeys(path string) []string {
	var keys []string
	for _, r := range f.sim.Requests() {
		if r.Method == "POST" && r.Path == "/api/v1"+path {
			keys = append(keys, r.Header(pc.HeaderIdempotentKey))
		}
	}
	return keys
}

// An operator retry after a refusal moves the engagement's keys to a new generation: the
// refusal 1099Policy stored under the first key (as it may for a 4xx) is not replayed. The
// keys are <workflow id>/<step>/g<generation> (stepKey's rule; README: "an operator retry
// resumes it (with fresh idempotency keys)"), written out here.
func TestOperatorRetryAfterAStoredRefusalUsesTheNextKeyGeneration(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	f.sim.AddFault(policysim.Fault{PathPrefix: "/api/v1/jobs", Status: 400, Count: 1, Stored: true})
	var parked, retried engagement.Status
	f.at(time.Hour, func() {
		parked = f.status()
		f.operator(engagement.OperatorAction{Action: engagement.ActionRetry, RequestID: "op-retry"})
	})
	f.at(2*time.Hour, func() { retried = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()

	assert.Equal(t, engagement.StatusNeedsAttention, parked.CoverageStatus, causes(parked))
	assert.Contains(t, parked.AttentionReason, "create job")
	assert.Equal(t, []string{"engagement:remote:ct_1/job/g0", "engagement:remote:ct_1/job/g1"}, f.postKeys("/jobs"),
		"the retry is sent under generation 1, not the refused generation 0")
	assert.Equal(t, []string{"engagement:remote:ct_1/quote-1/g1"}, f.postKeys("/quotes"), "every later step keeps the new generation")
	assert.Equal(t, []string{"remote-contractor-ctr_ct_1"}, f.postKeys("/contractors"), "the contractor, created before the refusal, is not sent again")
	assert.Equal(t, engagement.StatusAwaitingApplication, retried.CoverageStatus, causes(retried))
	assert.Empty(t, retried.AttentionReason)
}

// An end 1099Policy refused (the assignment's cancellation) parks the ending engagement; the
// operator's retry is accepted and runs the end again under the next key generation.
func TestOperatorRetryResumesARefusedEnd(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "end@example.com")
	f.returningContractor("end@example.com")
	f.sim.AddFault(policysim.Fault{PathPrefix: "/api/v1/assignments/cancel", Status: 400, Count: 1, Stored: true})
	var parked engagement.Status
	var answer *error
	f.at(time.Hour, func() { f.platformEvent(vendors.KindCancel, "c") })
	f.at(2*time.Hour, func() {
		parked = f.status()
		answer = f.update(engagement.UpdateOperatorAction, "op-retry-end", engagement.OperatorAction{Action: engagement.ActionRetry})
	})
	final := f.run()
	assert.Equal(t, engagement.StatusNeedsAttention, parked.CoverageStatus, causes(parked))
	assert.Contains(t, parked.AttentionReason, "end: ")
	assert.NoError(t, *answer, "the retry of a refused end is accepted")
	assert.Equal(t, []string{"engagement:remote:ct_1/cancel-assignment/g0", "engagement:remote:ct_1/cancel-assignment/g1"}, f.postKeys("/assignments/cancel"))
	assert.Equal(t, engagement.StatusCanceled, final.CoverageStatus, causes(final))
}
