package engagement

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// SPEC: engagement workflows are engagement:<vendor>:<platform id>.
func TestWorkflowIDRoundTrip(t *testing.T) {
	assert.Equal(t, "engagement:remote:ct_1", WorkflowID("remote", "ct_1"))
	vendor, id, ok := ParseWorkflowID("engagement:jobdiva:123:456")
	assert.True(t, ok)
	assert.Equal(t, "jobdiva", vendor)
	assert.Equal(t, "123:456", id, "the platform id keeps its own colons")
	for _, bad := range []string{"", "engagement:", "engagement:remote:", "contractor:cn_1", "policy-event:ev_1"} {
		_, _, ok := ParseWorkflowID(bad)
		assert.False(t, ok, bad)
	}
}

func TestQueryStripsQuotesFromOutsideValues(t *testing.T) {
	q := Engagements().Running().Where(KeyVendor, "remote").Where(KeySourceContractorID, `x' OR Vendor = 'y"\`)
	assert.Equal(t, `WorkflowType = 'EngagementWorkflow' AND ExecutionStatus = 'Running' AND Vendor = 'remote' AND SourceContractorID = 'x OR Vendor = y'`, q.String())
	assert.Equal(t, `WorkflowType = 'EngagementWorkflow' AND CoverageStatus IN ('INSURED', 'UNPROTECTED')`,
		Engagements().WhereAny(KeyCoverageStatus, []string{"INSURED", "UNPROTECTED"}).String())
	assert.Equal(t, Engagements().String(), Engagements().WhereAny(KeyVendor, nil).String())
}

// What `worker replay` sends to visibility.
func TestQueryOfSeveralTypes(t *testing.T) {
	q := WorkflowsOfTypes(WorkflowEngagement, "Contractor'SessionWorkflow").Running()
	assert.Equal(t, `WorkflowType IN ('EngagementWorkflow', 'ContractorSessionWorkflow') AND ExecutionStatus = 'Running'`, q.String())
}

// The registration list as SPEC's configuration section and docker-compose name it, with
// issue 25's SourceVersion (the version of the platform record last applied).
func TestSearchAttributesAsRegistered(t *testing.T) {
	got := map[string]string{}
	for _, sa := range SearchAttributes() {
		got[sa.Name] = sa.Kind
	}
	assert.Equal(t, map[string]string{"Vendor": "Keyword", "EngagementID": "Keyword", "CoverageStatus": "Keyword",
		"CertificateStatus": "Keyword", "PolicyContractorID": "Keyword", "SourceContractorID": "Keyword",
		"CoverageStart": "Datetime", "CoverageEnd": "Datetime", "SourceVersion": "Keyword"}, got)
}
