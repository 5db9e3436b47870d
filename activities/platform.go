package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// The platform: its record of the engagement read and normalised, and its changes listed and
// handed to the engagements (the pollers).

// FetchEngagementInput names the engagement to read from its platform.
type FetchEngagementInput struct {
	Vendor       string
	EngagementID string
	Refs         map[string]string `json:",omitempty"` // keys beside the id (JobDiva's candidate and job)
}

// Fingerprint remembers what the platform last said, without personal data, so an update
// that changed nothing sends nothing.
type Fingerprint struct {
	Contractor string `json:"contractor"` // hash of the contractor fields
	Job        string `json:"job"`        // hash of the job fields
}

// WorkerSettings are the worker's settings the engagement's timers and notifications depend
// on. They reach the workflow only recorded in the history (with each fetch of the platform's
// record), so a changed setting never makes a replay take another path.
type WorkerSettings struct {
	// ApplicationPendingAfter is how long a session may stay open before
	// engagement.application_pending is sent.
	ApplicationPendingAfter time.Duration `json:"application_pending_after,omitempty"`
	// Horizon is COVERAGE_HORIZON.
	Horizon time.Duration `json:"horizon,omitempty"`
	// NoNotifications says the worker has no notification destination: the workflow then
	// queues none (each would be an activity that sends nothing).
	NoNotifications bool `json:"no_notifications,omitempty"`
	// PublishSourceVersion says the namespace has the SourceVersion search attribute: the
	// workflow publishes the version of the record it applied (without it, an upsert would fail
	// every workflow task; the pollers then signal every record, as before issue 25).
	PublishSourceVersion bool `json:"publish_source_version,omitempty"`
}

// FetchEngagementOutput is the normalised engagement and its fingerprint, with the worker's
// settings as of the read.
type FetchEngagementOutput struct {
	WorkerSettings
	Engagement  vendors.Engagement
	Fingerprint Fingerprint
}

// FetchEngagement reads and normalises the engagement from its platform.
func (a *Activities) FetchEngagement(ctx context.Context, in FetchEngagementInput) (FetchEngagementOutput, error) {
	ad, err := a.Vendors.Get(in.Vendor)
	if err != nil {
		return FetchEngagementOutput{}, classify(err)
	}
	var e vendors.Engagement
	if rf, ok := ad.(vendors.RefFetcher); ok {
		e, err = rf.FetchEngagementRefs(ctx, in.EngagementID, in.Refs)
	} else {
		e, err = ad.FetchEngagement(ctx, in.EngagementID)
	}
	if err != nil {
		return FetchEngagementOutput{}, classify(err)
	}
	e.Contractor.Email = vendors.ContractorEmail(e.Contractor.Email, in.Vendor, e.Contractor.SourceID, a.ProxyEmailDomain)
	e.CoverageTypes = a.Mapping.CoverageTypes(in.Vendor, e.Job.ClientID)
	return FetchEngagementOutput{Engagement: e, Fingerprint: Fingerprint{Contractor: hashOf(e.Contractor), Job: hashOf(e.Job)},
		WorkerSettings: a.settings()}, nil
}

func hashOf(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// ListChangesInput asks a platform for what changed since a watermark.
type ListChangesInput struct {
	Vendor string
	Since  time.Time
	// AwaitingApply are the event ids the last run delivered to running engagements that had
	// not yet published the version (ListChangesOutput.AwaitingApply).
	AwaitingApply []string `json:",omitempty"`
}

// ListChangesOutput is the changes as events, and the new watermark.
type ListChangesOutput struct {
	// Events are the changes to deliver: those of engagements that applied another version of
	// the record (or none yet), and those of records no engagement runs for.
	Events    []vendors.Event
	Watermark time.Time
	// Unchanged counts the records listed that their running engagement already applied, or
	// was handed in an earlier run and is still applying (left out: no signal, no workflow task).
	Unchanged int `json:",omitempty"`
	// AwaitingApply are the ids of the events handed (now or before) to running engagements
	// whose published version does not show them yet: the next run leaves them out, so a poll
	// that comes before the engagement has applied a change does not signal it twice.
	AwaitingApply []string `json:",omitempty"`
}

// ListPlatformChanges lists what changed on a platform since the watermark, keeping only what
// its engagements have not applied: the running engagements and the version of the record
// each last applied come from one visibility listing.
func (a *Activities) ListPlatformChanges(ctx context.Context, in ListChangesInput) (ListChangesOutput, error) {
	ad, err := a.Vendors.Get(in.Vendor)
	if err != nil {
		return ListChangesOutput{}, classify(err)
	}
	applied, err := engagement.RunningSourceVersions(ctx, a.Temporal, in.Vendor)
	if err != nil {
		return ListChangesOutput{}, err
	}
	var evs []vendors.Event
	var mark time.Time
	if rf, ok := ad.(vendors.Refresher); ok {
		// No listing of its own (Upwork): the running engagements are re-read.
		evs, mark = nil, a.now()
		if len(applied) > 0 {
			evs, err = rf.Refresh(ctx, slices.Sorted(maps.Keys(applied)))
		}
	} else {
		evs, mark, err = ad.ListChanges(ctx, in.Since)
	}
	if err != nil {
		return ListChangesOutput{}, classify(err)
	}
	out := ListChangesOutput{Watermark: mark}
	out.Events, out.AwaitingApply = notYetApplied(evs, applied, in.AwaitingApply)
	out.Unchanged = len(evs) - len(out.Events)
	return out, nil
}

// notYetApplied drops the events whose record version the engagement, running, already
// applied or was handed by an earlier run (awaiting, by event id: a poll event's id derives
// from the version). An event without a version, or for an engagement not running, is kept.
// It returns the events to deliver and the ids still awaiting their engagement.
func notYetApplied(evs []vendors.Event, applied map[string]string, awaiting []string) ([]vendors.Event, []string) {
	handed := make(map[string]bool, len(awaiting))
	for _, id := range awaiting {
		handed[id] = true
	}
	out := make([]vendors.Event, 0, len(evs))
	var still []string
	for _, ev := range evs {
		version, running := applied[ev.EngagementID]
		switch {
		case !running || ev.Version == "":
			out = append(out, ev)
		case ev.Version == version:
		case handed[ev.EventID]:
			still = append(still, ev.EventID)
		default:
			out = append(out, ev)
			still = append(still, ev.EventID)
		}
	}
	return out, still
}

// DeliverEventsInput is a batch of platform events to hand to their engagements.
type DeliverEventsInput struct{ Events []vendors.Event }

// DeliverEventsOutput counts what happened to them.
type DeliverEventsOutput struct {
	Accepted, Closed, Ignored int
}

// DeliverPlatformEvents signal-with-starts each event's engagement, exactly as the webhook
// ingress does. It heartbeats its progress, so a retry
// resumes where the last attempt stopped.
func (a *Activities) DeliverPlatformEvents(ctx context.Context, in DeliverEventsInput) (DeliverEventsOutput, error) {
	var out DeliverEventsOutput
	err := resumeBatch(ctx, in.Events, &out, func(ev vendors.Event) error {
		if ev.Kind == vendors.KindIgnore {
			out.Ignored++
			return nil
		}
		outcome, err := engagement.DeliverPlatformEvent(ctx, a.Temporal, a.TaskQueue, ev)
		if outcome == engagement.Closed {
			out.Closed++
		} else if err == nil {
			out.Accepted++
		}
		return err
	})
	return out, err
}
