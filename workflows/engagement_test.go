package workflows

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/config"
	"github.com/coverage-orchestrator/coverage/engagement"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/vendorstest"
)

const testAPIKey = "t9k_test_wf"

// fixture runs one engagement workflow in the SDK test environment with real activities
// against an in-process 1099Policy sandbox and a fake platform.
type fixture struct {
	t         *testing.T
	suite     testsuite.WorkflowTestSuite
	env       *testsuite.TestWorkflowEnvironment
	sim       *policysim.Server
	client    *pc.Client
	platform  *vendorstest.Fake
	acts      *activities.Activities
	start     time.Time
	forwarded int
	mu        sync.Mutex
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, start: time.Now().UTC().Truncate(time.Second)}
	f.sim = policysim.New(policysim.Config{APIKey: testAPIKey, CertificateReviewAfter: time.Hour, AssignmentActiveAfter: time.Hour,
		AcceptMissingContactDetails: true}) // the fake platform's contractors carry no contact details
	srv := httptest.NewServer(f.sim)
	t.Cleanup(func() { srv.Close(); f.sim.Close() })
	f.client = pc.New(pc.Config{BaseURL: srv.URL, APIKey: testAPIKey})
	f.platform = vendorstest.New("remote")
	f.acts = &activities.Activities{Policy: f.client, Vendors: vendors.Registry{"remote": f.platform},
		Mapping:          config.Mapping{DefaultEntity: "en_1", DefaultCategoryCode: "jc_default"},
		ProxyEmailDomain: "relay.example.com", SessionSuccess: "https://ops/{vendor}/{engagement_id}?ok", SessionCancel: "https://ops/{vendor}/{engagement_id}?no"}
	f.env = f.suite.NewTestWorkflowEnvironment()
	f.env.RegisterWorkflow(EngagementWorkflow)
	f.env.RegisterActivity(f.acts)
	// The coordinator is a child workflow (its own logic is tested in contractor_test.go):
	// here its start grants the lease at once and it completes; releases go nowhere. Two
	// engagements queueing for one contractor run on a real server (e2e).
	f.env.RegisterWorkflow(ContractorSessionWorkflow)
	f.env.OnWorkflow(ContractorSessionWorkflow, mock.Anything, mock.Anything).Return(nil)
	f.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(nil)
	f.env.SetStartTime(f.start)
	f.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: engagement.WorkflowID("remote", "ct_1")})
	// A workflow that calls activities in a loop never idles, so the test environment's idle
	// timeout never ends it: stop it here (a broken lifecycle fails at once, not at go test's
	// timeout). No test lifecycle comes near this many calls.
	started := 0
	f.env.SetOnActivityStartedListener(func(*activity.Info, context.Context, converter.EncodedValues) {
		if started++; started > maxActivitiesPerTest {
			panic(fmt.Sprintf("more than %d activities: the workflow loops", maxActivitiesPerTest))
		}
	})
	return f
}

const maxActivitiesPerTest = 1000

// engagement puts a standard engagement on the fake platform: starts in 7 days, 30 days long.
func (f *fixture) engagement(id, email string) vendors.Engagement {
	e := vendors.Engagement{EngagementID: id,
		Contractor: vendors.Contractor{SourceID: "ctr_" + id, FirstName: "Jordan", LastName: "Cruz", Email: email, Country: "US", Region: "CA"},
		Job:        vendors.Job{Name: "Q4 Launch Assets", Description: "Landing page", ClientID: "acct_77", Category: "marketing_design", Wage: 500000, WageType: "flatfee", Region: "CA"},
		Start:      f.start.Add(7 * 24 * time.Hour).Unix(), End: f.start.Add(37 * 24 * time.Hour).Unix(),
		Metadata: vendors.Metadata{Contractor: map[string]string{"remote_contractor_id": "ctr_" + id}, Job: map[string]string{"contract_id": id},
			Quote: map[string]string{"contract_id": id}, Assignment: map[string]string{"contract_id": id}, Session: map[string]string{"contract_id": id},
			Certificate: map[string]string{"contract_id": id}},
	}
	f.platform.Put(e)
	return e
}

// at runs fn at a moment of workflow time after the start.
func (f *fixture) at(d time.Duration, fn func()) { f.env.RegisterDelayedCallback(fn, d) }

func (f *fixture) status() engagement.Status {
	v, err := f.env.QueryWorkflow(engagement.QueryStatus)
	require.NoError(f.t, err)
	var s engagement.Status
	require.NoError(f.t, v.Get(&s))
	return s
}

func (f *fixture) platformEvent(kind vendors.EventKind, id string, mutate ...func(*vendors.Event)) {
	ev := vendors.Event{Vendor: "remote", Kind: kind, EngagementID: "ct_1", EventID: id, OccurredAt: f.env.Now()}
	for _, m := range mutate {
		m(&ev)
	}
	f.env.SignalWorkflow(engagement.SignalPlatformEvent, ev)
}

// operator runs an operator action as the ingress does: an Update, which must be accepted.
func (f *fixture) operator(op engagement.OperatorAction) {
	f.env.UpdateWorkflow(engagement.UpdateOperatorAction, op.RequestID, &testsuite.TestUpdateCallback{
		OnReject: func(err error) { f.t.Errorf("operator %s refused: %v", op.Action, err) },
		OnAccept: func() {}, OnComplete: func(any, error) {}}, op)
}

// forward delivers the sandbox's new events as the ingress would.
func (f *fixture) forward() { f.forwardEdited(func(*engagement.PolicyEvent) {}) }

// forwardEdited delivers the sandbox's new events, each changed by edit first.
func (f *fixture) forwardEdited(edit func(*engagement.PolicyEvent)) {
	events := f.sim.Events()
	for _, ev := range events[f.forwarded:] {
		pe := engagement.PolicyEventFrom(ev, engagement.SourceWebhook)
		edit(&pe)
		f.env.SignalWorkflow(engagement.SignalPolicyEvent, pe)
	}
	f.forwarded = len(events)
}

func (f *fixture) completeApplication() {
	s := f.status()
	require.NotEmpty(f.t, s.Policy.SessionID, "no session to complete")
	require.NoError(f.t, f.sim.CompleteSession(s.Policy.SessionID))
	f.forward()
}

func (f *fixture) run() engagement.Status {
	f.env.ExecuteWorkflow(EngagementWorkflow, EngagementInput{Start: engagement.Start{Vendor: "remote", EngagementID: "ct_1"}})
	require.True(f.t, f.env.IsWorkflowCompleted())
	require.NoError(f.t, f.env.GetWorkflowError())
	var s engagement.Status
	require.NoError(f.t, f.env.GetWorkflowResult(&s))
	return s
}

func (f *fixture) posts(path string) []policysim.LoggedRequest {
	var out []policysim.LoggedRequest
	for _, r := range f.sim.Requests() {
		if r.Method == "POST" && r.Path == "/api/v1"+path && r.Status < 300 {
			out = append(out, r)
		}
	}
	return out
}

func causes(s engagement.Status) string {
	var b strings.Builder
	for _, t := range s.Transitions {
		b.WriteString(string(t.From) + "->" + string(t.To) + ": " + t.Cause + "\n")
	}
	return b.String()
}

func statuses(s engagement.Status) []engagement.CoverageStatus {
	var out []engagement.CoverageStatus
	for _, t := range s.Transitions {
		if t.From != t.To {
			out = append(out, t.To)
		}
	}
	return out
}

func TestFirstTimeContractorIsInsuredAfterApplication(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	var mid engagement.Status
	f.at(time.Hour, func() { mid = f.status(); f.completeApplication() })
	f.at(40*24*time.Hour, func() {}) // past the end date
	final := f.run()

	assert.Equal(t, engagement.StatusAwaitingApplication, mid.CoverageStatus, causes(mid))
	assert.Contains(t, mid.Policy.SessionURL, "/apply/")
	assert.Equal(t, []engagement.CoverageStatus{engagement.StatusAwaitingApplication, engagement.StatusApplicationInProgress, engagement.StatusInsured, engagement.StatusEnded}, statuses(final), causes(final))
	assert.NotEmpty(t, final.Policy.PolicyID)

	// Exactly one of each object, with the guide's key and proxy email, exact cents and the window.
	cons := f.posts("/contractors")
	require.Len(t, cons, 1)
	assert.Equal(t, "remote-contractor-ctr_ct_1", cons[0].Header(pc.HeaderIdempotentKey))
	assert.Contains(t, cons[0].Body, `"email":"remote-ctr_ct_1@relay.example.com"`)
	jobs := f.posts("/jobs")
	require.Len(t, jobs, 1)
	assert.Contains(t, jobs[0].Body, `"wage":500000`)
	assert.Contains(t, jobs[0].Body, `"engagement_key":"engagement:remote:ct_1"`)
	quotes := f.posts("/quotes")
	require.Len(t, quotes, 1)
	assert.Equal(t, "engagement:remote:ct_1/quote-1/g0", quotes[0].Header(pc.HeaderIdempotentKey))
	assert.Len(t, f.posts("/apply/sessions"), 1)
	assert.Empty(t, f.posts("/assignments"))
}

func TestReturningContractorGetsAssignment(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "Back@Example.com")
	con, err := f.client.CreateContractor(context.Background(), "seed", pc.Contractor{FirstName: "J", LastName: "C", Email: "back@example.com"})
	require.NoError(t, err)
	_, err = f.sim.SeedPolicy(pc.Policy{Contractor: con.ID})
	require.NoError(t, err)
	var mid engagement.Status
	f.at(time.Hour, func() { mid = f.status() })
	f.at(40*24*time.Hour, func() {})
	final := f.run()

	assert.Equal(t, engagement.StatusInsured, mid.CoverageStatus, causes(mid))
	assert.Equal(t, con.ID, mid.Policy.ContractorID, "found by lower-cased email")
	assert.NotEmpty(t, mid.Policy.AssignmentID)
	assert.Empty(t, f.posts("/quotes"))
	assert.Empty(t, f.posts("/apply/sessions"))
	assert.Len(t, f.posts("/contractors"), 1, "only the seed: the contractor was updated, not created")
	assert.Equal(t, engagement.StatusEnded, final.CoverageStatus)
}

func TestIneligibleAssignmentFallsBackToQuoteAndSession(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "known@example.com")
	_, err := f.client.CreateContractor(context.Background(), "seed", pc.Contractor{FirstName: "J", LastName: "C", Email: "known@example.com"})
	require.NoError(t, err)
	var mid engagement.Status
	f.at(time.Hour, func() { mid = f.status(); f.platformEvent(vendors.KindCancel, "cancel-1") })
	final := f.run()
	assert.Equal(t, engagement.StatusAwaitingApplication, mid.CoverageStatus, causes(mid))
	assert.Contains(t, causes(mid), "assignment ineligible")
	assert.Len(t, f.posts("/quotes"), 1)
	assert.Len(t, f.posts("/apply/sessions"), 1)
	assert.Equal(t, engagement.StatusCanceled, final.CoverageStatus)
}

func TestQuoteSaysMatchingPolicyGoesToAssignment(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	// The contractor gets a policy between contractor creation and the quote.
	f.acts.Mapping.DefaultEntity = "en_1"
	f.env.OnActivity(f.acts.CreateQuote, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.CoverageInput) (activities.CoverageOutput, error) {
			_, err := f.sim.SeedPolicy(pc.Policy{Contractor: in.ContractorID})
			require.NoError(t, err)
			return f.acts.CreateQuote(ctx, in)
		}).Once()
	var mid engagement.Status
	f.at(time.Hour, func() { mid = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.Equal(t, engagement.StatusInsured, mid.CoverageStatus, causes(mid))
	assert.NotEmpty(t, mid.Policy.AssignmentID)
	assert.Empty(t, f.posts("/apply/sessions"))
}

// Duplicates are dropped; a body's timestamp orders nothing (vendors.md Common rules): an old
// one and a future one each re-read the record, and the future one freezes no later update.
func TestDuplicatesDroppedAndBodyTimesOrderNothing(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	f.at(time.Hour, func() {
		f.platformEvent(vendors.KindUpdate, "up-1")
		f.platformEvent(vendors.KindUpdate, "up-1") // duplicate delivery
	})
	f.at(2*time.Hour, func() {
		f.platformEvent(vendors.KindUpdate, "up-old", func(e *vendors.Event) { e.OccurredAt = f.start.Add(-time.Hour) })
	})
	f.at(3*time.Hour, func() {
		f.platformEvent(vendors.KindUpdate, "up-future", func(e *vendors.Event) { e.OccurredAt = f.start.AddDate(1, 0, 0) })
	})
	f.at(4*time.Hour, func() {
		f.platform.Update("ct_1", func(x *vendors.Engagement) { x.Terminal, x.Status = vendors.KindCancel, "deleted" })
		f.platformEvent(vendors.KindUpdate, "up-now")
	})
	final := f.run()
	assert.Equal(t, 5, f.platform.Fetches("ct_1"), "initial sync + up-1, up-old, up-future and up-now; the duplicate fetches nothing")
	assert.Equal(t, engagement.StatusCanceled, final.CoverageStatus, "the update after a future-dated one was applied: %s", causes(final))
}

func TestDateChangeBeforeBindingUpdatesQuote(t *testing.T) {
	f := newFixture(t)
	e := f.engagement("ct_1", "")
	newEnd := e.End + 10*24*3600
	f.at(time.Hour, func() {
		f.platform.Update("ct_1", func(x *vendors.Engagement) { x.End = newEnd })
		f.platformEvent(vendors.KindUpdate, "up-1")
	})
	var mid engagement.Status
	f.at(2*time.Hour, func() { mid = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.Equal(t, newEnd, mid.CoverageEnd)
	q, err := f.client.GetQuote(context.Background(), mid.Policy.QuoteID)
	require.NoError(t, err)
	assert.EqualValues(t, newEnd, q.EndDate, "the unbound quote follows the new end date")
}

func TestDateChangeAfterBindingUpdatesAssignment(t *testing.T) {
	f := newFixture(t)
	e := f.engagement("ct_1", "r@example.com")
	con, err := f.client.CreateContractor(context.Background(), "seed", pc.Contractor{FirstName: "J", LastName: "C", Email: "r@example.com"})
	require.NoError(t, err)
	_, err = f.sim.SeedPolicy(pc.Policy{Contractor: con.ID})
	require.NoError(t, err)
	newStart, newEnd := e.Start+24*3600, e.End+5*24*3600
	f.at(time.Hour, func() {
		f.platform.Update("ct_1", func(x *vendors.Engagement) { x.Start, x.End = newStart, newEnd })
		f.platformEvent(vendors.KindUpdate, "up-1")
	})
	var mid engagement.Status
	f.at(2*time.Hour, func() { mid = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	require.NotEmpty(t, mid.Policy.AssignmentID)
	var body string
	for _, r := range f.sim.Requests() {
		if r.Method == "PUT" && strings.HasPrefix(r.Path, "/api/v1/assignments/") {
			body = r.Body
		}
	}
	assert.Contains(t, body, `"end_date":`)
	assert.Equal(t, newEnd, mid.CoverageEnd)
	assert.Contains(t, causes(mid), "coverage window moved")
}

func TestPolicyCancelledMarksUnprotectedAndRebinds(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	f.at(time.Hour, func() { f.completeApplication() })
	var afterCancel engagement.Status
	f.at(2*time.Hour, func() {
		require.NoError(t, f.sim.CancelPolicy(f.status().Policy.PolicyID))
		f.forward()
	})
	f.at(3*time.Hour, func() { afterCancel = f.status(); f.completeApplication() })
	var rebound engagement.Status
	f.at(4*time.Hour, func() { rebound = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.Equal(t, engagement.StatusUnprotected, afterCancel.CoverageStatus, causes(afterCancel))
	assert.NotEmpty(t, afterCancel.Policy.SessionURL, "the new session url is in the state")
	quotes := f.posts("/quotes")
	require.Len(t, quotes, 2)
	assert.Equal(t, "engagement:remote:ct_1/quote-2/g0", quotes[1].Header(pc.HeaderIdempotentKey))
	assert.Equal(t, engagement.StatusInsured, rebound.CoverageStatus, causes(rebound))
}

func TestPolicyExpiryBeforeEndRebinds(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	f.at(time.Hour, func() {
		s := f.status()
		require.NoError(t, f.sim.CompleteSession(s.Policy.SessionID))
		// Deliver policy.active with an expiration 10 days after the start, before the end.
		f.forwardEdited(func(pe *engagement.PolicyEvent) {
			if pe.Type == pc.EventPolicyActive {
				pe.ExpirationDate = f.start.Add(17 * 24 * time.Hour).Unix()
			}
		})
	})
	f.at(16*24*time.Hour, func() { require.NoError(t, f.sim.ExpirePolicy(f.status().Policy.PolicyID)) })
	var expired engagement.Status
	f.at(18*24*time.Hour, func() { expired = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.Equal(t, engagement.StatusUnprotected, expired.CoverageStatus, "%s", causes(expired))
	assert.Contains(t, causes(expired), "expired")
	assert.Len(t, f.posts("/quotes"), 2)
}

func TestUncoveredStartDateIsUnprotected(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	var atStart engagement.Status
	f.at(7*24*time.Hour+time.Minute, func() { atStart = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	final := f.run()
	assert.Equal(t, engagement.StatusUnprotected, atStart.CoverageStatus, causes(atStart))
	assert.Contains(t, causes(atStart), "start date reached without coverage")
	assert.Equal(t, engagement.StatusEnded, final.CoverageStatus, "a cancel after the start date ends in ENDED")
	// Sent to 1099Policy: one quote; the first session and a fresh one at each 48 h reminder
	// before the start (48, 96, 144 h); never an assignment.
	assert.Len(t, f.posts("/quotes"), 1)
	assert.Len(t, f.posts("/apply/sessions"), 4)
	assert.Empty(t, f.posts("/assignments"))
}

// SPEC §2: an application in manual review shows MANUAL_REVIEW; approval returns it to
// APPLICATION_IN_PROGRESS, and the policy makes it INSURED, with no second session.
func TestManualReviewThenApprovedThenInsured(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	var review, approved engagement.Status
	review_ := func(eventType, id string) {
		s := f.status()
		f.env.SignalWorkflow(engagement.SignalPolicyEvent, engagement.PolicyEvent{EventID: id, Type: eventType, ObjectID: s.Policy.SessionID, QuoteID: s.Policy.QuoteID})
	}
	f.at(time.Hour, func() { review_(pc.EventApplicationManualReview, "ev_review") })
	// The review takes longer than the 48 h reminder: the submitted application is not replaced.
	f.at(60*time.Hour, func() { review = f.status(); review_(pc.EventApplicationReviewApproved, "ev_approved") })
	f.at(61*time.Hour, func() { approved = f.status(); f.completeApplication() })
	f.at(40*24*time.Hour, func() {})
	final := f.run()
	assert.Equal(t, engagement.StatusManualReview, review.CoverageStatus, causes(review))
	assert.Equal(t, engagement.StatusApplicationInProgress, approved.CoverageStatus, causes(approved))
	assert.Equal(t, []engagement.CoverageStatus{engagement.StatusAwaitingApplication, engagement.StatusManualReview, engagement.StatusApplicationInProgress, engagement.StatusInsured, engagement.StatusEnded},
		statuses(final), causes(final))
	assert.Len(t, f.posts("/quotes"), 1)
	assert.Len(t, f.posts("/apply/sessions"), 1, "manual review is no reason for a new session")
}

func TestSessionReminderIssuesFreshSession(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	var first, later engagement.Status
	f.at(time.Hour, func() { first = f.status() })
	f.at(50*time.Hour, func() { later = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	require.NotEmpty(t, first.Policy.SessionID)
	assert.NotEqual(t, first.Policy.SessionID, later.Policy.SessionID)
	assert.Len(t, f.posts("/apply/sessions"), 2)
	assert.Len(t, f.posts("/apply/sessions/"+first.Policy.SessionID+"/expire"), 1)
}

func TestEndBeforeStartCancelsAssignment(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "r@example.com")
	con, _ := f.client.CreateContractor(context.Background(), "seed", pc.Contractor{FirstName: "J", LastName: "C", Email: "r@example.com"})
	_, err := f.sim.SeedPolicy(pc.Policy{Contractor: con.ID})
	require.NoError(t, err)
	f.at(time.Hour, func() { f.platformEvent(vendors.KindCancel, "c") })
	final := f.run()
	assert.Equal(t, engagement.StatusCanceled, final.CoverageStatus, causes(final))
	assert.Len(t, f.posts("/assignments/cancel"), 1)
}

func TestEndAfterStartMovesAssignmentEnd(t *testing.T) {
	f := newFixture(t)
	e := f.engagement("ct_1", "r@example.com")
	con, _ := f.client.CreateContractor(context.Background(), "seed", pc.Contractor{FirstName: "J", LastName: "C", Email: "r@example.com"})
	_, err := f.sim.SeedPolicy(pc.Policy{Contractor: con.ID})
	require.NoError(t, err)
	f.at(10*24*time.Hour, func() { f.platformEvent(vendors.KindEnd, "end") })
	final := f.run()
	assert.Equal(t, engagement.StatusEnded, final.CoverageStatus, causes(final))
	assert.Less(t, final.CoverageEnd, e.End)
	assert.Empty(t, f.posts("/assignments/cancel"))
	assert.Contains(t, causes(final), "assignment end date moved")
}

func (f *fixture) uploadCOI(eventID, docID, fileName string) {
	f.platform.PutDocument(docID, vendors.Document{FileName: fileName, ContentType: "application/pdf", Data: []byte("%PDF-1.4 coi")})
	f.platformEvent(vendors.KindCOI, eventID, func(e *vendors.Event) { e.DocumentID = docID })
}

func TestCertificateApprovedCoversEngagement(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	f.at(time.Hour, func() { f.uploadCOI("coi-1", "doc_1", "coi.pdf") })
	var pending, approved engagement.Status
	f.at(90*time.Minute, func() {
		pending = f.status()
		require.NoError(t, f.sim.ReviewCertificate(pending.Policy.CertificateID, pc.CertificateApproved))
		f.forward()
	})
	f.at(2*time.Hour, func() { approved = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.Equal(t, engagement.CertificatePending, pending.CertificateStatus)
	assert.Equal(t, engagement.CertificateApproved, approved.CertificateStatus)
	assert.Equal(t, engagement.StatusInsured, approved.CoverageStatus, causes(approved))
	require.Len(t, f.posts("/files/certificates"), 1)
	assert.Contains(t, f.posts("/files/certificates")[0].Body, `name="custom_metadata[contract_id]"`)
}

func TestCertificateFlaggedThenOperatorApproves(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	f.at(time.Hour, func() { f.uploadCOI("coi-1", "doc_1", "coi-flag.pdf") })
	var flagged, decided engagement.Status
	f.at(90*time.Minute, func() {
		require.NoError(t, f.sim.ReviewCertificate(f.status().Policy.CertificateID, pc.CertificateFlagged))
		f.forward()
	})
	f.at(2*time.Hour, func() {
		flagged = f.status()
		f.operator(engagement.OperatorAction{Action: engagement.ActionApproveCertificate, RequestID: "op-1", Note: "checked by hand"})
	})
	f.at(3*time.Hour, func() { decided = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.Equal(t, engagement.CertificateFlagged, flagged.CertificateStatus)
	assert.Equal(t, engagement.CertificateApproved, decided.CertificateStatus)
	assert.Equal(t, engagement.StatusInsured, decided.CoverageStatus)
	assert.Contains(t, causes(decided), "approved by an operator: checked by hand")
}

func TestCertificateDeniedAndOperatorReject(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	f.at(time.Hour, func() { f.uploadCOI("coi-1", "doc_1", "coi.pdf") })
	var denied engagement.Status
	f.at(90*time.Minute, func() {
		require.NoError(t, f.sim.ReviewCertificate(f.status().Policy.CertificateID, pc.CertificateDenied))
		f.forward()
	})
	f.at(2*time.Hour, func() { denied = f.status() })
	f.at(3*time.Hour, func() { f.uploadCOI("coi-2", "doc_2", "coi2.pdf") })
	var rejected engagement.Status
	f.at(4*time.Hour, func() {
		f.operator(engagement.OperatorAction{Action: engagement.ActionRejectCertificate, RequestID: "op-reject"})
	})
	f.at(5*time.Hour, func() { rejected = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.Equal(t, engagement.CertificateDenied, denied.CertificateStatus)
	assert.Equal(t, engagement.StatusAwaitingApplication, denied.CoverageStatus, "a denied COI covers nothing")
	assert.Equal(t, engagement.CertificateDenied, rejected.CertificateStatus)
	assert.Contains(t, causes(rejected), "rejected by an operator")
}

func TestCertificatePolledWhenNoWebhookComes(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	f.at(time.Hour, func() { f.uploadCOI("coi-1", "doc_1", "coi-slow.pdf") })
	// Reviewed at 1099Policy, but the webhook is lost (never forwarded).
	f.at(90*time.Minute, func() {
		require.NoError(t, f.sim.ReviewCertificate(f.status().Policy.CertificateID, pc.CertificateApproved))
	})
	var before, after engagement.Status
	f.at(2*time.Hour, func() { before = f.status() })
	f.at(4*time.Hour, func() { after = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.Equal(t, engagement.CertificatePending, before.CertificateStatus)
	assert.Equal(t, engagement.CertificateApproved, after.CertificateStatus, "polled 2 h after the upload")
}

func TestInvoiceRecordedOnce(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	f.platform.PutInvoice(vendors.Invoice{ID: "inv_1", GrossPay: 120000, PeriodStart: f.start.Unix(), PeriodEnd: f.start.Add(24 * time.Hour).Unix()})
	invoice := func(eventID string) {
		f.platformEvent(vendors.KindInvoice, eventID, func(e *vendors.Event) { e.InvoiceID = "inv_1" })
	}
	f.at(time.Hour, func() { invoice("paid-1"); invoice("paid-1") })
	f.at(2*time.Hour, func() { invoice("paid-1-resent-with-new-id") })
	var mid engagement.Status
	f.at(3*time.Hour, func() { mid = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	invs := f.posts("/invoices")
	require.Len(t, invs, 1)
	assert.Contains(t, invs[0].Body, `"gross_pay":120000`)
	assert.Len(t, mid.Policy.InvoiceIDs, 1)
}

func TestMissingMappingParksUntilOperatorRetry(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	f.acts.Mapping = config.Mapping{DefaultEntity: "en_1"} // no category mapping, no default
	var parked, retried engagement.Status
	f.at(time.Hour, func() {
		parked = f.status()
		f.acts.Mapping.Categories = map[string]string{"remote/marketing_design": "jc_MARKETING"} // the operator fixes the mapping
		f.operator(engagement.OperatorAction{Action: engagement.ActionRetry, RequestID: "op-retry"})
	})
	f.at(2*time.Hour, func() { retried = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.Equal(t, engagement.StatusNeedsAttention, parked.CoverageStatus)
	assert.Contains(t, parked.AttentionReason, `no category mapping for "remote/marketing_design"`)
	assert.Equal(t, engagement.StatusAwaitingApplication, retried.CoverageStatus, causes(retried))
	assert.Empty(t, retried.AttentionReason)
	jobs := f.posts("/jobs")
	require.Len(t, jobs, 1)
	assert.Contains(t, jobs[0].Body, `"category_code":"jc_MARKETING"`)
}

func TestWindowBeyondAYearIsCoveredForTheHorizon(t *testing.T) {
	f := newFixture(t)
	e := f.engagement("ct_1", "")
	f.platform.Update("ct_1", func(x *vendors.Engagement) { x.End = e.Start + 400*24*3600 }) // more than a year
	var waiting engagement.Status
	f.at(time.Hour, func() { waiting = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	final := f.run()
	assert.Equal(t, engagement.StatusAwaitingApplication, waiting.CoverageStatus, causes(waiting))
	assert.Equal(t, e.Start+90*24*3600, waiting.CoverageEnd, "SPEC §2 step 4: covered for COVERAGE_HORIZON (90 days by default)")
	quotes := f.posts("/quotes")
	require.Len(t, quotes, 1)
	assert.Contains(t, quotes[0].Body, fmt.Sprintf(`"end_date":%d`, e.Start+90*24*3600))
	assert.Equal(t, engagement.StatusCanceled, final.CoverageStatus)
}

func TestOutOfScopeRecordEndsWithoutObjects(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	f.platform.Update("ct_1", func(x *vendors.Engagement) { x.OutOfScope = "W-2 placement" })
	final := f.run()
	assert.Equal(t, engagement.StatusEnded, final.CoverageStatus)
	assert.Contains(t, causes(final), "out of scope: W-2 placement")
	assert.Empty(t, f.posts("/contractors"))
}

func TestContinueAsNewKeepsStateAndDedupe(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	f.at(time.Hour, func() { f.platformEvent(vendors.KindUpdate, "up-1") })
	f.env.ExecuteWorkflow(EngagementWorkflow, EngagementInput{Start: engagement.Start{Vendor: "remote", EngagementID: "ct_1"},
		ContinueAsNewAfterUpdate: true})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(f.env.GetWorkflowError(), &can), "got %v", f.env.GetWorkflowError())
	var next EngagementInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(t, next.Carried)
	assert.Equal(t, engagement.StatusAwaitingApplication, next.Carried.State.CoverageStatus)
	assert.Contains(t, next.Carried.Seen, "platform:up-1")

	// The next run keeps the state and still drops the event it has seen.
	require.False(t, next.ContinueAsNewAfterUpdate)
	g := newFixture(t)
	g.sim, g.client, g.platform, g.acts = f.sim, f.client, f.platform, f.acts
	g2 := g.suite.NewTestWorkflowEnvironment()
	g2.RegisterWorkflow(EngagementWorkflow)
	g2.RegisterActivity(f.acts)
	g2.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(nil)
	g2.SetStartTime(f.start.Add(2 * time.Hour))
	fetchesBefore := f.platform.Fetches("ct_1")
	g2.RegisterDelayedCallback(func() {
		g2.SignalWorkflow(engagement.SignalPlatformEvent, vendors.Event{Kind: vendors.KindUpdate, EngagementID: "ct_1", EventID: "up-1"})
	}, time.Minute)
	g2.RegisterDelayedCallback(func() {
		g2.SignalWorkflow(engagement.SignalPlatformEvent, vendors.Event{Kind: vendors.KindCancel, EngagementID: "ct_1", EventID: "c"})
	}, time.Hour)
	g2.ExecuteWorkflow(EngagementWorkflow, next)
	require.NoError(t, g2.GetWorkflowError())
	var final engagement.Status
	require.NoError(t, g2.GetWorkflowResult(&final))
	assert.Equal(t, fetchesBefore, f.platform.Fetches("ct_1"), "up-1 was seen before continue-as-new")
	assert.Equal(t, next.Carried.State.Policy.QuoteID, final.Policy.QuoteID)
	assert.Equal(t, engagement.StatusCanceled, final.CoverageStatus)
	assert.Len(t, f.posts("/quotes"), 1, "no second quote after continue-as-new")
}

func TestOpenEndedEngagementIsExtendedAtTheHorizon(t *testing.T) {
	f := newFixture(t)
	e := f.engagement("ct_1", "open@example.com")
	f.platform.Update("ct_1", func(x *vendors.Engagement) { x.End = 0 }) // no end date
	con, err := f.client.CreateContractor(context.Background(), "seed", pc.Contractor{FirstName: "J", LastName: "C", Email: "open@example.com"})
	require.NoError(t, err)
	_, err = f.sim.SeedPolicy(pc.Policy{Contractor: con.ID})
	require.NoError(t, err)
	const dayS = int64(24 * 3600)
	var first, extended engagement.Status
	f.at(time.Hour, func() { first = f.status() })
	// 90-day horizon from the start (7 days out); extended 14 days before it lapses.
	f.at(time.Duration(7+90-14)*24*time.Hour+time.Hour, func() { extended = f.status() })
	f.at(100*24*time.Hour, func() { f.platformEvent(vendors.KindEnd, "end") })
	final := f.run()

	assert.Equal(t, engagement.StatusInsured, first.CoverageStatus, causes(first))
	assert.Equal(t, e.Start+90*dayS, first.CoverageEnd, "covered for the horizon")
	asg := f.posts("/assignments")
	require.NotEmpty(t, asg)
	assert.Contains(t, asg[0].Body, fmt.Sprintf(`"end_date":%d`, e.Start+90*dayS))
	ext := f.posts("/assignments/extend")
	require.Len(t, ext, 1, "one extension before the 100th day")
	assert.Contains(t, ext[0].Body, fmt.Sprintf(`"end_date":%d`, e.Start+180*dayS))
	assert.Equal(t, e.Start+180*dayS, extended.CoverageEnd)
	assert.Equal(t, engagement.StatusInsured, extended.CoverageStatus)
	assert.Equal(t, engagement.StatusEnded, final.CoverageStatus)
}

// TestReplayedServerErrorLooksUpThenUsesANewKey: 1099Policy stores a 5xx under its
// idempotency key and replays it (SPEC §2 step 3). The retry looks the job up by its
// engagement key first; only when it is not there is the create sent under a new key.
func TestReplayedServerErrorLooksUpThenUsesANewKey(t *testing.T) {
	for _, executed := range []bool{false, true} {
		t.Run(fmt.Sprintf("work done before the failure: %v", executed), func(t *testing.T) {
			f := newFixture(t)
			f.engagement("ct_1", "")
			f.sim.AddFault(policysim.Fault{PathPrefix: "/api/v1/jobs", Status: 500, Count: 1, Stored: true, Executed: executed})
			var mid engagement.Status
			f.at(time.Hour, func() { mid = f.status(); f.platformEvent(vendors.KindCancel, "c") })
			f.run()
			assert.Equal(t, engagement.StatusAwaitingApplication, mid.CoverageStatus, causes(mid))
			assert.Equal(t, 1, f.sim.Counts().Jobs[engagement.WorkflowID("remote", "ct_1")], "one job in 1099Policy")
			posts := f.posts("/jobs")
			var keys []string
			for _, p := range f.sim.Requests() {
				if p.Method == "POST" && p.Path == "/api/v1/jobs" {
					keys = append(keys, p.Header("Ten99Policy-Idempotent-Key"))
				}
			}
			if executed {
				assert.Len(t, keys, 1, "the retry found the job: no second create")
			} else {
				require.Len(t, keys, 2)
				assert.Equal(t, keys[0]+"/attempt-2", keys[1], "a fresh key once the lookup found nothing")
				assert.NotEmpty(t, posts)
			}
		})
	}
}

func TestHorizonCountsFromNowWhenTheStartIsPast(t *testing.T) {
	f := newFixture(t)
	e := f.engagement("ct_1", "")
	const dayS = int64(24 * 3600)
	start := f.start.Unix() - 400*dayS
	f.platform.Update("ct_1", func(x *vendors.Engagement) { x.Start, x.End = start, f.start.Unix()+60*dayS })
	var waiting engagement.Status
	f.at(time.Hour, func() { waiting = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.Equal(t, f.start.Unix()+60*dayS, waiting.CoverageEnd, "60 days left: within a year of now, covered to the end")
	quotes := f.posts("/quotes")
	require.NotEmpty(t, quotes, causes(waiting))
	assert.Contains(t, quotes[0].Body, fmt.Sprintf(`"end_date":%d`, f.start.Unix()+60*dayS))
	_ = e
}

// An engagement parked for an operator still follows its platform: an update (a webhook hint)
// re-reads the record, and a record that shows the engagement over ends it.
func TestParkedEngagementEndsWhenItsRecordSaysSo(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	f.acts.Mapping = config.Mapping{DefaultEntity: "en_1"} // no category mapping: parks
	var parked, afterActiveHint engagement.Status
	f.at(time.Hour, func() {
		parked = f.status()
		f.platformEvent(vendors.KindUpdate, "hint-active") // the record still shows it in force
	})
	f.at(2*time.Hour, func() {
		afterActiveHint = f.status()
		f.platform.Update("ct_1", func(x *vendors.Engagement) { x.Terminal, x.Status = vendors.KindCancel, "deleted" })
		f.platformEvent(vendors.KindUpdate, "hint-cancelled")
	})
	final := f.run()
	assert.Equal(t, engagement.StatusNeedsAttention, parked.CoverageStatus)
	assert.Equal(t, engagement.StatusNeedsAttention, afterActiveHint.CoverageStatus, "a hint alone changes nothing")
	assert.Equal(t, engagement.StatusCanceled, final.CoverageStatus, causes(final))
	assert.Contains(t, causes(final), "platform shows status deleted")
}
