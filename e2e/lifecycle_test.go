package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
	"github.com/coverage-orchestrator/coverage/testenv"
)

// TestMissingMappingParksUntilFixedAndRetried: a Remote job title the mapping does not know
// parks the engagement in NEEDS_ATTENTION naming the mapping; once the record is fixed on the
// platform, an operator's retry runs the step again and the engagement is insured.
func TestMissingMappingParksUntilFixedAndRetried(t *testing.T) {
	// The local mapping without a default category: an unknown title cannot be mapped.
	mapping := filepath.Join(t.TempDir(), "mapping.yaml")
	require.NoError(t, os.WriteFile(mapping, []byte("entities:\n  remote/acct_77: en_12AbC3\ncategories:\n  remote/Marketing Designer: jc_MARKETING\n"), 0o600))
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: time.Second, ExtraEnv: []string{"MAPPING_FILE=" + mapping}})
	ex := example("remote", "unmapped-1", "", false)
	ex.Category = "Underwater Welding"
	start(t, s, cases[0], ex)
	parked := s.WaitStatus(t, "remote", ex.ID, time.Minute, "NEEDS_ATTENTION", is(engagement.StatusNeedsAttention))
	assert.Contains(t, parked.AttentionReason, "MissingMapping", parked.AttentionReason)

	ex.Category = "" // the platform's record fixed: the default title is mapped
	require.NoError(t, s.Platforms.Seed("remote", ex))
	code, body := ops(t, s, http.MethodPost, "/v1/engagements/remote/"+ex.ID+"/actions/retry", nil)
	require.Equal(t, http.StatusOK, code, string(body))
	st := s.WaitStatus(t, "remote", ex.ID, time.Minute, "INSURED", is(engagement.StatusInsured))
	assert.Empty(t, st.AttentionReason)
	assert.Contains(t, causes(st), "operator retry")
}

// TestPolicyCancelledAfterInsuredRebindsThroughANewSession: SPEC §2 step 5. A cancelled policy
// makes the engagement UNPROTECTED at once; a new quote and session are issued, and the
// contractor's new policy makes it INSURED again.
func TestPolicyCancelledAfterInsuredRebindsThroughANewSession(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{})
	ex := example("remote", "rebind-1", "rebind-1"+policysim.ManualEmailSuffix, false)
	start(t, s, cases[0], ex)
	first := s.WaitStatus(t, "remote", ex.ID, time.Minute, "AWAITING_APPLICATION", is(engagement.StatusAwaitingApplication))
	require.NoError(t, s.Policy.CompleteSession(first.Policy.SessionID))
	insured := s.WaitStatus(t, "remote", ex.ID, time.Minute, "INSURED", is(engagement.StatusInsured))

	require.NoError(t, s.Policy.CancelPolicy(insured.Policy.PolicyID))
	again := s.WaitStatus(t, "remote", ex.ID, time.Minute, "UNPROTECTED with a new session", func(st engagement.Status) bool {
		return st.CoverageStatus == engagement.StatusUnprotected && st.Policy.SessionID != "" && st.Policy.SessionID != first.Policy.SessionID
	})
	assert.NotEqual(t, first.Policy.QuoteID, again.Policy.QuoteID, "a new quote")
	require.NoError(t, s.Policy.CompleteSession(again.Policy.SessionID))
	final := s.WaitStatus(t, "remote", ex.ID, time.Minute, "INSURED again", is(engagement.StatusInsured))
	assert.NotEqual(t, insured.Policy.PolicyID, final.Policy.PolicyID)
	assert.Equal(t, []engagement.CoverageStatus{engagement.StatusAwaitingApplication, engagement.StatusInsured,
		engagement.StatusUnprotected, engagement.StatusInsured}, changes(final), causes(final))
}

func changes(st engagement.Status) []engagement.CoverageStatus {
	var out []engagement.CoverageStatus
	for _, tr := range st.Transitions {
		if tr.From != tr.To && tr.To != engagement.StatusApplicationInProgress {
			out = append(out, tr.To)
		}
	}
	return out
}

func causes(st engagement.Status) string {
	var b strings.Builder
	for _, tr := range st.Transitions {
		b.WriteString(string(tr.From) + "->" + string(tr.To) + ": " + tr.Cause + "\n")
	}
	return b.String()
}

// TestPolicyWebhookAnswersSayWhatHappened: SPEC §4's answers for 1099Policy events: parked
// when no engagement matches yet (its router keeps it), duplicate on redelivery, ignored for
// an event no engagement acts on.
func TestPolicyWebhookAnswersSayWhatHappened(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{})
	orphan := []byte(fmt.Sprintf(`{"id":"ev_orphan","type":"policy.cancelled","created":%d,"data":{"id":"pl_nobody","status":"cancelled"}}`, time.Now().Unix()))
	code, out := policyWebhook(t, s, orphan, true)
	require.Equal(t, http.StatusOK, code, "%v", out)
	assert.Equal(t, "parked", out["status"], "%v", out)
	desc, err := s.Client.DescribeWorkflowExecution(t.Context(), engagement.PolicyEventWorkflowID("ev_orphan"), "")
	require.NoError(t, err)
	assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.GetWorkflowExecutionInfo().GetStatus(), "kept for replay")

	code, out = policyWebhook(t, s, orphan, true)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "duplicate", out["status"])

	complete := []byte(fmt.Sprintf(`{"id":"ev_complete","type":"application.complete","created":%d,"data":{"id":"as_1","quote":"qt_1"}}`, time.Now().Unix()))
	code, out = policyWebhook(t, s, complete, true)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ignored", out["status"])
}
