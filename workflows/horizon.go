package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/coverage-orchestrator/coverage/activities"
)

// Coverage horizon (SPEC §2 steps 4-5): an engagement with no end date, or one more than a
// year out, is covered for COVERAGE_HORIZON at a time, and extended ExtendBefore the covered
// window ends while the engagement is still open, so open-ended work is never silently
// uncovered. Every platform goes through here.

// horizonVersion guards the horizon commands: histories recorded before it replay as before
// (the covered window was the engagement's window).
const horizonVersion = "coverage-horizon"

// ExtendBefore is how long before the covered window ends it is extended.
const ExtendBefore = 14 * 24 * time.Hour

// maxQuoteWindow is 1099Policy's longest coverage window.
const maxQuoteWindow = 365 * 24 * time.Hour

// DefaultHorizon applies when the worker hands over none.
const DefaultHorizon = 90 * 24 * time.Hour

// setWindow records the engagement's own window and the covered part of it.
func (e *engagement) setWindow(start, workEnd int64) {
	s := e.s
	s.CoverageStart, s.WorkEnd = start, workEnd
	// Coverage cannot start in the past (1099Policy moves it to now): the horizon counts
	// from whichever is later.
	s.CoverageEnd = e.coveredUntil(max(start, e.now().Unix()), workEnd)
}

// coveredUntil is where coverage starting at from ends: the engagement's end, or the horizon
// when the end is open or more than a year out.
func (e *engagement) coveredUntil(from, workEnd int64) int64 {
	if !e.horizon {
		return workEnd
	}
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

// workEnd is the engagement's own end (0: open-ended).
func (s *EngagementState) workEnd(horizon bool) int64 {
	if !horizon {
		return s.CoverageEnd
	}
	return s.WorkEnd
}

// extensionDue is when the covered window needs extending, if it does.
func (e *engagement) extensionDue() (time.Time, bool) {
	s := e.s
	bound := s.Policy.AssignmentID != "" || s.Policy.PolicyID != ""
	if !e.horizon || !bound || s.CoverageEnd == 0 || (s.WorkEnd != 0 && s.WorkEnd <= s.CoverageEnd) {
		return time.Time{}, false
	}
	return time.Unix(s.CoverageEnd, 0).Add(-ExtendBefore), true
}

// extendCoverage covers the next window: the assignment's end moves out, or (coverage came
// from the contractor's own policy) an assignment covers the next window under it.
func (e *engagement) extendCoverage() {
	s := e.s
	next := e.coveredUntil(s.CoverageEnd, s.WorkEnd)
	s.Extensions++
	step := fmt.Sprintf("extend-%d", s.Extensions)
	if s.Policy.AssignmentID != "" {
		_, err := call(e, (*activities.Activities).ExtendAssignment, activities.ExtendInput{Key: e.key(step), JobID: s.Policy.JobID, End: next})
		if err != nil {
			s.Extensions--
			e.park("extend coverage", err)
			return
		}
	} else {
		in := e.coverageInput(step)
		in.Start, in.End = s.CoverageEnd, next
		asg, err := call(e, (*activities.Activities).CreateAssignment, in)
		if err != nil {
			s.Extensions--
			e.park("extend coverage", err)
			return
		}
		s.Policy.AssignmentID = asg.ID
	}
	s.CoverageEnd = next
	e.transition("", "coverage extended to "+day(next)+" (horizon)")
}

// horizonFor reads the worker's COVERAGE_HORIZON as recorded with a fetch.
func horizonFor(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, horizonVersion, workflow.DefaultVersion, 1) >= 1
}
