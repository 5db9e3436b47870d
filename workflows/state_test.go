package workflows

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// The audit trail keeps the newest 200 transitions.
func TestTransitionsKeepTheNewest200(t *testing.T) {
	s := &EngagementState{}
	at := time.Unix(knownNow, 0)
	for i := 1; i <= 200; i++ {
		s.record(at, engagement.StatusPending, fmt.Sprint(i))
	}
	require.Len(t, s.Transitions, 200, "200 are all kept")
	assert.Equal(t, "1", s.Transitions[0].Cause)
	s.record(at, engagement.StatusPending, "201")
	require.Len(t, s.Transitions, 200)
	assert.Equal(t, "2", s.Transitions[0].Cause, "the oldest dropped")
	assert.Equal(t, "201", s.Transitions[199].Cause)
}

// The dedupe set remembers the newest 1000 event ids.
func TestSeenSetRemembersTheNewest1000(t *testing.T) {
	s := newSeenSet(nil)
	for i := 1; i <= 1000; i++ {
		require.True(t, s.add(fmt.Sprint(i)))
	}
	assert.False(t, s.add("1"), "1000 ids: the first is still seen")
	assert.True(t, s.add("1001"))
	assert.True(t, s.add("1"), "the 1001st evicted the oldest")
	assert.False(t, s.add("1001"))
	assert.Len(t, s.order, 1000)
}

// README "Worker Versioning": the workflow types whose runs move to each new build (the
// table lists the first three; the notification sender, which outlives a receiver's outage,
// is Auto-Upgrade too: register.go).
func TestAutoUpgradedTypes(t *testing.T) {
	assert.ElementsMatch(t, []string{"EngagementWorkflow", "ContractorSessionWorkflow", "PolicyEventRouterWorkflow",
		engagement.WorkflowNotificationSender}, AutoUpgraded())
}

// An engagement insured by nothing but its approved certificate needs coverage again when
// the certificate is flagged; one that also holds an assignment keeps it.
func TestCertificateOnlyCoverageIsLostWhenTheCertificateIsFlagged(t *testing.T) {
	for _, c := range []struct {
		name  string
		email string
		lost  bool
	}{{"certificate only", "", true}, {"with an assignment", "both@example.com", false}} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.engagement("ct_1", c.email)
			if c.email != "" {
				f.returningContractor(c.email)
			}
			f.at(time.Hour, func() { f.uploadCOI("coi-1", "doc_1", "coi.pdf") })
			f.at(90*time.Minute, func() {
				require.NoError(t, f.sim.ReviewCertificate(f.status().Policy.CertificateID, "approved"))
				f.forward()
			})
			var approved, flagged engagement.Status
			f.at(2*time.Hour, func() {
				approved = f.status()
				f.operator(engagement.OperatorAction{Action: engagement.ActionRejectCertificate, RequestID: "op-reject"})
			})
			f.at(3*time.Hour, func() { flagged = f.status(); f.platformEvent(vendors.KindCancel, "c") })
			f.run()
			assert.Equal(t, engagement.StatusInsured, approved.CoverageStatus, causes(approved))
			lost := "INSURED->PENDING: certificate rejected by an operator; coverage needed again\n"
			if c.lost {
				assert.Contains(t, causes(flagged), lost)
				assert.Equal(t, engagement.StatusAwaitingApplication, flagged.CoverageStatus, "re-bound through a new session: %s", causes(flagged))
			} else {
				assert.NotContains(t, causes(flagged), "coverage needed again")
				assert.Equal(t, engagement.StatusInsured, flagged.CoverageStatus, causes(flagged))
			}
		})
	}
}
