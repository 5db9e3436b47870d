package workflows

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/config"
	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// Edges of the lifecycle: each test names the rule it holds, with literal keys and times.

// The step keys of a returning contractor's assignment and a first-time contractor's
// sessions: <workflow id>/<step>/g<generation>, the step counting tries (assignment-<bind
// attempt>.<try>, session-<bind attempt>.<session number>).
func TestStepKeysOfAssignmentsAndSessions(t *testing.T) {
	t.Run("returning contractor", func(t *testing.T) {
		f := newFixture(t)
		f.engagement("ct_1", "back@example.com")
		f.returningContractor("back@example.com")
		var mid engagement.Status
		f.at(time.Hour, func() { mid = f.status(); f.platformEvent(vendors.KindCancel, "c") })
		f.run()
		assert.Equal(t, []string{"engagement:remote:ct_1/assignment-1.1/g0"}, f.postKeys("/assignments"))
		assert.Contains(t, causes(mid), "PENDING->INSURED: assignment "+mid.Policy.AssignmentID+" created (returning contractor)\n")
	})
	t.Run("first-time contractor, renewed at 48 h", func(t *testing.T) {
		f := newFixture(t)
		f.engagement("ct_1", "")
		var first engagement.Status
		f.at(time.Hour, func() { first = f.status() })
		f.at(50*time.Hour, func() { f.platformEvent(vendors.KindCancel, "c") })
		f.run()
		assert.Equal(t, []string{"engagement:remote:ct_1/session-1.1/g0", "engagement:remote:ct_1/session-1.2/g0"}, f.postKeys("/apply/sessions"))
		assert.Equal(t, []string{"engagement:remote:ct_1/expire-" + first.Policy.SessionID + "/g0"},
			f.postKeys("/apply/sessions/"+first.Policy.SessionID+"/expire"))
	})
}

// A quote that answers "the contractor holds a matching policy" while the assignment is then
// refused as ineligible cannot bind either way: the engagement parks with the reason.
func TestMatchingPolicyQuoteWithIneligibleAssignmentParks(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	quotes := 0
	f.env.OnActivity(f.acts.CreateQuote, mock.Anything, mock.Anything).Return(func(context.Context, activities.CoverageInput) (activities.CoverageOutput, error) {
		if quotes++; quotes > 1 { // quoting again and again: stop it here, parked with another reason
			return activities.CoverageOutput{}, temporal.NewNonRetryableApplicationError("quoted again", activities.ErrBusiness, nil)
		}
		return activities.CoverageOutput{}, temporal.NewNonRetryableApplicationError("contractor_has_matching_policy", activities.ErrMatchingPolicy, nil)
	})
	f.env.OnActivity(f.acts.CreateAssignment, mock.Anything, mock.Anything).Return(activities.CoverageOutput{},
		temporal.NewNonRetryableApplicationError("No matching policy found for assignment.", activities.ErrNoMatchingPolicy, nil))
	var parked engagement.Status
	f.at(time.Hour, func() { parked = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.Equal(t, engagement.StatusNeedsAttention, parked.CoverageStatus, causes(parked))
	assert.Equal(t, "create assignment: quote says the contractor holds a matching policy, but the assignment was refused", parked.AttentionReason)
}

// A parked engagement still ends at its end date, without an operator (the end date is the
// one deadline that counts while parked).
func TestParkedEngagementEndsAtItsEndDate(t *testing.T) {
	f := newFixture(t)
	e := f.engagement("ct_1", "")
	f.acts.Mapping = config.Mapping{DefaultEntity: "en_1"} // no category mapping: parks at the job
	var parked engagement.Status
	f.at(time.Hour, func() { parked = f.status() })
	final := f.run()
	assert.Equal(t, engagement.StatusNeedsAttention, parked.CoverageStatus)
	assert.Equal(t, engagement.StatusCanceled, final.CoverageStatus, "never onboarded: canceled; %s", causes(final))
	last := final.Transitions[len(final.Transitions)-1]
	assert.Equal(t, time.Unix(e.End, 0).UTC(), last.At, "at the end date")
	assert.Equal(t, "end date reached", last.Cause)
	assert.Empty(t, final.AttentionReason, "the end supersedes the parked step")
}

// A record read again with nothing changed sends nothing; a start moved before binding moves
// the quote's effective date.
func TestWindowChangesReachTheQuoteOnlyWhenTheWindowChanged(t *testing.T) {
	f := knownWindowFixture(t, "", "2027-01-11", "2027-02-09")
	const newStart = 1799712000 // 2027-01-12T00:00:00Z (python3 calendar.timegm)
	f.at(time.Hour, func() { f.platformEvent(vendors.KindUpdate, "unchanged") })
	var unchanged engagement.Status
	f.at(2*time.Hour, func() {
		unchanged = f.status()
		f.platform.Update("ct_1", func(x *vendors.Engagement) { x.Start = newStart })
		f.platformEvent(vendors.KindUpdate, "start-moved")
	})
	f.at(3*time.Hour, func() { f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.NotContains(t, causes(unchanged), "coverage window moved")
	var puts []string
	for _, r := range f.sim.Requests() {
		if r.Method == "PUT" && strings.HasPrefix(r.Path, "/api/v1/quotes/") {
			puts = append(puts, window(r.Body))
		}
	}
	assert.Equal(t, []string{fmt.Sprintf(`"effective_date":%d,"end_date":%d`, newStart, knownEnd)}, puts)
}

// A start moved to a later day after the first one passed uncovered is checked again at the
// new start; a record with no start has no start date to reach.
func TestStartDateCheckedAgainWhenMovedLater(t *testing.T) {
	f := knownWindowFixture(t, "", "2027-01-11", "2027-02-09")
	const laterStart = 1799884800                                           // 2027-01-14T00:00:00Z (python3 calendar.timegm)
	f.at(time.Duration(knownStart-knownNow)*time.Second+time.Hour, func() { // 2027-01-11 01:00, past the first start
		f.platform.Update("ct_1", func(x *vendors.Engagement) { x.Start = laterStart })
		f.platformEvent(vendors.KindUpdate, "start-later")
	})
	f.at(time.Duration(laterStart-knownNow)*time.Second+time.Hour, func() { f.platformEvent(vendors.KindCancel, "c") })
	final := f.run()
	var reached []time.Time
	for _, tr := range final.Transitions {
		if strings.HasPrefix(tr.Cause, "start date reached") {
			reached = append(reached, tr.At)
		}
	}
	assert.Equal(t, []time.Time{time.Unix(knownStart, 0).UTC(), time.Unix(laterStart, 0).UTC()}, reached, causes(final))
}

func TestNoStartDateNoStartDeadline(t *testing.T) {
	f := knownWindowFixture(t, "", "2027-01-11", "2027-02-09")
	f.platform.Update("ct_1", func(x *vendors.Engagement) { x.Start = 0 })
	f.at(20*24*time.Hour, func() { f.platformEvent(vendors.KindCancel, "c") })
	final := f.run()
	assert.NotContains(t, causes(final), "start date reached")
	assert.NotContains(t, statuses(final), engagement.StatusUnprotected)
}

// A policy.active without an expiration date has no expiry deadline: the engagement stays
// insured until it ends.
func TestPolicyWithoutExpirationStaysInsured(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	f.at(time.Hour, func() {
		s := f.status()
		require.NoError(t, f.sim.CompleteSession(s.Policy.SessionID))
		f.forwardEdited(func(pe *engagement.PolicyEvent) { pe.ExpirationDate = 0 })
	})
	var later engagement.Status
	f.at(20*24*time.Hour, func() { later = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.Equal(t, []engagement.CoverageStatus{engagement.StatusAwaitingApplication, engagement.StatusApplicationInProgress, engagement.StatusInsured},
		statuses(later), causes(later))
	assert.Len(t, f.posts("/quotes"), 1)
	assert.Empty(t, f.posts("/assignments"))
}

// SPEC §2 step 6: before the start date the assignment is cancelled (CANCELED); from the start
// instant on, the end moves (ENDED). An end on the last day leaves the end date as it is.
func TestEndAtTheStartInstantAndOnTheLastDay(t *testing.T) {
	t.Run("at the start instant", func(t *testing.T) {
		f := knownWindowFixture(t, "start@example.com", "2027-01-11", "2027-02-09")
		f.returningContractor("start@example.com")
		f.at(time.Duration(knownStart-knownNow)*time.Second, func() { f.platformEvent(vendors.KindEnd, "end") })
		final := f.run()
		assert.Equal(t, engagement.StatusEnded, final.CoverageStatus, causes(final))
		assert.Empty(t, f.posts("/assignments/cancel"))
	})
	t.Run("on the last day", func(t *testing.T) {
		f := knownWindowFixture(t, "last@example.com", "2027-01-11", "2027-02-09")
		f.returningContractor("last@example.com")
		const lastDay = 1802181600 // 2027-02-09T14:00:00Z: its next 00:00 UTC is the covered end
		f.at(time.Duration(lastDay-knownNow)*time.Second, func() { f.platformEvent(vendors.KindEnd, "end") })
		final := f.run()
		assert.Equal(t, engagement.StatusEnded, final.CoverageStatus, causes(final))
		for _, r := range f.sim.Requests() {
			assert.False(t, r.Method == "PUT" && strings.HasPrefix(r.Path, "/api/v1/assignments/"), "no PUT: %s %s", r.Path, r.Body)
		}
		assert.EqualValues(t, knownEnd, final.CoverageEnd)
		assert.NotContains(t, causes(final), "end date moved")
	})
}

// The Temporal UI's details line shows the engagement from the first workflow task, before the
// platform's record was read.
func TestDetailsLineFromTheStart(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	f.env.OnActivity(f.acts.FetchEngagement, mock.Anything, mock.Anything).After(time.Hour).Return(
		func(ctx context.Context, in activities.FetchEngagementInput) (activities.FetchEngagementOutput, error) {
			return f.acts.FetchEngagement(ctx, in)
		})
	var details, awaiting string
	var s engagement.Status
	f.at(time.Minute, func() { details = f.details() })
	f.at(2*time.Hour, func() { s = f.status(); awaiting = f.details(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.Equal(t, "**remote ct_1** · PENDING · certificate NONE · window unknown", details)
	assert.Equal(t, "**remote ct_1** · AWAITING_APPLICATION · certificate NONE · "+day(s.CoverageStart)+" → "+day(s.CoverageEnd)+
		"\n\nApplication session: "+s.Policy.SessionURL, awaiting)
}

// details is the Temporal UI's details line of the engagement.
func (f *fixture) details() string {
	v, err := f.env.QueryWorkflow("__temporal_workflow_metadata")
	require.NoError(f.t, err)
	var meta sdkpb.WorkflowMetadata
	require.NoError(f.t, v.Get(&meta))
	return meta.GetCurrentDetails()
}

// A parked engagement's details line says why; the window is the engagement's.
func TestDetailsLineOfAParkedEngagement(t *testing.T) {
	f := knownWindowFixture(t, "", "2027-01-11", "2027-02-09")
	f.acts.Mapping = config.Mapping{DefaultEntity: "en_1"} // no category mapping: parks at the job
	var parked string
	f.at(time.Hour, func() { parked = f.details(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.Equal(t, "**remote ct_1** · NEEDS_ATTENTION · certificate NONE · 2027-01-11 → 2027-02-10\n\nNeeds attention: "+
		`create job: no category mapping for "remote/marketing_design" and no default (MissingMapping)`, parked)
}

// A queued engagement that releases before its turn leaves the queue, even when it is first
// in it: the lease goes to the one behind it.
func TestCoordinatorDropsTheFirstQueuedEngagementWhenItLeaves(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(ContractorSessionWorkflow)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: engagement.ContractorWorkflowID("cn_1")})
	var grants []grant
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", engagement.SignalSessionLease, mock.Anything).Return(
		func(_, id, _, _ string, arg any) error {
			grants = append(grants, grant{id, arg.(engagement.SessionLease).Queued})
			return nil
		})
	signal := func(name, id string) {
		env.SignalWorkflow(name, engagement.LeaseRequest{EngagementWorkflowID: id})
	}
	env.RegisterDelayedCallback(func() {
		signal(engagement.SignalAcquireSession, "engagement:remote:a")
		signal(engagement.SignalAcquireSession, "engagement:remote:b")
		signal(engagement.SignalAcquireSession, "engagement:remote:c")
	}, 0)
	env.RegisterDelayedCallback(func() { signal(engagement.SignalReleaseSession, "engagement:remote:b") }, time.Minute)
	env.RegisterDelayedCallback(func() { signal(engagement.SignalReleaseSession, "engagement:remote:a") }, 2*time.Minute)
	env.RegisterDelayedCallback(func() { signal(engagement.SignalReleaseSession, "engagement:remote:c") }, 3*time.Minute)
	env.ExecuteWorkflow(ContractorSessionWorkflow, engagement.ContractorInput{ContractorID: "cn_1"})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, []grant{{"engagement:remote:a", false}, {"engagement:remote:c", true}}, grants)
}

// An open-ended engagement parked at set-up has no deadline at all: it waits for the operator,
// and the retry resumes it.
func TestParkedOpenEndedEngagementWaitsForTheOperator(t *testing.T) {
	f := knownWindowFixture(t, "", "2027-01-11", "")
	f.acts.Mapping = config.Mapping{DefaultEntity: "en_1"} // no category mapping: parks at the job
	var parked, resumed engagement.Status
	f.at(30*24*time.Hour, func() {
		parked = f.status()
		f.acts.Mapping.DefaultCategoryCode = "jc_default"
		f.operator(engagement.OperatorAction{Action: engagement.ActionRetry, RequestID: "op-retry"})
	})
	f.at(31*24*time.Hour, func() { resumed = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.Equal(t, engagement.StatusNeedsAttention, parked.CoverageStatus, causes(parked))
	assert.Equal(t, engagement.StatusUnprotected, resumed.CoverageStatus, "resumed after the start date passed: %s", causes(resumed))
}

// A renewal whose new session 1099Policy refused expires the old session once: the retry
// opens the new session without expiring the old one again.
func TestRetriedRenewalExpiresTheOldSessionOnce(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	var first engagement.Status
	f.at(time.Hour, func() {
		first = f.status()
		// the 48 h renewal: its expiry and its new session both refused
		f.sim.AddFault(policysim.Fault{PathPrefix: "/api/v1/apply/sessions", Status: 400, Count: 2})
	})
	var parked, renewed engagement.Status
	f.at(49*time.Hour, func() {
		parked = f.status()
		f.operator(engagement.OperatorAction{Action: engagement.ActionRetry, RequestID: "op-retry"})
	})
	f.at(50*time.Hour, func() { renewed = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.Equal(t, engagement.StatusNeedsAttention, parked.CoverageStatus, causes(parked))
	assert.NotEqual(t, first.Policy.SessionID, renewed.Policy.SessionID, causes(renewed))
	assert.Len(t, f.postKeys("/apply/sessions/"+first.Policy.SessionID+"/expire"), 1, "expired (refused) once, not again on the retry")
	assert.Equal(t, 1, strings.Count(causes(renewed), "session "+first.Policy.SessionID+" expired"))
}
