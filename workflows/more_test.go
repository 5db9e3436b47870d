package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/engagement"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// Refetch mode (POLICY_WEBHOOK_VERIFY=refetch): the router acts on the event 1099Policy has
// under the id, never on the webhook's body.
func TestRefetchModeRoutesOnlyWhat1099PolicyHas(t *testing.T) {
	run := func(t *testing.T, fetched activities.FetchEventOutput) (*testsuite.TestWorkflowEnvironment, []engagement.PolicyEvent) {
		var suite testsuite.WorkflowTestSuite
		env := suite.NewTestWorkflowEnvironment()
		env.RegisterWorkflow(PolicyEventRouterWorkflow)
		acts := &activities.Activities{}
		env.RegisterActivity(acts)
		env.OnActivity(acts.FetchPolicyEvent, mock.Anything, activities.FetchEventInput{EventID: "ev_7", Source: engagement.SourceWebhook}).Return(fetched, nil)
		env.OnActivity(acts.ResolvePolicyEvent, mock.Anything, mock.Anything).Return(activities.RouteOutput{WorkflowIDs: []string{"engagement:remote:a"}}, nil)
		var delivered []engagement.PolicyEvent
		env.OnSignalExternalWorkflow(mock.Anything, "engagement:remote:a", "", engagement.SignalPolicyEvent, mock.Anything).Return(
			func(_, _, _, _ string, arg any) error {
				delivered = append(delivered, arg.(engagement.PolicyEvent))
				return nil
			})
		env.ExecuteWorkflow(PolicyEventRouterWorkflow, engagement.PolicyEvent{EventID: "ev_7", Refetch: true, Source: engagement.SourceWebhook, Type: "forged"})
		require.True(t, env.IsWorkflowCompleted())
		return env, delivered
	}
	details := func(env *testsuite.TestWorkflowEnvironment) string {
		v, err := env.QueryWorkflow("__temporal_workflow_metadata")
		require.NoError(t, err)
		var meta sdkpb.WorkflowMetadata
		require.NoError(t, v.Get(&meta))
		return meta.GetCurrentDetails()
	}
	t.Run("not in 1099Policy: fails, nothing delivered", func(t *testing.T) {
		env, delivered := run(t, activities.FetchEventOutput{})
		var ae *temporal.ApplicationError
		require.True(t, errors.As(env.GetWorkflowError(), &ae), "%v", env.GetWorkflowError())
		assert.Equal(t, ErrEventNotFound, ae.Type())
		assert.Equal(t, "1099Policy has no event ev_7; nothing changed", ae.Message())
		assert.Empty(t, delivered)
		assert.Equal(t, "1099Policy has no event ev_7: a forged or mistaken webhook; nothing changed", details(env))
	})
	t.Run("an event no engagement acts on", func(t *testing.T) {
		env, delivered := run(t, activities.FetchEventOutput{Found: true, Event: engagement.PolicyEvent{EventID: "ev_7", Type: "application.created", ObjectID: "ias_1"}})
		require.NoError(t, env.GetWorkflowError())
		assert.Empty(t, delivered)
		assert.Equal(t, "no engagement acts on application.created; nothing changed", details(env))
	})
	t.Run("the stored event is what is delivered", func(t *testing.T) {
		stored := engagement.PolicyEvent{EventID: "ev_7", Type: pc.EventPolicyCancelled, ObjectID: "pl_1", Source: engagement.SourceWebhook}
		env, delivered := run(t, activities.FetchEventOutput{Found: true, Event: stored})
		require.NoError(t, env.GetWorkflowError())
		assert.Equal(t, []engagement.PolicyEvent{stored}, delivered)
	})
}

// The detail query (the console's engagement page): the actions whose validators accept them
// now, the window, and once ending, when.
func TestDetailQueryOffersWhatTheValidatorsAccept(t *testing.T) {
	f := knownWindowFixture(t, "", "2027-01-11", "2027-02-09")
	detail := func() engagement.Detail {
		v, err := f.env.QueryWorkflow(engagement.QueryDetail)
		require.NoError(t, err)
		var d engagement.Detail
		require.NoError(t, v.Get(&d))
		return d
	}
	var awaiting engagement.Detail
	f.at(time.Hour, func() { awaiting = detail(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.Equal(t, []string{engagement.ActionResendSession, engagement.ActionEnd}, awaiting.Actions)
	assert.True(t, awaiting.Open)
	assert.True(t, awaiting.TakesCertificate)
	assert.EqualValues(t, knownStart, awaiting.WorkStart)
	assert.EqualValues(t, knownEnd, awaiting.WorkEnd)
	assert.Zero(t, awaiting.EndedAt)
	assert.Equal(t, "ctr_ct_1", awaiting.Contractor.SourceID)
}

func TestDetailQueryOfAnEndingEngagement(t *testing.T) {
	f := knownWindowFixture(t, "end@example.com", "2027-01-11", "2027-02-09")
	f.returningContractor("end@example.com")
	f.sim.AddFault(policysim.Fault{PathPrefix: "/api/v1/assignments/cancel", Status: 400, Count: 1})
	var ending engagement.Detail
	f.at(time.Hour, func() { f.platformEvent(vendors.KindCancel, "c") })
	f.at(2*time.Hour, func() {
		v, err := f.env.QueryWorkflow(engagement.QueryDetail)
		require.NoError(t, err)
		require.NoError(t, v.Get(&ending))
		f.operator(engagement.OperatorAction{Action: engagement.ActionRetry, RequestID: "op-retry"})
	})
	f.run()
	assert.Equal(t, []string{engagement.ActionRetry}, ending.Actions, "a refused end: only its retry")
	assert.False(t, ending.Open)
	assert.False(t, ending.TakesCertificate)
	assert.EqualValues(t, knownNow+3600, ending.EndedAt)
}

// assignment.cancelled for the engagement's assignment leaves it unprotected; 1099Policy
// finding the contractor ineligible parks it for an operator.
func TestAssignmentCancelledAndApplicationIneligible(t *testing.T) {
	t.Run("assignment cancelled", func(t *testing.T) {
		f := newFixture(t)
		f.engagement("ct_1", "cancel@example.com")
		f.returningContractor("cancel@example.com")
		var s, after engagement.Status
		f.at(time.Hour, func() {
			s = f.status()
			f.policyEvent(engagement.PolicyEvent{EventID: "ev_x", Type: pc.EventAssignmentCancelled, ObjectID: "an_other"})
			f.policyEvent(engagement.PolicyEvent{EventID: "ev_y", Type: pc.EventAssignmentCancelled, ObjectID: s.Policy.AssignmentID})
		})
		f.at(2*time.Hour, func() { after = f.status(); f.platformEvent(vendors.KindCancel, "c") })
		f.run()
		assert.Contains(t, causes(after), "INSURED->UNPROTECTED: assignment "+s.Policy.AssignmentID+" cancelled in 1099Policy; re-binding through a new quote\n")
		assert.NotContains(t, causes(after), "an_other")
	})
	t.Run("application ineligible", func(t *testing.T) {
		f := newFixture(t)
		f.engagement("ct_1", "")
		var parked engagement.Status
		f.at(time.Hour, func() {
			s := f.status()
			f.policyEvent(engagement.PolicyEvent{EventID: "ev_i", Type: pc.EventApplicationIneligible, ObjectID: s.Policy.SessionID})
		})
		f.at(2*time.Hour, func() { parked = f.status(); f.platformEvent(vendors.KindCancel, "c") })
		f.run()
		assert.Equal(t, engagement.StatusNeedsAttention, parked.CoverageStatus)
		assert.Equal(t, "application: 1099Policy found the contractor ineligible for coverage", parked.AttentionReason)
	})
}

// application.expired renews the session it names when it is the open one; an expiry of an
// earlier session of the same quote changes nothing.
func TestApplicationExpiredRenewsOnlyTheOpenSession(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	var first, second engagement.Status
	f.at(time.Hour, func() {
		first = f.status()
		f.policyEvent(engagement.PolicyEvent{EventID: "ev_e1", Type: pc.EventApplicationExpired, ObjectID: first.Policy.SessionID, QuoteID: first.Policy.QuoteID})
	})
	f.at(2*time.Hour, func() {
		second = f.status()
		f.policyEvent(engagement.PolicyEvent{EventID: "ev_e2", Type: pc.EventApplicationExpired, ObjectID: first.Policy.SessionID, QuoteID: first.Policy.QuoteID})
	})
	f.at(3*time.Hour, func() { f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.NotEqual(t, first.Policy.SessionID, second.Policy.SessionID, causes(second))
	assert.Equal(t, []string{"engagement:remote:ct_1/session-1.1/g0", "engagement:remote:ct_1/session-1.2/g0"}, f.postKeys("/apply/sessions"))
}

// Contractor details an operator supplies fill what the platform left empty and resume a
// parked engagement. (The email is not asserted: the platform's empty email is already the
// proxy by the time the details apply; see the closing note of issue 26.)
func TestContractorDetailsResumeAndFillTheContractor(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	f.sim.AddFault(policysim.Fault{PathPrefix: "/api/v1/contractors", Status: 400, Count: 1}) // the lookup refused: parks
	var parked, resumed, answered engagement.Status
	var answer error = errors.New("no answer")
	f.at(time.Hour, func() {
		parked = f.status()
		f.env.UpdateWorkflow(engagement.UpdateContractorDetails, "op-details", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { answer = err }, OnAccept: func() {},
			OnComplete: func(v any, err error) { answer = err; answered, _ = v.(engagement.Status) },
		}, engagement.ContractorDetails{Email: "Jordan.Cruz@Example.COM",
			Phone: "+14155550100", Address: &engagement.ContactAddress{Line1: "1 Main St", Locality: "Oakland", Region: "CA", PostalCode: "94607", Country: "US"},
			Note: "from the signed contract"})
	})
	f.at(2*time.Hour, func() { resumed = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.Equal(t, engagement.StatusNeedsAttention, parked.CoverageStatus, causes(parked))
	assert.NoError(t, answer)
	assert.Contains(t, causes(answered), "contractor and job set up in 1099Policy", "answered once the record was read again with the details")
	assert.Equal(t, engagement.StatusAwaitingApplication, resumed.CoverageStatus, causes(resumed))
	assert.Contains(t, causes(resumed), "NEEDS_ATTENTION->PENDING: contractor details supplied by an operator: from the signed contract\n")
	cons := f.posts("/contractors")
	require.Len(t, cons, 1)
	for _, field := range []string{`"phone":"+14155550100"`, `"line1":"1 Main St"`, `"locality":"Oakland"`,
		`"region":"CA"`, `"postalcode":"94607"`, `"country":"US"`} {
		assert.Contains(t, cons[0].Body, field)
	}
}

// Keys beside the id that a platform needs to read its record (JobDiva's) travel from the
// events to every read; an empty one does not overwrite a known one.
func TestEventRefsReachTheRead(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	var reads []map[string]string
	f.env.OnActivity(f.acts.FetchEngagement, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.FetchEngagementInput) (activities.FetchEngagementOutput, error) {
			reads = append(reads, in.Refs)
			return f.acts.FetchEngagement(ctx, in)
		})
	f.at(time.Hour, func() {
		f.platformEvent(vendors.KindUpdate, "up-1", func(e *vendors.Event) { e.Refs = map[string]string{"candidate": "77", "company": "9"} })
	})
	f.at(2*time.Hour, func() {
		f.platformEvent(vendors.KindUpdate, "up-2", func(e *vendors.Event) { e.Refs = map[string]string{"candidate": "", "start": "5"} })
	})
	f.at(3*time.Hour, func() { f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	require.Len(t, reads, 3)
	assert.Empty(t, reads[0])
	assert.Equal(t, map[string]string{"candidate": "77", "company": "9"}, reads[1])
	assert.Equal(t, map[string]string{"candidate": "77", "company": "9", "start": "5"}, reads[2])
}

// The operator's end is answered once the engagement closed: the Update's result is the final
// status (SPEC §4: the answer is the engagement after the action).
func TestOperatorEndAnswersWithTheClosedStatus(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	var answered engagement.Status
	var answerErr error
	f.at(time.Hour, func() {
		f.env.UpdateWorkflow(engagement.UpdateOperatorAction, "op-end", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("end refused: %v", err) },
			OnAccept: func() {},
			OnComplete: func(v any, err error) {
				answerErr = err
				if s, ok := v.(engagement.Status); ok {
					answered = s
				}
			}}, engagement.OperatorAction{Action: engagement.ActionEnd, RequestID: "op-end", Note: "work stopped"})
	})
	final := f.run()
	require.NoError(t, answerErr)
	assert.Equal(t, engagement.StatusCanceled, answered.CoverageStatus, causes(answered))
	assert.Equal(t, final.CoverageStatus, answered.CoverageStatus)
}

// Details supplied while coverage is kept are sent to 1099Policy's contractor.
func TestContractorDetailsWhileCoveredUpdateThe1099PolicyContractor(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	var s engagement.Status
	f.at(time.Hour, func() {
		s = f.status()
		f.update(engagement.UpdateContractorDetails, "op-details", engagement.ContractorDetails{Phone: "+14155550199"})
	})
	var after engagement.Status
	f.at(2*time.Hour, func() { after = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.Equal(t, engagement.StatusAwaitingApplication, after.CoverageStatus, causes(after))
	assert.Contains(t, causes(after), "AWAITING_APPLICATION->AWAITING_APPLICATION: contractor details updated\n")
	var puts []string
	for _, r := range f.sim.Requests() {
		if r.Method == "PUT" && r.Path == "/api/v1/contractors/"+s.Policy.ContractorID {
			puts = append(puts, r.Body)
		}
	}
	require.Len(t, puts, 1)
	assert.Contains(t, puts[0], `"phone":"+14155550199"`)
}
