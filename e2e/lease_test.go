package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/testenv"
)

// TestOneSessionPerNewContractor: two engagements of one contractor new to 1099Policy arrive
// together. Only one application session is ever opened: the first engagement takes the
// contractor's session lease (its coordinator), the second queues, and when the first
// application gives the contractor a policy the second is covered by an assignment.
func TestOneSessionPerNewContractor(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: 4 * time.Second})
	first := example("remote", "lease-a", "lease-new@example.com", false)
	second := example("remote", "lease-b", "lease-new@example.com", false)
	second.ContractorID = first.ContractorID // the same person on the platform
	start(t, s, cases[0], first)
	start(t, s, cases[0], second)

	a := s.WaitStatus(t, "remote", first.ID, 2*time.Minute, "INSURED", is(engagement.StatusInsured))
	b := s.WaitStatus(t, "remote", second.ID, 2*time.Minute, "INSURED", is(engagement.StatusInsured))
	require.Equal(t, a.Policy.ContractorID, b.Policy.ContractorID, "one contractor in 1099Policy")

	var sessions int
	for _, r := range s.Policy.Requests() {
		if r.Method == http.MethodPost && r.Path == "/api/v1/apply/sessions" && r.Status < 300 {
			sessions++
		}
	}
	assert.Equal(t, 1, sessions, "one application session for the contractor, never two")
	assert.Equal(t, 1, s.Policy.Counts().ContractorsByEmail["lease-new@example.com"], "one contractor object")
	// One engagement was covered by the session's policy, the other by an assignment under it.
	covers := []string{a.Policy.PolicyID + "|" + a.Policy.AssignmentID, b.Policy.PolicyID + "|" + b.Policy.AssignmentID}
	assert.True(t, (a.Policy.PolicyID != "" && b.Policy.AssignmentID != "") || (b.Policy.PolicyID != "" && a.Policy.AssignmentID != ""), "%v", covers)
	var waited bool
	for _, st := range []engagement.Status{a, b} {
		for _, tr := range st.Transitions {
			waited = waited || strings.Contains(tr.Cause, "waiting for the contractor's application session slot")
		}
	}
	assert.True(t, waited, "the second engagement queued for the lease:\n%v\n%v", a.Transitions, b.Transitions)
	s.WaitClosed(t, engagement.ContractorWorkflowID(a.Policy.ContractorID))
}
