// Package activities holds every call the engagement workflow makes to an outside system.
// Each activity makes one logical call, takes one input struct and returns one output struct;
// idempotency keys come from the workflow, derived from its ID and the step, never random.
package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"

	"github.com/coverage-orchestrator/coverage/config"
	"github.com/coverage-orchestrator/coverage/notify"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// Activities has the clients every activity uses; register one instance with the worker.
type Activities struct {
	Policy           *pc.Client
	Vendors          vendors.Registry
	Mapping          config.Mapping
	ProxyEmailDomain string
	SessionSuccess   string // URL template with {vendor} and {engagement_id}
	SessionCancel    string
	// Temporal and TaskQueue reach the engagements: the pollers and the backfill hand what they
	// find to the same engagement.Deliver* calls the webhook ingress makes.
	Temporal  client.Client
	TaskQueue string
	Now       func() time.Time
	// Notifier sends the company's notifications (nil or empty: none configured).
	Notifier *notify.Sender
	// ApplicationPendingAfter is how long a session may stay open before
	// engagement.application_pending is sent; handed to the workflow with each fetch.
	ApplicationPendingAfter time.Duration
	// PublishSourceVersions: the namespace has the optional SourceVersion search attribute
	// (startup.Service.SourceVersions).
	PublishSourceVersions bool
	// Horizon is COVERAGE_HORIZON: how long open-ended coverage runs before it is extended.
	Horizon time.Duration
}

func (a *Activities) settings() WorkerSettings {
	return WorkerSettings{ApplicationPendingAfter: a.ApplicationPendingAfter, Horizon: a.Horizon, NoNotifications: !a.Notifier.Enabled(),
		PublishSourceVersion: a.PublishSourceVersions}
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// EngagementKeyField is the custom_metadata key that holds the engagement's workflow ID.
const EngagementKeyField = pc.MetadataEngagementKey

// objectMetadata is the guide's custom_metadata plus the engagement key and the idempotency
// key, so an object can be found again by the engagement and step that created it.
func objectMetadata(m map[string]string, workflowID, key string) pc.Metadata {
	out := pc.Metadata{EngagementKeyField: workflowID}
	if key != "" {
		out[IdempotencyKeyField] = key
	}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// IdempotencyKeyField is the custom_metadata key holding the idempotency key an object was
// created with, so a retry can recognise exactly that object.
const IdempotencyKeyField = "idempotency_key"

// createdEarlier runs on retries only. It pages through the list (newest first, to the end)
// for an object this engagement's step created (engagement key and idempotency key in
// custom_metadata), so a retry never creates a second one. When there is none, the create is
// sent under a fresh idempotency key for this attempt: 1099Policy stores a 5xx answer under
// its key and replays it, so repeating the old key could never succeed. The step's own key
// stays in the object's metadata either way.
func (a *Activities) createdEarlier(ctx context.Context, workflowID, key string, list func(context.Context, pc.ListParams) ([]keyed, error)) (id, sendKey string, err error) {
	attempt := activity.GetInfo(ctx).Attempt
	if attempt <= 1 {
		return "", key, nil
	}
	p := pc.ListParams{Limit: 100}
	for {
		page, err := list(ctx, p)
		if err != nil {
			return "", "", classify(err)
		}
		if len(page) == 0 {
			return "", fmt.Sprintf("%s/attempt-%d", key, attempt), nil
		}
		for _, o := range page {
			if o.meta[EngagementKeyField] == workflowID && o.meta[IdempotencyKeyField] == key {
				return o.id, "", nil
			}
		}
		p.StartingAfter = page[len(page)-1].id
	}
}

type keyed struct {
	id   string
	meta pc.Metadata
}

func lister[T any](list func(context.Context, pc.ListParams) ([]T, error), fields func(T) keyed) func(context.Context, pc.ListParams) ([]keyed, error) {
	return func(ctx context.Context, p pc.ListParams) ([]keyed, error) {
		items, err := list(ctx, p)
		out := make([]keyed, len(items))
		for i, it := range items {
			out[i] = fields(it)
		}
		return out, err
	}
}

func jobLister(c *pc.Client) func(context.Context, pc.ListParams) ([]keyed, error) {
	return lister(c.ListJobs, func(j pc.Job) keyed { return keyed{j.ID, j.CustomMetadata} })
}

func quoteLister(c *pc.Client) func(context.Context, pc.ListParams) ([]keyed, error) {
	return lister(c.ListQuotes, func(q pc.Quote) keyed { return keyed{q.ID, q.CustomMetadata} })
}

func assignmentLister(c *pc.Client) func(context.Context, pc.ListParams) ([]keyed, error) {
	return lister(c.ListAssignments, func(a pc.Assignment) keyed { return keyed{a.ID, a.CustomMetadata} })
}

// resumeBatch runs step on each item, from where the last attempt's heartbeat stopped, and
// heartbeats the progress and the tally after each: a retried activity does not redo the
// items it already handed over.
func resumeBatch[T, Tally any](ctx context.Context, items []T, tally *Tally, step func(T) error) error {
	start := 0
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &start, tally)
	}
	for i := start; i < len(items); i++ {
		if err := step(items[i]); err != nil {
			return err
		}
		activity.RecordHeartbeat(ctx, i+1, *tally)
	}
	return nil
}
