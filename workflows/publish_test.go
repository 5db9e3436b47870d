package workflows

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// searchAttributes writes one upsert as Key=value pairs, in the registration order.
func searchAttributes(sa temporal.SearchAttributes) string {
	var parts []string
	for _, key := range []temporal.SearchAttributeKeyKeyword{engagement.KeyVendor, engagement.KeyEngagementID, engagement.KeyCoverageStatus,
		engagement.KeyCertificateStatus, engagement.KeyPolicyContractorID, engagement.KeySourceContractorID} {
		if v, ok := sa.GetKeyword(key); ok {
			parts = append(parts, key.GetName()+"="+v)
		}
	}
	for _, key := range []temporal.SearchAttributeKeyTime{engagement.KeyCoverageStart, engagement.KeyCoverageEnd} {
		if v, ok := sa.GetTime(key); ok {
			parts = append(parts, fmt.Sprintf("%s=%d", key.GetName(), v.Unix()))
		}
	}
	if v, ok := sa.GetKeyword(engagement.KeySourceVersion); ok {
		parts = append(parts, "SourceVersion="+v)
	}
	return strings.Join(parts, " ")
}

// SPEC §3: the search attributes follow the engagement (never personal data), upserted only
// when they change; the window and the contractors once known; SourceVersion only where the
// namespace has it.
func TestSearchAttributesFollowTheEngagement(t *testing.T) {
	for _, publishVersion := range []bool{false, true} {
		t.Run(fmt.Sprintf("SourceVersion registered: %v", publishVersion), func(t *testing.T) {
			f := knownWindowFixture(t, "", "2027-01-11", "2027-02-09")
			f.acts.PublishSourceVersions = publishVersion
			f.platform.Update("ct_1", func(x *vendors.Engagement) { x.Version = "v3" })
			var upserts []string
			f.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
				upserts = append(upserts, searchAttributes(args.Get(0).(temporal.SearchAttributes)))
			}).Return(nil)
			var contractor string
			f.at(time.Hour, func() { contractor = f.status().Policy.ContractorID; f.platformEvent(vendors.KindCancel, "c") })
			f.run()
			base := "Vendor=remote EngagementID=ct_1 "
			window := fmt.Sprintf(" PolicyContractorID=%s SourceContractorID=ctr_ct_1 CoverageStart=%d CoverageEnd=%d", contractor, knownStart, knownEnd)
			version := ""
			if publishVersion {
				version = " SourceVersion=v3"
			}
			assert.Equal(t, []string{
				base + "CoverageStatus=AWAITING_APPLICATION CertificateStatus=NONE" + window + version,
				base + "CoverageStatus=CANCELED CertificateStatus=NONE" + window + version,
			}, upserts)
		})
	}
}

// Without a start date the window is unknown: CoverageStart and CoverageEnd are not set.
func TestSearchAttributesWithoutAStartDate(t *testing.T) {
	f := knownWindowFixture(t, "", "2027-01-11", "2027-02-09")
	f.platform.Update("ct_1", func(x *vendors.Engagement) { x.Start = 0 })
	var upserts []string
	f.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		upserts = append(upserts, searchAttributes(args.Get(0).(temporal.SearchAttributes)))
	}).Return(nil)
	f.at(time.Hour, func() { f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	assert.NotEmpty(t, upserts)
	for _, u := range upserts {
		assert.NotContains(t, u, "CoverageStart=", u)
		assert.NotContains(t, u, "CoverageEnd=", u)
	}
}
