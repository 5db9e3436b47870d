package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/coverage-orchestrator/coverage/activities"
)

// SignalReplay asks a parked policy-event router to try again now (operator action).
const SignalReplay = "replay"

// QueryRoutingState answers where a router stands: RoutingInProgress, RoutingParked or
// RoutingDone.
const QueryRoutingState = "routing-state"

// Routing states.
const (
	RoutingInProgress = "routing"
	RoutingParked     = "parked"
	RoutingDone       = "done"
)

// ErrEventNotFound fails a refetch-mode router whose event 1099Policy does not have.
const ErrEventNotFound = "EventNotFound"

// versionRefetchNotFoundFrees: from version 1 an event 1099Policy does not have fails the
// router (freeing its id) instead of completing it.
const versionRefetchNotFoundFrees = "refetch-not-found-frees-id"

// RouterRetryEvery is how often an unroutable event is tried again by itself.
const RouterRetryEvery = 10 * time.Minute

// RouterGiveUpAfter is how long an unroutable event is kept before the router fails (visible
// as a failed workflow with the event as its input, replayable by resetting it).
const RouterGiveUpAfter = 7 * 24 * time.Hour

// PolicyEventRouterWorkflow delivers one 1099Policy event to every engagement it concerns,
// when the payload alone does not say (a policy with only its quote id, a certificate with its
// contractor id, a contractor-wide cancellation). It reads 1099Policy and the engagements'
// search attributes, signals each engagement, and when nothing matches yet it stays parked,
// visible in the UI, retrying every RouterRetryEvery or at once on a "replay" signal.
//
// In refetch mode (POLICY_WEBHOOK_VERIFY=refetch) the router first reads the event from
// 1099Policy by its id, so only an event that exists in the account is ever acted on.
func PolicyEventRouterWorkflow(ctx workflow.Context, ev PolicyEvent) ([]string, error) {
	replay := workflow.GetSignalChannel(ctx, SignalReplay)
	started := workflow.Now(ctx)
	state := RoutingInProgress
	if err := workflow.SetQueryHandler(ctx, QueryRoutingState, func() (string, error) { return state, nil }); err != nil {
		return nil, err
	}
	defer func() { state = RoutingDone }()
	if ev.Refetch {
		var fetched activities.FetchEventOutput
		if err := workflow.ExecuteActivity(callOptions(ctx), (*activities.Activities).FetchPolicyEvent,
			activities.FetchEventInput{EventID: ev.EventID, Source: ev.Source}).Get(ctx, &fetched); err != nil {
			return nil, err
		}
		if !fetched.Found {
			workflow.SetCurrentDetails(ctx, "1099Policy has no event "+ev.EventID+": a forged or mistaken webhook; nothing changed")
			// A failed run leaves the workflow id free (the start allows a duplicate of a failed
			// run only): the real event, once 1099Policy has it, is routed, not answered duplicate.
			if workflow.GetVersion(ctx, versionRefetchNotFoundFrees, workflow.DefaultVersion, 1) == 1 {
				return nil, temporal.NewNonRetryableApplicationError("1099Policy has no event "+ev.EventID+"; nothing changed", ErrEventNotFound, nil)
			}
			return []string{}, nil
		}
		ev = fetched.Event
		if !ActsOnPolicyEvent(ev.Type) {
			workflow.SetCurrentDetails(ctx, "no engagement acts on "+ev.Type+"; nothing changed")
			return []string{}, nil
		}
	}
	for {
		var targets activities.RouteOutput
		err := workflow.ExecuteActivity(callOptions(ctx), (*activities.Activities).ResolvePolicyEvent, activities.RouteInput{
			EventID: ev.EventID, Type: ev.Type, ObjectID: ev.ObjectID, QuoteID: ev.QuoteID, ContractorID: ev.ContractorID,
			EngagementKey: ev.EngagementKey,
		}).Get(ctx, &targets)
		if err == nil && len(targets.WorkflowIDs) > 0 {
			delivered := []string{}
			for _, id := range targets.WorkflowIDs {
				if workflow.SignalExternalWorkflow(ctx, id, "", SignalPolicyEvent, ev).Get(ctx, nil) == nil {
					delivered = append(delivered, id)
				}
			}
			workflow.SetCurrentDetails(ctx, "delivered to "+joinIDs(delivered))
			return delivered, nil
		}
		if workflow.Now(ctx).Sub(started) > RouterGiveUpAfter {
			return nil, err
		}
		state = RoutingParked
		workflow.SetCurrentDetails(ctx, "**parked**: no engagement found for "+ev.Type+" "+ev.ObjectID+
			"; retrying every 10 minutes, or signal `replay`")
		workflow.NewSelector(ctx).
			AddReceive(replay, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) }).
			AddFuture(workflow.NewTimer(ctx, RouterRetryEvery), func(workflow.Future) {}).
			Select(ctx)
	}
}

func joinIDs(ids []string) string {
	out := ""
	for i, id := range ids {
		if i > 0 {
			out += ", "
		}
		out += id
	}
	if out == "" {
		return "no running engagement"
	}
	return out
}
