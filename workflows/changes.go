package workflows

import (
	"fmt"
	"time"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// Step 5 of SPEC §2, the platform's side: what changed on the platform reaches 1099Policy.

// applyChanges sends what changed: contractor details, job and wage, and the coverage window
// (the quote before binding, the assignment after). Each part is remembered once sent, so a
// retry after a failure sends only what is left.
func (e *engagementRun) applyChanges(eng vendors.Engagement, fp activities.Fingerprint) error {
	s := e.s
	e.queueDocuments(eng.Documents)
	if fp.Contractor != s.SourceFingerprint.Contractor {
		in := activities.ContractorInput{WorkflowID: s.WorkflowID, ContractorID: s.Policy.ContractorID, Contractor: eng.Contractor, Metadata: eng.Metadata.Contractor}
		if _, err := call(e, (*activities.Activities).UpdateContractor, in); err != nil {
			return failed("update contractor", err)
		}
		s.SourceFingerprint.Contractor = fp.Contractor
		e.transition("", "contractor details updated")
	}
	if fp.Job != s.SourceFingerprint.Job {
		in := activities.JobInput{WorkflowID: s.WorkflowID, JobID: s.Policy.JobID, Vendor: s.Vendor, Job: eng.Job, Metadata: eng.Metadata.Job}
		if _, err := call(e, (*activities.Activities).UpdateJob, in); err != nil {
			return failed("update job", err)
		}
		s.SourceFingerprint.Job = fp.Job
		s.Wage, s.WageType = eng.Job.Wage, eng.Job.WageType
		e.transition("", fmt.Sprintf("job updated (wage %d %s)", eng.Job.Wage, eng.Job.WageType))
	}
	if eng.Start == s.CoverageStart && eng.End == s.WorkEnd {
		return nil
	}
	window := activities.CoverageInput{WorkflowID: s.WorkflowID, Start: eng.Start, End: e.coveredUntil(eng.Start, eng.End)}
	var err error
	switch {
	case s.Policy.AssignmentID != "":
		window.ID = s.Policy.AssignmentID
		_, err = call(e, (*activities.Activities).UpdateAssignment, window)
	case s.Policy.QuoteID != "" && s.Policy.PolicyID == "":
		window.ID = s.Policy.QuoteID
		_, err = call(e, (*activities.Activities).UpdateQuote, window)
	}
	if err != nil {
		return failed("update coverage window", err)
	}
	e.setWindow(eng.Start, eng.End)
	if eng.Start > e.now().Unix() {
		s.StartChecked = false
	}
	e.transition("", fmt.Sprintf("coverage window moved to %s → %s", day(s.CoverageStart), day(s.CoverageEnd)))
	return nil
}

func nextMidnight(unix int64) int64 {
	const dayS = 24 * 3600
	return (unix/dayS + 1) * dayS
}

func day(unix int64) string { return time.Unix(unix, 0).UTC().Format("2006-01-02") }
