package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// transition changes the coverage status (or notes a change that kept it), logs it and
// queues its notification. The search attributes follow before the workflow next waits.
func (e *engagement) transition(to CoverageStatus, cause string) {
	if to == "" {
		to = e.s.CoverageStatus
	}
	if e.causeNote != "" {
		cause += " (" + e.causeNote + ")"
	}
	from := e.s.CoverageStatus
	e.s.record(e.now(), to, cause)
	if to != from && statusEvents[to] != "" {
		e.notify(statusEvents[to], cause)
	}
	e.logger.Info("engagement transition", "vendor", e.s.Vendor, "engagement_id", e.s.EngagementID,
		"coverage_status", string(to), "certificate_status", string(e.s.CertificateStatus), "cause", cause)
	workflow.SetCurrentDetails(e.ctx, e.s.summary())
}

var (
	saVendor            = temporal.NewSearchAttributeKeyKeyword("Vendor")
	saEngagementID      = temporal.NewSearchAttributeKeyKeyword("EngagementID")
	saCoverageStatus    = temporal.NewSearchAttributeKeyKeyword("CoverageStatus")
	saCertificateStatus = temporal.NewSearchAttributeKeyKeyword("CertificateStatus")
	saPolicyContractor  = temporal.NewSearchAttributeKeyKeyword("PolicyContractorID")
	saSourceContractor  = temporal.NewSearchAttributeKeyKeyword("SourceContractorID")
	saCoverageStart     = temporal.NewSearchAttributeKeyTime("CoverageStart")
	saCoverageEnd       = temporal.NewSearchAttributeKeyTime("CoverageEnd")
)

// publish upserts the search attributes (never personal data) when they changed: once
// before each wait, so the steps between two waits cost one upsert, not one per transition.
func (e *engagement) publish() {
	s := e.s
	published := publishedValues(s)
	if published == e.published {
		return
	}
	e.published = published
	updates := []temporal.SearchAttributeUpdate{
		saVendor.ValueSet(s.Vendor), saEngagementID.ValueSet(s.EngagementID),
		saCoverageStatus.ValueSet(string(s.CoverageStatus)), saCertificateStatus.ValueSet(string(s.CertificateStatus)),
	}
	if s.Policy.ContractorID != "" {
		updates = append(updates, saPolicyContractor.ValueSet(s.Policy.ContractorID))
	}
	if s.SourceContractorID != "" {
		updates = append(updates, saSourceContractor.ValueSet(s.SourceContractorID))
	}
	if s.CoverageStart > 0 {
		updates = append(updates, saCoverageStart.ValueSet(time.Unix(s.CoverageStart, 0).UTC()),
			saCoverageEnd.ValueSet(time.Unix(s.CoverageEnd, 0).UTC()))
	}
	if err := workflow.UpsertTypedSearchAttributes(e.ctx, updates...); err != nil {
		e.logger.Warn("search attributes not upserted", "error", err)
	}
}

// publishedValues is what the search attributes say, to tell whether an upsert changes them.
func publishedValues(s *EngagementState) string {
	return fmt.Sprintf("%s|%s|%s|%s|%s|%s|%d|%d", s.Vendor, s.EngagementID, s.CoverageStatus, s.CertificateStatus,
		s.Policy.ContractorID, s.SourceContractorID, s.CoverageStart, s.CoverageEnd)
}
