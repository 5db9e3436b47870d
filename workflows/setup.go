package workflows

import (
	"errors"
	"slices"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// Steps 1-3 of SPEC §2: read the platform's record, then find or create the contractor and
// create the job in 1099Policy. The same read later follows the platform's changes.

// setUp runs steps 1-3 once, before coverage is kept (a run continued as new skips it).
func (e *engagementRun) setUp() {
	if e.s.Phase != PhaseSetUp {
		return
	}
	e.applyInbox()               // the start event may carry keys the first read needs (JobDiva)
	if e.s.Phase == PhaseSetUp { // not when an end arrived with the start
		e.attempt(e.readPlatform)
	}
}

// readPlatform reads the platform's record and applies it: the contractor and the job the
// first time, changes after.
func (e *engagementRun) readPlatform() error {
	s := e.s
	fetched, err := call(e, (*activities.Activities).FetchEngagement, activities.FetchEngagementInput{Vendor: s.Vendor,
		EngagementID: s.EngagementID, Refs: s.SourceRefs})
	if err != nil {
		return failed("fetch from "+s.Vendor, err)
	}
	eng := fetched.Engagement
	eng.Contractor = s.withDetails(eng.Contractor)
	s.WorkerSettings = fetched.WorkerSettings
	stale := !eng.UpdatedAt.IsZero() && eng.UpdatedAt.Before(s.LastSourceUpdate)
	switch {
	case stale:
		e.logger.Info("platform record older than the state; not applied")
	case e.endIfRecordSaysSo(eng):
	case s.Phase == PhaseSetUp:
		s.Contractor = fetched.Engagement.Contractor
		if err := e.createContractorAndJob(eng, fetched.Fingerprint); err != nil {
			return err
		}
	default:
		s.Contractor = fetched.Engagement.Contractor
		if err := e.applyChanges(eng, fetched.Fingerprint); err != nil {
			return err
		}
	}
	if eng.UpdatedAt.After(s.LastSourceUpdate) {
		s.LastSourceUpdate = eng.UpdatedAt
	}
	if eng.Version != "" && !stale {
		s.SourceVersion = eng.Version
	}
	s.SyncDue = false
	return nil
}

// endIfRecordSaysSo requests the end when the platform's record shows the engagement over or
// out of scope; it reports whether it did.
func (e *engagementRun) endIfRecordSaysSo(eng vendors.Engagement) bool {
	switch {
	case eng.OutOfScope != "":
		e.requestEnd(vendors.KindIgnore, e.now().Unix(), "out of scope: "+eng.OutOfScope)
	case eng.Terminal != "":
		e.requestEnd(eng.Terminal, e.now().Unix(), "platform shows status "+eng.Status)
	default:
		return false
	}
	return true
}

// readForEnd re-reads a parked engagement's record after a platform update: the platform may
// have ended it, and an end does not wait for the operator. Other changes wait for the parked
// step's retry (SyncDue stays set); a failed read is left to that retry too.
func (e *engagementRun) readForEnd() {
	s := e.s
	fetched, err := call(e, (*activities.Activities).FetchEngagement, activities.FetchEngagementInput{Vendor: s.Vendor,
		EngagementID: s.EngagementID, Refs: s.SourceRefs})
	if err != nil {
		e.logger.Info("re-read of a parked engagement failed; the retry reads it again", "error", err)
		return
	}
	if eng := fetched.Engagement; eng.UpdatedAt.IsZero() || !eng.UpdatedAt.Before(s.LastSourceUpdate) {
		e.endIfRecordSaysSo(eng)
	}
}

// createContractorAndJob creates what 1099Policy needs before coverage can be bound.
func (e *engagementRun) createContractorAndJob(eng vendors.Engagement, fp activities.Fingerprint) error {
	s := e.s
	e.setWindow(eng.Start, eng.End)
	s.Wage, s.WageType = eng.Job.Wage, eng.Job.WageType
	s.CoverageTypes, s.Metadata, s.ClientID = eng.CoverageTypes, eng.Metadata, eng.Job.ClientID
	s.SourceContractorID = eng.Contractor.SourceID
	e.queueDocuments(eng.Documents)
	if s.Policy.ContractorID == "" {
		if err := e.upsertContractor(eng); err != nil {
			return err
		}
	}
	if s.Policy.JobID == "" {
		job, err := call(e, (*activities.Activities).CreateJob, activities.JobInput{WorkflowID: s.WorkflowID, Key: e.key("job"),
			Vendor: s.Vendor, Job: eng.Job, Metadata: eng.Metadata.Job})
		if err != nil {
			return failed("create job", err)
		}
		s.Policy.JobID = job.JobID
	}
	s.SourceFingerprint = fp
	s.Phase = PhaseCovering
	if s.Binding == BindNothing && !s.covered() {
		s.Binding = BindQuote
	}
	e.transition("", "contractor and job set up in 1099Policy")
	return nil
}

// upsertContractor finds the contractor by email and updates it (a returning contractor: an
// assignment is tried first), or creates it with the guide's idempotency key; duplicate_email
// (a concurrent create) falls back to the lookup.
func (e *engagementRun) upsertContractor(eng vendors.Engagement) error {
	s := e.s
	in := activities.ContractorInput{WorkflowID: s.WorkflowID, Key: ContractorKey(s.Vendor, eng.Contractor.SourceID),
		Contractor: eng.Contractor, Metadata: eng.Metadata.Contractor}
	for range 2 {
		found, err := call(e, (*activities.Activities).FindContractor, activities.FindContractorInput{Email: eng.Contractor.Email})
		if err != nil {
			return failed("find contractor", err)
		}
		if found.Found {
			in.ContractorID = found.ContractorID
			if _, err := call(e, (*activities.Activities).UpdateContractor, in); err != nil {
				return failed("update contractor", err)
			}
			s.Policy.ContractorID, s.Binding = found.ContractorID, BindAssignment
			return nil
		}
		created, err := call(e, (*activities.Activities).CreateContractor, in)
		if activities.ErrorType(err) == activities.ErrDuplicateEmail {
			continue
		}
		if err != nil {
			return failed("create contractor", err)
		}
		s.Policy.ContractorID = created.ContractorID
		return nil
	}
	return failed("create contractor", errors.New("duplicate_email but no contractor with that email"))
}

// queueDocuments adds platform certificate documents not seen before (a webhook and a sync
// can name the same one).
func (e *engagementRun) queueDocuments(ids []string) {
	s := e.s
	for _, id := range ids {
		if id != "" && !slices.Contains(s.PendingCOIs, id) && !slices.Contains(s.UploadedDocuments, id) {
			s.PendingCOIs = append(s.PendingCOIs, id)
		}
	}
}
