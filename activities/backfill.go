package activities

import (
	"context"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// ListBackfillInput names the platform and, for Upwork (no client-side listing), the ids.
type ListBackfillInput struct {
	Vendor string
	IDs    []string
}

// ListBackfillOutput is the platform's open engagements.
type ListBackfillOutput struct {
	Items []vendors.Listed
}

// ListBackfill lists a platform's open contractor engagements: the platform's own listing
// where it has one, else the ids the operator gave.
func (a *Activities) ListBackfill(ctx context.Context, in ListBackfillInput) (ListBackfillOutput, error) {
	ad, err := a.Vendors.Get(in.Vendor)
	if err != nil {
		return ListBackfillOutput{}, classify(err)
	}
	if l, ok := ad.(vendors.Lister); ok && len(in.IDs) == 0 {
		items, err := l.ListOpen(ctx)
		if err != nil {
			return ListBackfillOutput{}, classify(err)
		}
		return ListBackfillOutput{Items: items}, nil
	}
	var out ListBackfillOutput
	for _, id := range in.IDs {
		out.Items = append(out.Items, vendors.Listed{ID: id})
	}
	return out, nil
}

// EnrollInput is a batch of listed engagements to enroll.
type EnrollInput struct {
	Vendor string
	Items  []vendors.Listed
	Source string // "backfill" or "enroll": the start event's id prefix
}

// EnrollOutput counts what happened: started (or already running), closed, and skipped as
// not a contractor engagement in force.
type EnrollOutput struct {
	Enrolled, Closed, Skipped int
}

// EnrollListed reads each listed engagement and hands the open contractor ones to their
// workflows as a start (signal-with-start). The start event's id is stable per
// engagement, so a second backfill is recognised by every workflow as a duplicate. Progress
// is heartbeated, so a retry resumes where it stopped.
func (a *Activities) EnrollListed(ctx context.Context, in EnrollInput) (EnrollOutput, error) {
	var out EnrollOutput
	err := resumeBatch(ctx, in.Items, &out, func(item vendors.Listed) error {
		fetched, err := a.FetchEngagement(ctx, FetchEngagementInput{Vendor: in.Vendor, EngagementID: item.ID, Refs: item.Refs})
		switch {
		case ErrorType(err) == ErrNotFound:
			out.Skipped++
		case err != nil:
			return err
		case fetched.Engagement.OutOfScope != "" || fetched.Engagement.Terminal != "":
			out.Skipped++
		default:
			outcome, err := engagement.DeliverPlatformEvent(ctx, a.Temporal, a.TaskQueue,
				engagement.StartEvent(in.Vendor, item.ID, in.Source, item.Refs))
			switch {
			case err != nil:
				return err
			case outcome == engagement.Closed:
				out.Closed++
			default:
				out.Enrolled++
			}
		}
		return nil
	})
	return out, err
}
