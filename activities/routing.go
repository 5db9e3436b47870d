package activities

import (
	"context"
	"sort"
	"strings"

	"github.com/coverage-orchestrator/coverage/engagement"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// Routing of 1099Policy events whose payload does not name the engagement.

// RouteInput is a 1099Policy event to route.
type RouteInput struct {
	EventID       string
	Type          string
	ObjectID      string
	QuoteID       string
	ContractorID  string
	EngagementKey string
}

// RouteOutput lists the engagement workflows the event concerns.
type RouteOutput struct{ WorkflowIDs []string }

// ResolvePolicyEvent finds the engagements an event concerns: the engagement key in the
// payload, else the one stored on its quote; and for policy events every running engagement
// of the policy's contractor (an assignment rides on the contractor's policy).
func (a *Activities) ResolvePolicyEvent(ctx context.Context, in RouteInput) (RouteOutput, error) {
	ids := map[string]bool{}
	if in.EngagementKey != "" {
		ids[in.EngagementKey] = true
	}
	contractor := in.ContractorID
	if in.EngagementKey == "" && in.QuoteID != "" {
		q, err := a.Policy.GetQuote(ctx, in.QuoteID)
		if err != nil && !pc.IsNotFound(err) {
			return RouteOutput{}, classify(err)
		}
		if key := engagement.EngagementKey(q.CustomMetadata[EngagementKeyField]); key != "" {
			ids[key] = true
		}
		contractor = vendors.FirstNonEmpty(contractor, q.Contractor)
	}
	if contractor == "" && strings.HasPrefix(in.Type, "policy.") {
		p, err := a.Policy.GetPolicy(ctx, in.ObjectID)
		if err != nil && !pc.IsNotFound(err) {
			return RouteOutput{}, classify(err)
		}
		contractor = p.Contractor
	}
	if contractor != "" && (strings.HasPrefix(in.Type, "policy.") || len(ids) == 0) {
		running, err := a.runningEngagementsOf(ctx, contractor)
		if err != nil {
			return RouteOutput{}, err
		}
		for _, id := range running {
			ids[id] = true
		}
	}
	out := make([]string, 0, len(ids))
	for id := range ids {
		out = append(out, id)
	}
	sort.Strings(out)
	return RouteOutput{WorkflowIDs: out}, nil
}

func (a *Activities) runningEngagementsOf(ctx context.Context, contractorID string) ([]string, error) {
	return engagement.EngagementIDs(ctx, a.Temporal, engagement.Engagements().Running().Where(engagement.KeyPolicyContractorID, contractorID))
}

// FetchEventInput names an event to read from 1099Policy.
type FetchEventInput struct {
	EventID string `json:"event_id"`
	Source  string `json:"source"`
}

// FetchEventOutput is the event as 1099Policy stored it; Found is false when 1099Policy does
// not know the id (a forged or mistaken webhook).
type FetchEventOutput struct {
	Found bool                   `json:"found"`
	Event engagement.PolicyEvent `json:"event"`
}

// FetchPolicyEvent reads one event with the API key (GET /api/v1/events/{id}): in refetch mode
// this, not the webhook body, is what the engagement acts on.
func (a *Activities) FetchPolicyEvent(ctx context.Context, in FetchEventInput) (FetchEventOutput, error) {
	ev, err := a.Policy.GetEvent(ctx, in.EventID)
	if pc.IsNotFound(err) {
		return FetchEventOutput{}, nil
	}
	if err != nil {
		return FetchEventOutput{}, classify(err)
	}
	return FetchEventOutput{Found: true, Event: engagement.PolicyEventFrom(ev, in.Source)}, nil
}
