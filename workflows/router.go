package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/engagement"
)

// ErrEventNotFound fails a refetch-mode router whose event 1099Policy does not have.
const ErrEventNotFound = "EventNotFound"

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
func PolicyEventRouterWorkflow(ctx workflow.Context, ev engagement.PolicyEvent) ([]string, error) {
	replay := workflow.GetSignalChannel(ctx, engagement.SignalReplay)
	started := workflow.Now(ctx)
	state := engagement.RoutingInProgress
	if err := workflow.SetQueryHandler(ctx, engagement.QueryRoutingState, func() (string, error) { return state, nil }); err != nil {
		return nil, err
	}
	defer func() { state = engagement.RoutingDone }()
	if ev.Refetch {
		fetched, err := execute(ctx, callKind, (*activities.Activities).FetchPolicyEvent,
			activities.FetchEventInput{EventID: ev.EventID, Source: ev.Source})
		if err != nil {
			return nil, err
		}
		if !fetched.Found {
			workflow.SetCurrentDetails(ctx, "1099Policy has no event "+ev.EventID+": a forged or mistaken webhook; nothing changed")
			// A failed run leaves the workflow id free (the start allows a duplicate of a failed
			// run only): the real event, once 1099Policy has it, is routed, not answered duplicate.
			if atLeast(ctx, versionRefetchNotFoundFrees) {
				return nil, temporal.NewNonRetryableApplicationError("1099Policy has no event "+ev.EventID+"; nothing changed", ErrEventNotFound, nil)
			}
			return []string{}, nil
		}
		ev = fetched.Event
		if !engagement.ActsOnPolicyEvent(ev.Type) {
			workflow.SetCurrentDetails(ctx, "no engagement acts on "+ev.Type+"; nothing changed")
			return []string{}, nil
		}
	}
	for {
		targets, err := execute(ctx, callKind, (*activities.Activities).ResolvePolicyEvent, activities.RouteInput{
			EventID: ev.EventID, Type: ev.Type, ObjectID: ev.ObjectID, QuoteID: ev.QuoteID, ContractorID: ev.ContractorID,
			EngagementKey: ev.EngagementKey,
		})
		if err == nil && len(targets.WorkflowIDs) > 0 {
			delivered := []string{}
			for _, id := range targets.WorkflowIDs {
				if workflow.SignalExternalWorkflow(ctx, id, "", engagement.SignalPolicyEvent, ev).Get(ctx, nil) == nil {
					delivered = append(delivered, id)
				}
			}
			workflow.SetCurrentDetails(ctx, "delivered to "+joinIDs(delivered))
			return delivered, nil
		}
		if workflow.Now(ctx).Sub(started) > RouterGiveUpAfter {
			return nil, err
		}
		state = engagement.RoutingParked
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
