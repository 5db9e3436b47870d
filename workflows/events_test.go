package workflows

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"github.com/uber-go/tally/v4"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/notify"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/vendors"
)

func (f *fixture) policyEvent(ev engagement.PolicyEvent) {
	f.env.SignalWorkflow(engagement.SignalPolicyEvent, ev)
}

// Application events concern the engagement when they name its session (object id) or its
// quote; another engagement's are ignored.
func TestApplicationEventsMatchOurSessionOrQuote(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	var s0, foreign, bySession, byQuote engagement.Status
	f.at(time.Hour, func() {
		s0 = f.status()
		f.policyEvent(engagement.PolicyEvent{EventID: "ev_1", Type: pc.EventApplicationManualReview, ObjectID: "ias_other", QuoteID: "qt_other"})
	})
	f.at(2*time.Hour, func() {
		foreign = f.status()
		f.policyEvent(engagement.PolicyEvent{EventID: "ev_2", Type: pc.EventApplicationManualReview, ObjectID: s0.Policy.SessionID})
	})
	f.at(3*time.Hour, func() {
		bySession = f.status()
		f.policyEvent(engagement.PolicyEvent{EventID: "ev_3", Type: pc.EventApplicationReviewApproved, ObjectID: "ias_other", QuoteID: s0.Policy.QuoteID})
	})
	f.at(4*time.Hour, func() { byQuote = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.Equal(t, engagement.StatusAwaitingApplication, foreign.CoverageStatus, "another engagement's session and quote")
	assert.Equal(t, engagement.StatusManualReview, bySession.CoverageStatus, "named by its session only")
	assert.Equal(t, engagement.StatusApplicationInProgress, byQuote.CoverageStatus, "named by its quote only")
}

// An assignment rides on the contractor's policy: that policy cancelled (the event names the
// contractor) leaves the engagement unprotected; another contractor's changes nothing.
func TestContractorsPolicyCancelledUnprotectsItsAssignment(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "ride@example.com")
	policy := f.returningContractor("ride@example.com")
	var insured, afterOther, afterOwn engagement.Status
	f.at(time.Hour, func() {
		insured = f.status()
		f.policyEvent(engagement.PolicyEvent{EventID: "ev_other", Type: pc.EventPolicyCancelled, ObjectID: "pl_other", ContractorID: "cn_other"})
	})
	f.at(2*time.Hour, func() {
		afterOther = f.status()
		require.NoError(t, f.sim.CancelPolicy(policy.ID))
		f.forward()
	})
	f.at(3*time.Hour, func() { afterOwn = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	require.NotEmpty(t, insured.Policy.AssignmentID, causes(insured))
	assert.Equal(t, engagement.StatusInsured, afterOther.CoverageStatus)
	assert.Equal(t, engagement.StatusUnprotected, afterOwn.CoverageStatus)
	assert.Contains(t, causes(afterOwn), "INSURED->UNPROTECTED: policy "+policy.ID+" cancelled; re-binding through a new quote\n")
}

// assignment.active (the premium charged) is noted for the engagement's own assignment only.
func TestAssignmentActiveNotedForOurAssignmentOnly(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "active@example.com")
	f.returningContractor("active@example.com")
	var s engagement.Status
	f.at(time.Hour, func() {
		s = f.status()
		f.policyEvent(engagement.PolicyEvent{EventID: "ev_a", Type: pc.EventAssignmentActive, ObjectID: "an_other"})
		f.policyEvent(engagement.PolicyEvent{EventID: "ev_b", Type: pc.EventAssignmentActive, ObjectID: s.Policy.AssignmentID})
	})
	f.at(2*time.Hour, func() { f.platformEvent(vendors.KindCancel, "c") })
	final := f.run()
	assert.Contains(t, causes(final), "assignment "+s.Policy.AssignmentID+" active (premium charged)")
	assert.NotContains(t, causes(final), "an_other")
}

// An event the events poller found first is noted in the transition's cause and counted
// (the lost-webhook alarm); one from the webhook is neither.
func TestPollerFoundEventsAreNotedAndCounted(t *testing.T) {
	f := newFixture(t)
	scope := tally.NewTestScope("", nil)
	f.suite.SetMetricsHandler(sdktally.NewMetricsHandler(scope))
	f.env = f.suite.NewTestWorkflowEnvironment() // with the metrics handler
	f.env.RegisterWorkflow(EngagementWorkflow)
	f.env.RegisterActivity(f.acts)
	f.env.SetStartTime(f.start)
	f.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(nil)
	f.env.RegisterWorkflow(ContractorSessionWorkflow)
	f.env.OnWorkflow(ContractorSessionWorkflow, mock.Anything, mock.Anything).Return(nil)
	f.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: engagement.WorkflowID("remote", "ct_1")})
	f.engagement("ct_1", "")
	var s0 engagement.Status
	f.at(time.Hour, func() {
		s0 = f.status()
		f.policyEvent(engagement.PolicyEvent{EventID: "ev_1", Type: pc.EventApplicationStarted, ObjectID: s0.Policy.SessionID, Source: engagement.SourceWebhook})
	})
	f.at(2*time.Hour, func() {
		f.policyEvent(engagement.PolicyEvent{EventID: "ev_2", Type: pc.EventPolicyActive, ObjectID: "pl_9", QuoteID: s0.Policy.QuoteID, Source: engagement.SourceEventsPoller})
	})
	f.at(3*time.Hour, func() { f.platformEvent(vendors.KindCancel, "c") })
	final := f.run()
	assert.Contains(t, causes(final), "APPLICATION_IN_PROGRESS: contractor started the application\n")
	assert.Contains(t, causes(final), "INSURED: policy pl_9 active (policy.active found by the events poller)\n")
	found := map[string]int64{}
	for _, c := range scope.Snapshot().Counters() {
		if c.Name() == MetricPolicyEventsFoundByPoller {
			found[c.Tags()["event_type"]] += c.Value()
		}
	}
	assert.Equal(t, map[string]int64{pc.EventPolicyActive: 1}, found)
}

// The platform version a webhook names is kept (published as SourceVersion) until a read
// names a newer one; it is carried across continue-as-new.
func TestPlatformEventVersionIsKept(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	f.at(time.Hour, func() {
		f.platformEvent(vendors.KindUpdate, "up-1", func(e *vendors.Event) { e.Version = "v7" })
	})
	f.env.ExecuteWorkflow(EngagementWorkflow, EngagementInput{Start: engagement.Start{Vendor: "remote", EngagementID: "ct_1"},
		ContinueAsNewAfterUpdate: true})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(f.env.GetWorkflowError(), &can), "got %v", f.env.GetWorkflowError())
	var next EngagementInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(t, next.Carried)
	assert.Equal(t, "v7", next.Carried.State.SourceVersion)
}

// SPEC §2 step 4: a window of at most a year is covered to its end (a 200-day one and one of
// exactly 365 days); the horizon applies beyond.
func TestWindowsUpToAYearAreCoveredToTheirEnd(t *testing.T) {
	for _, c := range []struct {
		name string
		end  int64
	}{
		{"200 days", 1816905600},     // 2027-07-30T00:00:00Z = 2027-01-11 + 200 days (python3)
		{"365 days", 1831161600},     // 2028-01-11T00:00:00Z = 2027-01-11 + 365 days (python3)
		{"366 days", knownHorizon90}, // a day more than a year: the 90-day horizon
	} {
		t.Run(c.name, func(t *testing.T) {
			f := knownWindowFixture(t, "", "2027-01-11", "")
			end := c.end
			if c.name == "366 days" {
				end = 1831161600 + 24*3600
			}
			f.platform.Update("ct_1", func(x *vendors.Engagement) { x.End = end })
			f.at(time.Hour, func() { f.platformEvent(vendors.KindCancel, "c") })
			f.run()
			quotes := f.posts("/quotes")
			require.Len(t, quotes, 1)
			assert.Equal(t, fmt.Sprintf(`"effective_date":%d,"end_date":%d`, knownStart, c.end), window(quotes[0].Body))
		})
	}
}

// An open-ended engagement covered by an assignment is extended 14 days before each covered
// window ends, each extension under its own key (extend-<n>), each to the next horizon.
func TestOpenEndedAssignmentIsExtendedWindowByWindow(t *testing.T) {
	f := knownWindowFixture(t, "open@example.com", "2027-01-11", "")
	f.returningContractor("open@example.com")
	f.acts.Horizon = 30 * 24 * time.Hour
	// 2027-01-11 + 30 d = 2027-02-10, extended on 2027-01-27 to 2027-03-12, on 2027-02-26 to
	// 2027-04-11 (python3 calendar.timegm); the work ends on 2027-03-01.
	f.at(time.Duration(1803859200-knownNow)*time.Second, func() { f.platformEvent(vendors.KindEnd, "end") })
	final := f.run()
	assert.Equal(t, []string{"engagement:remote:ct_1/extend-1/g0", "engagement:remote:ct_1/extend-2/g0"}, f.postKeys("/assignments/extend"))
	var ends []string
	for _, r := range f.posts("/assignments/extend") {
		ends = append(ends, window(r.Body))
	}
	assert.Equal(t, []string{`"end_date":1804809600`, `"end_date":1807401600`}, ends)
	var extendedAt []time.Time
	for _, tr := range final.Transitions {
		if strings.HasPrefix(tr.Cause, "coverage extended to") {
			extendedAt = append(extendedAt, tr.At)
		}
	}
	assert.Equal(t, []time.Time{time.Unix(1801008000, 0).UTC(), time.Unix(1803600000, 0).UTC()}, extendedAt)
}

// Coverage that is not bound (the contractor never applied) has nothing to extend.
func TestUnboundOpenEndedEngagementIsNotExtended(t *testing.T) {
	f := knownWindowFixture(t, "", "2027-01-11", "")
	f.acts.Horizon = 30 * 24 * time.Hour
	f.at(time.Duration(1803859200-knownNow)*time.Second, func() { f.platformEvent(vendors.KindEnd, "end") })
	final := f.run()
	assert.Empty(t, f.postKeys("/assignments"))
	assert.NotContains(t, causes(final), "coverage extended")
}

// engagement.application_pending needs a delay: none configured (0), none is sent; without a
// start date there is no "before the start" to wait for, and the notice goes out.
func TestApplicationPendingDelayAndStartDate(t *testing.T) {
	types := func(rec *receiver) []string {
		var out []string
		for _, ev := range rec.bodies {
			out = append(out, ev.Type)
		}
		return out
	}
	t.Run("no delay configured", func(t *testing.T) {
		f := knownWindowFixture(t, "", "2027-01-11", "2027-02-09")
		rec, _ := f.withNotifier("")
		f.at(30*time.Hour, func() { f.platformEvent(vendors.KindCancel, "c") })
		f.run()
		assert.Equal(t, []string{notify.EngagementCanceled}, types(rec))
	})
	t.Run("no start date", func(t *testing.T) {
		f := knownWindowFixture(t, "", "2027-01-11", "2027-02-09")
		f.platform.Update("ct_1", func(x *vendors.Engagement) { x.Start = 0 })
		f.acts.ApplicationPendingAfter = 24 * time.Hour
		rec, _ := f.withNotifier("")
		f.at(30*time.Hour, func() { f.platformEvent(vendors.KindCancel, "c") })
		f.run()
		assert.Equal(t, []string{notify.EngagementApplicationPending, notify.EngagementEnded}, types(rec))
	})
}
