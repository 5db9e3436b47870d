package workflows

import (
	"fmt"
	"time"

	"github.com/coverage-orchestrator/coverage/activities"
)

// Coverage horizon (SPEC §2 steps 4-5): an engagement with no end date, or one more than a
// year out, is covered for COVERAGE_HORIZON at a time, and extended ExtendBefore the covered
// window ends while the engagement is still open, so open-ended work is never silently
// uncovered. Every platform goes through here.

// ExtendBefore is how long before the covered window ends it is extended.
const ExtendBefore = 14 * 24 * time.Hour

// maxQuoteWindow is 1099Policy's longest coverage window.
const maxQuoteWindow = 365 * 24 * time.Hour

// DefaultHorizon applies when the worker hands over none.
const DefaultHorizon = 90 * 24 * time.Hour

// setWindow records the engagement's own window and the covered part of it.
func (e *engagementRun) setWindow(start, workEnd int64) {
	s := e.s
	s.CoverageStart, s.WorkEnd = start, workEnd
	// Coverage cannot start in the past (1099Policy moves it to now): the horizon counts
	// from whichever is later.
	s.CoverageEnd = e.coveredUntil(max(start, e.now().Unix()), workEnd)
}

// coveredUntil is where coverage starting at from ends: the engagement's end, or the horizon
// when the end is open or more than a year out.
func (e *engagementRun) coveredUntil(from, workEnd int64) int64 {
	horizon := e.s.Horizon
	if horizon <= 0 {
		horizon = DefaultHorizon
	}
	if workEnd > 0 && time.Duration(workEnd-from)*time.Second <= maxQuoteWindow {
		return workEnd
	}
	capped := from + int64(horizon/time.Second)
	if workEnd > 0 && workEnd < capped {
		return workEnd
	}
	return capped
}

// extensionDue is when the covered window needs extending, if it does.
func (e *engagementRun) extensionDue() (time.Time, bool) {
	s := e.s
	bound := s.Policy.AssignmentID != "" || s.Policy.PolicyID != ""
	if !bound || s.CoverageEnd == 0 || (s.WorkEnd != 0 && s.WorkEnd <= s.CoverageEnd) {
		return time.Time{}, false
	}
	return time.Unix(s.CoverageEnd, 0).Add(-ExtendBefore), true
}

// extendCoverage covers the next window: the assignment's end moves out, or (coverage came
// from the contractor's own policy) an assignment covers the next window under it.
func (e *engagementRun) extendCoverage() error {
	s := e.s
	next := e.coveredUntil(s.CoverageEnd, s.WorkEnd)
	step := fmt.Sprintf("extend-%d", s.Extensions+1)
	if s.Policy.AssignmentID != "" {
		_, err := call(e, (*activities.Activities).ExtendAssignment, activities.ExtendInput{Key: e.key(step), JobID: s.Policy.JobID, End: next})
		if err != nil {
			return failed("extend coverage", err)
		}
	} else {
		in := e.coverageInput(step)
		in.Start, in.End = s.CoverageEnd, next
		asg, err := call(e, (*activities.Activities).CreateAssignment, in)
		if err != nil {
			return failed("extend coverage", err)
		}
		s.Policy.AssignmentID = asg.ID
	}
	s.Extensions++
	s.CoverageEnd = next
	e.transition("", "coverage extended to "+day(next)+" (horizon)")
	return nil
}
