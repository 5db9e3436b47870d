package workflows

import (
	"fmt"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// transition changes the coverage status (or notes a change that kept it), logs it and
// queues its notification. The search attributes follow before the workflow next waits.
func (e *engagementRun) transition(to engagement.CoverageStatus, cause string) {
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

// publish upserts the search attributes (never personal data) when they changed: once
// before each wait, so the steps between two waits cost one upsert, not one per transition.
func (e *engagementRun) publish() {
	s := e.s
	published := publishedValues(s)
	if published == e.published {
		return
	}
	e.published = published
	updates := []temporal.SearchAttributeUpdate{
		engagement.KeyVendor.ValueSet(s.Vendor), engagement.KeyEngagementID.ValueSet(s.EngagementID),
		engagement.KeyCoverageStatus.ValueSet(string(s.CoverageStatus)), engagement.KeyCertificateStatus.ValueSet(string(s.CertificateStatus)),
	}
	if s.Policy.ContractorID != "" {
		updates = append(updates, engagement.KeyPolicyContractorID.ValueSet(s.Policy.ContractorID))
	}
	if s.SourceContractorID != "" {
		updates = append(updates, engagement.KeySourceContractorID.ValueSet(s.SourceContractorID))
	}
	if s.CoverageStart > 0 {
		updates = append(updates, engagement.KeyCoverageStart.ValueSet(time.Unix(s.CoverageStart, 0).UTC()),
			engagement.KeyCoverageEnd.ValueSet(time.Unix(s.CoverageEnd, 0).UTC()))
	}
	// No GetVersion guard: SourceVersion is set only from a Version that the platform event or
	// the fetched record carries, and only published when the worker said the namespace has the
	// attribute (recorded with the read); no history recorded before either existed carries
	// them, so their replay makes the same commands.
	if v := publishedVersion(s); v != "" {
		updates = append(updates, engagement.KeySourceVersion.ValueSet(v))
	}
	if err := workflow.UpsertTypedSearchAttributes(e.ctx, updates...); err != nil {
		e.logger.Warn("search attributes not upserted", "error", err)
	}
}

// publishedValues is what the search attributes say, to tell whether an upsert changes them.
func publishedValues(s *EngagementState) string {
	return fmt.Sprintf("%s|%s|%s|%s|%s|%s|%d|%d|%s", s.Vendor, s.EngagementID, s.CoverageStatus, s.CertificateStatus,
		s.Policy.ContractorID, s.SourceContractorID, s.CoverageStart, s.CoverageEnd, publishedVersion(s))
}

// publishedVersion is the SourceVersion search attribute's value: none when the namespace does
// not have the (optional) attribute.
func publishedVersion(s *EngagementState) string {
	if !s.PublishSourceVersion {
		return ""
	}
	return s.SourceVersion
}
