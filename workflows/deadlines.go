package workflows

import (
	"fmt"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// The lifecycle's deadlines (SPEC §2 steps 4-5): the end date, the start date reached
// uncovered, the 48 h session reminder, a policy expiring before the end, a certificate review
// to poll, the application-pending notification and the horizon extension.

type deadline struct {
	at   time.Time
	kind string
}

// Deadline kinds, in the order they are handled when due at once.
const (
	deadlineEnd                = "end-date"
	deadlineStart              = "start-date"
	deadlineSessionReminder    = "session-reminder"
	deadlinePolicyExpiry       = "policy-expiry"
	deadlineCertificatePoll    = "certificate-poll"
	deadlineApplicationPending = "application-pending"
	deadlineExtendCoverage     = "extend-coverage"
)

// deadlines lists what is due at a time, in the order it is handled.
func (e *engagementRun) deadlines() []deadline {
	s := e.s
	var out []deadline
	if end := e.endDate(); !end.IsZero() {
		out = append(out, deadline{end, deadlineEnd})
	}
	if !s.StartChecked && s.CoverageStart > 0 {
		out = append(out, deadline{time.Unix(s.CoverageStart, 0), deadlineStart})
	}
	// An application in (or through) manual review was submitted: no reminder replaces it.
	if s.sessionOpen() && !s.SessionCreatedAt.IsZero() && s.Lease != LeaseWaiting && s.ReviewedSession != s.Policy.SessionID {
		out = append(out, deadline{s.SessionCreatedAt.Add(SessionReminderAfter), deadlineSessionReminder})
	}
	if s.Policy.PolicyID != "" && s.PolicyExpiresAt > 0 && s.PolicyExpiresAt < s.CoverageEnd {
		out = append(out, deadline{time.Unix(s.PolicyExpiresAt, 0), deadlinePolicyExpiry})
	}
	if s.CertificateStatus == engagement.CertificatePending && !s.NextCertificatePoll.IsZero() {
		out = append(out, deadline{s.NextCertificatePoll, deadlineCertificatePoll})
	}
	if due, ok := e.applicationPendingDue(); ok {
		out = append(out, deadline{due, deadlineApplicationPending})
	}
	if due, ok := e.extensionDue(); ok {
		out = append(out, deadline{due, deadlineExtendCoverage})
	}
	return out
}

// endDate is the engagement's own end (zero: open-ended, or already ending).
func (e *engagementRun) endDate() time.Time {
	if e.s.ending() || e.s.WorkEnd <= 0 {
		return time.Time{}
	}
	return time.Unix(e.s.WorkEnd, 0)
}

// endDateDue requests the end when the end date has come.
func (e *engagementRun) endDateDue() bool {
	end := e.endDate()
	if end.IsZero() || end.After(e.now()) {
		return false
	}
	e.requestEnd(vendors.KindEnd, e.s.WorkEnd, "end date reached")
	return true
}

// nextDeadline is the earliest deadline (zero: none).
func (e *engagementRun) nextDeadline() time.Time {
	var next time.Time
	for _, d := range e.deadlines() {
		if next.IsZero() || d.at.Before(next) {
			next = d.at
		}
	}
	return next
}

// handleDeadline runs the first due deadline and reports whether one was due.
func (e *engagementRun) handleDeadline() bool {
	now := e.now()
	for _, d := range e.deadlines() {
		if d.at.After(now) {
			continue
		}
		s := e.s
		switch d.kind {
		case deadlineEnd:
			e.endDateDue()
		case deadlineStart:
			s.StartChecked = true
			if !s.covered() {
				e.transition(engagement.StatusUnprotected, "start date reached without coverage or an approved certificate")
			}
		case deadlineSessionReminder:
			e.askNewSession(fmt.Sprintf("application not completed within %s", durationText(SessionReminderAfter)))
		case deadlinePolicyExpiry:
			e.loseCoverage(fmt.Sprintf("policy %s expired", s.Policy.PolicyID))
		case deadlineCertificatePoll:
			e.pollCertificate()
		case deadlineApplicationPending:
			e.notifyApplicationPending()
		case deadlineExtendCoverage:
			e.attempt(e.extendCoverage)
		}
		return true
	}
	return false
}

// durationText writes whole hours as "48 h".
func durationText(d time.Duration) string { return fmt.Sprintf("%d h", int(d.Hours())) }
