package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/engagement"
)

// Step 4 of SPEC §2: bind coverage. A contractor who may hold a policy gets an assignment;
// otherwise a quote and an application session, one open session per contractor (lease.go).

// bind does the next binding step the engagement needs.
func (e *engagementRun) bind() error {
	s := e.s
	if s.Binding == BindAssignment {
		why := "returning contractor"
		if s.Lease == LeaseHeld {
			why = "contractor's earlier application"
		}
		if covered, err := e.tryAssignment(why); covered || err != nil {
			return err
		}
		s.Binding = BindQuote
	}
	if s.Policy.QuoteID == "" {
		quote, err := call(e, (*activities.Activities).CreateQuote, e.coverageInput(fmt.Sprintf("quote-%d", s.BindAttempt)))
		switch activities.ErrorType(err) {
		case "":
			s.Policy.QuoteID = quote.ID
			e.transition("", "quote "+quote.ID+" created")
		case activities.ErrMatchingPolicy:
			covered, err := e.tryAssignment("contractor already holds a matching policy")
			if err == nil && !covered {
				err = failed("create assignment", errors.New("quote says the contractor holds a matching policy, but the assignment was refused"))
			}
			return err
		default:
			return failed("create quote", err)
		}
	}
	if s.Lease != LeaseHeld {
		if err := e.requestLease(); err != nil || s.Lease != LeaseHeld {
			return err // waiting: the grant comes as a signal
		}
	}
	return e.openSession()
}

// tryAssignment creates the assignment: true when it covers the engagement, false when the
// contractor holds no matching policy (the caller falls back to quote and session).
func (e *engagementRun) tryAssignment(why string) (bool, error) {
	s := e.s
	// Each try has its own key: 1099Policy replays a stored refusal for a key it saw before,
	// and a contractor refused earlier may hold a policy now.
	s.AssignmentTries++
	asg, err := call(e, (*activities.Activities).CreateAssignment, e.coverageInput(fmt.Sprintf("assignment-%d.%d", s.BindAttempt, s.AssignmentTries)))
	switch activities.ErrorType(err) {
	case "":
		s.Policy.AssignmentID = asg.ID
		s.Binding = BindNothing
		e.transition(engagement.StatusInsured, "assignment "+asg.ID+" created ("+why+")")
		e.releaseLease()
		return true, nil
	case activities.ErrNoMatchingPolicy:
		e.transition("", "assignment ineligible ("+why+"); falling back to quote and application session")
		return false, nil
	default:
		return false, failed("create assignment", err)
	}
}

func (e *engagementRun) coverageInput(step string) activities.CoverageInput {
	s := e.s
	meta := s.Metadata.Quote
	if strings.HasPrefix(step, "assignment") || strings.HasPrefix(step, "extend") {
		meta = s.Metadata.Assignment
	}
	return activities.CoverageInput{WorkflowID: s.WorkflowID, Key: e.key(step), ContractorID: s.Policy.ContractorID,
		JobID: s.Policy.JobID, CoverageType: s.CoverageTypes, Start: s.CoverageStart, End: s.CoverageEnd, Metadata: meta}
}

// openSession opens the contractor's application session for the quote.
func (e *engagementRun) openSession() error {
	s := e.s
	sess, err := call(e, (*activities.Activities).CreateSession, activities.SessionInput{WorkflowID: s.WorkflowID,
		Key: e.key(fmt.Sprintf("session-%d.%d", s.BindAttempt, s.SessionCount+1)), Vendor: s.Vendor, EngagementID: s.EngagementID,
		QuoteID: s.Policy.QuoteID, Metadata: s.Metadata.Session})
	if err != nil {
		return failed("create application session", err)
	}
	s.SessionCount++
	s.Policy.SessionID, s.Policy.SessionURL, s.SessionCreatedAt = sess.SessionID, sess.URL, e.now()
	s.Binding = BindNothing
	to := engagement.StatusAwaitingApplication
	if s.CoverageStatus == engagement.StatusUnprotected {
		to = engagement.StatusUnprotected // stays unprotected until the new policy is active
	}
	e.transition(to, "application session "+sess.SessionID+" created")
	return nil
}

// renewSession expires the open session and opens a fresh one (the 48 h reminder, an expired
// application, or an operator's resend).
func (e *engagementRun) renewSession() error {
	s := e.s
	if s.Policy.SessionID == "" || s.Policy.PolicyID != "" || s.covered() {
		s.Binding = BindNothing // covered meanwhile: nothing to renew
		return nil
	}
	if old := s.Policy.SessionID; !slices.Contains(s.ExpiredSessions, old) {
		s.ExpiredSessions = append(s.ExpiredSessions, old)
		if len(s.ExpiredSessions) > 20 {
			s.ExpiredSessions = s.ExpiredSessions[1:]
		}
		if err := run(e, (*activities.Activities).ExpireSession, activities.ExpireSessionInput{Key: e.key("expire-" + old), SessionID: old}); err != nil {
			e.logger.Warn("session not expired; issuing a new one anyway", "session_id", old, "error", err)
		}
		e.transition("", s.RenewReason+"; session "+old+" expired")
	}
	return e.openSession()
}

// askNewSession replaces the open session with a fresh one, for the reason given.
func (e *engagementRun) askNewSession(why string) {
	e.s.Binding, e.s.RenewReason = BindNewSession, why
}

// loseCoverage marks the engagement unprotected and re-binds through a new quote and session.
func (e *engagementRun) loseCoverage(cause string) {
	s := e.s
	s.Policy.PolicyID, s.Policy.AssignmentID, s.Policy.QuoteID = "", "", ""
	s.Policy.SessionID, s.Policy.SessionURL = "", ""
	s.PolicyExpiresAt = 0
	s.BindAttempt++
	if s.CertificateStatus == engagement.CertificateApproved {
		s.Binding = BindNothing
		e.transition("", cause+"; an approved certificate still covers the engagement")
		return
	}
	s.Binding = BindQuote
	e.transition(engagement.StatusUnprotected, cause+"; re-binding through a new quote")
}
