package workflows

import (
	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// Step 6 of SPEC §2: the engagement ends. Before the start date the assignment is cancelled;
// after it the assignment's end date moves to the actual end where 1099Policy allows. Actual
// pay still pending is recorded first. Then the workflow completes; later webhooks for it are
// acknowledged by the ingress and change nothing.

// finish runs step 6 and closes the engagement.
func (e *engagementRun) finish() {
	s := e.s
	if s.Parked != nil {
		s.Parked, s.AttentionReason = nil, "" // the end supersedes the parked step
	}
	end := *s.End
	if end.Kind == vendors.KindIgnore {
		e.close(engagement.StatusEnded, end.Cause)
		return
	}
	onboarded := s.Policy.JobID != ""
	for onboarded && len(s.PendingInvoices) > 0 {
		if err := e.recordInvoice(); err != nil {
			e.transition("", "invoice not recorded at the end: "+err.Error())
			break
		}
	}
	final := engagement.StatusEnded
	if e.now().Unix() < s.CoverageStart || !onboarded {
		final = engagement.StatusCanceled
	}
	if s.Policy.AssignmentID != "" {
		e.attempt(func() error {
			var err error
			final, err = e.endAssignment(end, final)
			return err
		})
	}
	if s.sessionOpen() {
		_ = run(e, (*activities.Activities).ExpireSession, activities.ExpireSessionInput{Key: e.key("expire-" + s.Policy.SessionID), SessionID: s.Policy.SessionID})
	}
	e.close(final, end.Cause)
}

// endAssignment cancels the assignment before the start (1099Policy refuses once it started:
// then it ends instead), or moves its end date after it.
func (e *engagementRun) endAssignment(end EndRequest, final engagement.CoverageStatus) (engagement.CoverageStatus, error) {
	s := e.s
	if final != engagement.StatusCanceled {
		e.moveAssignmentEnd(end)
		return final, nil
	}
	err := run(e, (*activities.Activities).CancelAssignment, activities.CancelAssignmentInput{
		Key: e.key("cancel-assignment"), JobID: s.Policy.JobID, Reason: end.Cause})
	switch activities.ErrorType(err) {
	case "":
		return final, nil
	case activities.ErrAssignmentStart:
		e.moveAssignmentEnd(end)
		return engagement.StatusEnded, nil
	default:
		return final, failed("end", err)
	}
}

// moveAssignmentEnd ends coverage with the day the engagement ended: at the next 00:00 UTC,
// as a date-only end is read everywhere else.
func (e *engagementRun) moveAssignmentEnd(end EndRequest) {
	s := e.s
	at := nextMidnight(max(end.At, s.CoverageStart))
	if at >= s.CoverageEnd {
		return
	}
	_, err := call(e, (*activities.Activities).UpdateAssignment, activities.CoverageInput{ID: s.Policy.AssignmentID, Start: s.CoverageStart, End: at})
	if err != nil {
		e.transition("", "assignment end date not moved: "+attentionReason("update assignment", err))
		return
	}
	s.CoverageEnd = at
	e.transition("", "assignment end date moved to "+day(at))
}

// close records the final status; nothing more happens.
func (e *engagementRun) close(final engagement.CoverageStatus, cause string) {
	e.releaseLease()
	e.s.Phase = PhaseClosed
	e.transition(final, cause)
}
