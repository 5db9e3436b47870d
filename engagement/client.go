package engagement

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// Client-side helpers: how the ingress and the poller hand events to Temporal. Both go
// through here, so a webhook and a poll of the same change reach the same workflow with the
// same dedupe key.

// Delivery outcomes.
const (
	Accepted = "accepted" // Temporal durably holds the signal (and started the workflow if new)
	Closed   = "closed"   // the engagement is over; nothing was changed
	// Duplicate: the same event was received before (its routing workflow exists).
	Duplicate = "duplicate"
	// Ignored: a 1099Policy event no engagement acts on; acknowledged without a signal.
	Ignored = "ignored"
	// KeptForReplay: a 1099Policy event no engagement matches yet; its router keeps it for
	// replay (answered "parked").
	KeptForReplay = "parked"
)

// RouteAnswerWait is how long a delivery waits for its router to route the event before
// answering: long enough for the usual case, so the answer can say parked.
const RouteAnswerWait = 2 * time.Second

// policyEventsActedOn are the 1099Policy event types an engagement acts on (handlers.go).
// Others (application.created, application.complete, …) are acknowledged as Ignored: a signal
// that changes nothing would still be a billable action and a history event.
var policyEventsActedOn = []string{
	pc.EventApplicationStarted, pc.EventApplicationManualReview, pc.EventApplicationReviewApproved,
	pc.EventApplicationExpired, pc.EventApplicationIneligible,
	pc.EventPolicyActive, pc.EventPolicyReactivated, pc.EventPolicyActiveMedia, pc.EventPolicyCancelled, pc.EventPolicyExpired,
	pc.EventAssignmentActive, pc.EventAssignmentCancelled,
	pc.EventCertificateApproved, pc.EventCertificateFlagged, pc.EventCertificateDenied, pc.EventCertificateError,
}

// ActsOnPolicyEvent reports whether an engagement acts on a 1099Policy event type.
func ActsOnPolicyEvent(eventType string) bool { return slices.Contains(policyEventsActedOn, eventType) }

// DeliverPlatformEvent signal-with-starts the engagement's workflow. A closed engagement is
// never restarted: the reuse policy rejects a second run and the answer is Closed.
func DeliverPlatformEvent(ctx context.Context, c client.Client, taskQueue string, ev vendors.Event) (string, error) {
	id := WorkflowID(ev.Vendor, ev.EngagementID)
	if ev.NoStart {
		return SignalEngagement(ctx, c, id, SignalPlatformEvent, ev)
	}
	err := signalWithStart(ctx, c, taskQueue, ev, enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
	if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return Closed, nil
	}
	if err != nil {
		return "", err
	}
	return Accepted, nil
}

// signalWithStart signals the engagement's workflow, starting it when no run is open and
// reuse allows a new one.
func signalWithStart(ctx context.Context, c client.Client, taskQueue string, ev vendors.Event, reuse enumspb.WorkflowIdReusePolicy) error {
	id := WorkflowID(ev.Vendor, ev.EngagementID)
	_, err := c.SignalWithStartWorkflow(ctx, id, SignalPlatformEvent, ev, client.StartWorkflowOptions{
		ID: id, TaskQueue: taskQueue, WorkflowIDReusePolicy: reuse,
		StaticSummary: ev.Vendor + " engagement " + ev.EngagementID,
		TypedSearchAttributes: temporal.NewSearchAttributes(KeyVendor.ValueSet(ev.Vendor), KeyEngagementID.ValueSet(ev.EngagementID),
			KeyCoverageStatus.ValueSet(string(StatusPending)), KeyCertificateStatus.ValueSet(string(CertificateNone))),
	}, WorkflowEngagement, Start{Vendor: ev.Vendor, EngagementID: ev.EngagementID, StartedWithSearchAttributes: true})
	return err
}

// DeliverContractorUpdate hands a contractor change that names no engagement (a JobDiva
// candidate update) to every running engagement of that platform contractor, found by the
// SourceContractorID search attribute. It returns their workflow IDs (none: nothing to update).
func DeliverContractorUpdate(ctx context.Context, c client.Client, ev vendors.Event) ([]string, error) {
	ids, err := EngagementIDs(ctx, c, Engagements().Running().Where(KeyVendor, ev.Vendor).Where(KeySourceContractorID, ev.ContractorID))
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		one := ev
		_, one.EngagementID, _ = ParseWorkflowID(id)
		if _, err := SignalEngagement(ctx, c, id, SignalPlatformEvent, one); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// SignalEngagement signals a running engagement; one that is closed (or never existed)
// answers Closed.
func SignalEngagement(ctx context.Context, c client.Client, workflowID, signal string, payload any) (string, error) {
	err := c.SignalWorkflow(ctx, workflowID, "", signal, payload)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return Closed, nil
	}
	if err != nil {
		return "", err
	}
	return Accepted, nil
}

// DeliverPolicyEvent hands a 1099Policy event to Temporal; the webhook ingress and the events
// poller both go through here, so an event that arrives both ways takes the same path and is
// recognised by its id. An event that names its engagement and concerns only it is signalled
// directly; policy events (which may concern every engagement of the contractor), events
// without an engagement key and events still to be read from 1099Policy (refetch mode) go
// through the durable routing workflow. It returns the outcome and the workflow it reached.
func DeliverPolicyEvent(ctx context.Context, c client.Client, taskQueue string, ev PolicyEvent) (string, string, error) {
	if !ev.Refetch && !ActsOnPolicyEvent(ev.Type) {
		return Ignored, "", nil
	}
	if key := ev.EngagementKey; key != "" && !ev.Refetch && !strings.HasPrefix(ev.Type, "policy.") {
		outcome, err := SignalEngagement(ctx, c, key, SignalPolicyEvent, ev)
		return outcome, key, err
	}
	outcome, err := RoutePolicyEvent(ctx, c, taskQueue, ev)
	return outcome, PolicyEventWorkflowID(ev.EventID), err
}

// RoutePolicyEvent starts the durable routing step for a 1099Policy event whose payload does
// not name its engagement (or that may concern several). Its workflow ID is the event id, so
// a redelivered event is recognised: the answer is then Duplicate, without a second router.
func RoutePolicyEvent(ctx context.Context, c client.Client, taskQueue string, ev PolicyEvent) (string, error) {
	id := PolicyEventWorkflowID(ev.EventID)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: taskQueue, StaticSummary: routeSummary(ev),
		// a failed router (its event not found in refetch mode) leaves the id to the real event
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		// Without it the SDK hands back the existing run silently: a redelivery must be told apart.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, WorkflowPolicyEventRouter, ev)
	switch {
	case temporal.IsWorkflowExecutionAlreadyStartedError(err):
		return Duplicate, nil
	case err != nil:
		return "", err
	case ev.Refetch || ev.Source == SourceEventsPoller:
		// Read from 1099Policy first, or found by the poller: nobody waits for the answer.
		return Accepted, nil
	}
	// Temporal holds the event now; whether an engagement matches is known in a moment.
	wait, cancel := context.WithTimeout(ctx, RouteAnswerWait)
	defer cancel()
	if run.Get(wait, nil) == nil {
		return Accepted, nil
	}
	if v, err := c.QueryWorkflow(ctx, id, "", QueryRoutingState); err == nil {
		var state string
		if v.Get(&state) == nil && state == RoutingParked {
			return KeptForReplay, nil
		}
	}
	return Accepted, nil
}

// QueryEngagement reads an engagement's status; ok is false when it does not exist.
func QueryEngagement(ctx context.Context, c queryClient, vendor, engagementID string) (Status, bool, error) {
	var s Status
	found, err := queryEngagement(ctx, c, vendor, engagementID, QueryStatus, &s)
	return s, found, err
}

// queryClient is the part of the Temporal client a query needs.
type queryClient interface {
	QueryWorkflow(ctx context.Context, workflowID, runID, queryType string, args ...any) (converter.EncodedValue, error)
}

// queryEngagement runs one query of an engagement into out; false when it does not exist.
func queryEngagement(ctx context.Context, c queryClient, vendor, engagementID, query string, out any) (bool, error) {
	v, err := c.QueryWorkflow(ctx, WorkflowID(vendor, engagementID), "", query)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, v.Get(out)
}

func routeSummary(ev PolicyEvent) string {
	if ev.Refetch {
		return "read and route 1099Policy event " + ev.EventID
	}
	return "route " + ev.Type + " " + ev.ObjectID
}

// ErrUnknownEngagement is an operator action on an engagement that never existed.
var ErrUnknownEngagement = errors.New("unknown engagement")

// ActionRefusedError is an operator action that does not apply (the validator's reason).
type ActionRefusedError struct{ Reason string }

func (e *ActionRefusedError) Error() string { return e.Reason }

// ApplyOperatorAction runs an operator action as an Update (the request id is the Update ID,
// so a resent request counts once) and returns the engagement's status after it took effect.
// A refusal is an *ActionRefusedError; an engagement that never existed ErrUnknownEngagement.
func ApplyOperatorAction(ctx context.Context, c client.Client, workflowID string, op OperatorAction) (Status, error) {
	return update(ctx, c, workflowID, UpdateOperatorAction, op.RequestID, op)
}

// SupplyContractorDetails hands an engagement the contractor details the platform lacks.
func SupplyContractorDetails(ctx context.Context, c client.Client, workflowID, requestID string, d ContractorDetails) (Status, error) {
	return update(ctx, c, workflowID, UpdateContractorDetails, requestID, d)
}

// HandOverCertificate hands an engagement a certificate uploaded to 1099Policy for it.
func HandOverCertificate(ctx context.Context, c client.Client, workflowID, requestID string, cert CertificateUploaded) (Status, error) {
	return update(ctx, c, workflowID, UpdateCertificateUploaded, requestID, cert)
}

func update(ctx context.Context, c client.Client, workflowID, name, requestID string, arg any) (Status, error) {
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: workflowID, UpdateID: requestID,
		UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		var st Status
		if err = h.Get(ctx, &st); err == nil {
			return st, nil
		}
	}
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && ae.Type() == ErrNotApplicable {
		return Status{}, &ActionRefusedError{Reason: ae.Message()}
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		desc, derr := c.DescribeWorkflowExecution(ctx, workflowID, "")
		if errors.As(derr, &nf) {
			return Status{}, ErrUnknownEngagement
		}
		if derr == nil && desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			return Status{}, &ActionRefusedError{Reason: "the engagement has ended"}
		}
	}
	return Status{}, err
}
