package activities

import (
	"context"

	pc "github.com/coverage-orchestrator/coverage/policyclient"

	"github.com/coverage-orchestrator/coverage/config"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// Coverage in 1099Policy: quotes, application sessions and assignments.

// CoverageInput creates or updates a quote or an assignment.
type CoverageInput struct {
	WorkflowID   string
	Key          string
	ID           string // quote or assignment id, for updates
	ContractorID string
	JobID        string
	CoverageType []string
	Start        int64
	End          int64
	Metadata     map[string]string
}

// CoverageOutput is the quote or assignment id.
type CoverageOutput struct{ ID string }

// effectiveStart moves a start in the past to now: 1099Policy refuses past effective dates.
func (a *Activities) effectiveStart(start int64) int64 {
	if now := a.now().Unix(); start < now {
		return now
	}
	return start
}

// CreateQuote prices coverage; a returning contractor comes back as ErrMatchingPolicy.
func (a *Activities) CreateQuote(ctx context.Context, in CoverageInput) (CoverageOutput, error) {
	id, sendKey, err := a.createdEarlier(ctx, in.WorkflowID, in.Key, quoteLister(a.Policy))
	if err != nil || id != "" {
		return CoverageOutput{ID: id}, err
	}
	q, err := a.Policy.CreateQuote(ctx, sendKey, pc.Quote{Contractor: in.ContractorID, Job: in.JobID,
		CoverageType: in.CoverageType, EffectiveDate: pc.Time(a.effectiveStart(in.Start)), EndDate: pc.Time(in.End),
		CustomMetadata: objectMetadata(in.Metadata, in.WorkflowID, in.Key)})
	if err != nil {
		return CoverageOutput{}, classify(err)
	}
	return CoverageOutput{ID: q.ID}, nil
}

// UpdateQuote moves an unbound quote's window.
func (a *Activities) UpdateQuote(ctx context.Context, in CoverageInput) (CoverageOutput, error) {
	q, err := a.Policy.UpdateQuote(ctx, in.ID, pc.Quote{EffectiveDate: pc.Time(a.effectiveStart(in.Start)), EndDate: pc.Time(in.End)})
	if err != nil {
		return CoverageOutput{}, classify(err)
	}
	return CoverageOutput{ID: q.ID}, nil
}

// CreateAssignment covers the job under the contractor's policy; an ineligible answer (error
// or eligible.result=false) comes back as ErrNoMatchingPolicy.
func (a *Activities) CreateAssignment(ctx context.Context, in CoverageInput) (CoverageOutput, error) {
	id, sendKey, err := a.createdEarlier(ctx, in.WorkflowID, in.Key, assignmentLister(a.Policy))
	if err != nil || id != "" {
		return CoverageOutput{ID: id}, err
	}
	as, err := a.Policy.CreateAssignment(ctx, sendKey, pc.Assignment{Contractor: in.ContractorID, Job: in.JobID,
		CoverageType: in.CoverageType, EffectiveDate: pc.Time(a.effectiveStart(in.Start)), EndDate: pc.Time(in.End),
		CustomMetadata: objectMetadata(in.Metadata, in.WorkflowID, in.Key)})
	if err != nil {
		return CoverageOutput{}, classify(err)
	}
	if as.Eligible != nil && !as.Eligible.Result {
		return CoverageOutput{}, classify(&pc.Error{StatusCode: 400, Code: pc.CodeNoMatchingPolicy,
			Message: vendors.FirstNonEmpty(as.Eligible.Message, pc.MessageNoMatchingPolicy), Method: "POST", Path: "/assignments"})
	}
	return CoverageOutput{ID: as.ID}, nil
}

// UpdateAssignment moves the assignment's window (the start only while it is in the future).
func (a *Activities) UpdateAssignment(ctx context.Context, in CoverageInput) (CoverageOutput, error) {
	body := pc.Assignment{EndDate: pc.Time(in.End)}
	if in.Start > a.now().Unix() {
		body.EffectiveDate = pc.Time(in.Start)
	}
	as, err := a.Policy.UpdateAssignment(ctx, in.ID, body)
	if err != nil {
		return CoverageOutput{}, classify(err)
	}
	return CoverageOutput{ID: as.ID}, nil
}

// ExtendInput moves the job's assignment end to End.
type ExtendInput struct {
	Key   string
	JobID string
	End   int64
}

// ExtendAssignment extends coverage past the horizon (POST /assignments/extend).
func (a *Activities) ExtendAssignment(ctx context.Context, in ExtendInput) (CoverageOutput, error) {
	as, err := a.Policy.ExtendAssignment(ctx, in.Key, pc.AssignmentExtend{JobID: in.JobID, EndDate: pc.Time(in.End)})
	if err != nil {
		return CoverageOutput{}, classify(err)
	}
	return CoverageOutput{ID: as.ID}, nil
}

// CancelAssignmentInput cancels the job's assignment before its start.
type CancelAssignmentInput struct {
	Key    string
	JobID  string
	Reason string
}

// CancelAssignment cancels; after the start date it answers ErrAssignmentStart.
func (a *Activities) CancelAssignment(ctx context.Context, in CancelAssignmentInput) error {
	_, err := a.Policy.CancelAssignment(ctx, in.Key, pc.AssignmentCancel{JobID: in.JobID, Reason: in.Reason})
	return classify(err)
}

// SessionInput creates an application session for a quote.
type SessionInput struct {
	WorkflowID   string
	Key          string
	Vendor       string
	EngagementID string
	QuoteID      string
	Metadata     map[string]string
}

// SessionOutput is the session a contractor completes.
type SessionOutput struct {
	SessionID string
	URL       string
}

// CreateSession creates the insurance application session.
func (a *Activities) CreateSession(ctx context.Context, in SessionInput) (SessionOutput, error) {
	s, err := a.Policy.CreateSession(ctx, in.Key, pc.SessionParams{Quote: in.QuoteID,
		SuccessURL:     config.SessionURL(a.SessionSuccess, in.Vendor, in.EngagementID),
		CancelURL:      config.SessionURL(a.SessionCancel, in.Vendor, in.EngagementID),
		CustomMetadata: objectMetadata(in.Metadata, in.WorkflowID, in.Key)})
	if err != nil {
		return SessionOutput{}, classify(err)
	}
	return SessionOutput{SessionID: s.ID, URL: s.URL}, nil
}

// ExpireSessionInput ends a session.
type ExpireSessionInput struct {
	Key       string
	SessionID string
}

// ExpireSession ends a session so its url stops working.
func (a *Activities) ExpireSession(ctx context.Context, in ExpireSessionInput) error {
	_, err := a.Policy.ExpireSession(ctx, in.Key, in.SessionID)
	return classify(err)
}
