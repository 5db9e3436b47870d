package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/testenv"
	"github.com/coverage-orchestrator/coverage/workflows"
)

// Remote and WorkMarket on their live shapes (issue 11): what TestPaths does not cover.
func TestRemoteAndWorkMarketLiveShapes(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: time.Second, ExtraEnv: []string{"COVERAGE_HORIZON=14d"}})

	t.Run("a Remote employee is ignored: nothing is created in 1099Policy", func(t *testing.T) {
		t.Parallel()
		ex := example("remote", "remote-employee", "emp@example.com", false)
		ex.Type = "employee"
		start(t, s, cases[0], ex)
		st := s.WaitStatus(t, "remote", ex.ID, time.Minute, "ENDED", is(workflows.StatusEnded))
		assert.Contains(t, st.Transitions[len(st.Transitions)-1].Cause, "out of scope")
		assert.Empty(t, postsFor(s, "/contractors", workflows.EngagementWorkflowID("remote", ex.ID)))
		assert.Empty(t, postsFor(s, "/jobs", workflows.EngagementWorkflowID("remote", ex.ID)))
	})

	t.Run("an open-ended Remote employment is covered for the horizon and extended", func(t *testing.T) {
		t.Parallel()
		email := "remote-open@example.com"
		returning(t, s, email, true)
		ex := example("remote", "remote-open", email, false)
		ex.Start, ex.End = day(-1), time.Time{} // started yesterday, no end date
		start(t, s, cases[0], ex)
		// Covered for 14 days from now (the horizon of this stack): that lapses within the 14
		// days of notice, so it is extended at once by another 14 days.
		st := s.WaitStatus(t, "remote", ex.ID, time.Minute, "extended", func(st workflows.Status) bool {
			return strings.Contains(fmt.Sprint(st.Transitions), "coverage extended")
		})
		assert.Equal(t, workflows.StatusInsured, st.CoverageStatus)
		asg := postsFor(s, "/assignments", workflows.EngagementWorkflowID("remote", ex.ID))
		require.NotEmpty(t, asg)
		var first struct {
			EffectiveDate int64 `json:"effective_date"`
			EndDate       int64 `json:"end_date"`
		}
		require.NoError(t, json.Unmarshal([]byte(asg[0].Body), &first))
		assert.InDelta(t, first.EffectiveDate+14*24*3600, first.EndDate, 5, "the first window ends at the horizon")
		var ext []string
		for _, r := range posts(s, "/assignments/extend") {
			if strings.Contains(r.Body, `"job_id":"`+st.Policy.JobID+`"`) {
				ext = append(ext, r.Body)
			}
		}
		require.Len(t, ext, 1)
		assert.Contains(t, ext[0], fmt.Sprintf(`"end_date":%d`, first.EndDate+14*24*3600))
		assert.Equal(t, first.EndDate+14*24*3600, st.CoverageEnd)
	})

	t.Run("a WorkMarket certificate found by listing the attachments", func(t *testing.T) {
		t.Parallel()
		ex := example("workmarket", "wm-listed", "wm-listed@manual.example", false)
		start(t, s, cases[1], ex)
		s.WaitStatus(t, "workmarket", ex.ID, time.Minute, "AWAITING_APPLICATION", is(workflows.StatusAwaitingApplication))
		require.NoError(t, s.Platforms.SeedDocument("workmarket", ex, "uuid-"+ex.ID, "Certificate of Insurance.pdf", []byte("%PDF-1.4 coi")))
		status, body := hook(t, s, "workmarket", platformsim.HookCOI, ex, "att-"+ex.ID, "") // ${file_uuid} left unexpanded
		require.Equal(t, http.StatusOK, status, "%v", body)
		st := s.WaitStatus(t, "workmarket", ex.ID, time.Minute, "certificate APPROVED", func(st workflows.Status) bool {
			return st.CertificateStatus == workflows.CertificateApproved
		})
		assert.Equal(t, workflows.StatusInsured, st.CoverageStatus)
		certs := postsFor(s, "/files/certificates", workflows.EngagementWorkflowID("workmarket", ex.ID))
		require.Len(t, certs, 1, "uploaded once")
		assert.Contains(t, certs[0].Body, `name="certificate"`, "the file in field certificate")
		assert.Contains(t, certs[0].Body, `name="contractor"`)
	})
}

// TestContractorRefusedWithoutContactDetailsParks: 1099Policy may require phone and address
// (SPEC §2 step 2); the engagement parks naming the field.
func TestContractorRefusedWithoutContactDetailsParks(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{RequireContactDetails: true})
	ex := example("upwork", "upwork-nophone", "nophone@example.com", true) // Upwork has no phone
	start(t, s, cases[2], ex)
	st := s.WaitStatus(t, "upwork", ex.ID, time.Minute, "NEEDS_ATTENTION", is(workflows.StatusNeedsAttention))
	assert.Contains(t, st.AttentionReason, "phone")

	// The operator supplies what the platform lacks; the engagement resumes.
	code, out := ops(t, s, http.MethodPut, "/v1/engagements/upwork/"+ex.ID+"/contractor", map[string]any{"phone": "+1 415 555 0199",
		"address": map[string]string{"line1": "9 Market St", "locality": "San Francisco", "region": "CA", "postalcode": "94103", "country": "US"}})
	require.Equal(t, http.StatusOK, code, string(out))
	s.WaitStatus(t, "upwork", ex.ID, time.Minute, "resumed", func(st workflows.Status) bool {
		return st.CoverageStatus == workflows.StatusAwaitingApplication || st.CoverageStatus == workflows.StatusApplicationInProgress
	})
	created := false
	for _, r := range postsFor(s, "/contractors", workflows.EngagementWorkflowID("upwork", ex.ID)) {
		created = created || (r.Status < 300 && strings.Contains(r.Body, `"phone":"+1 415 555 0199"`) && strings.Contains(r.Body, `"line1":"9 Market St"`))
	}
	assert.True(t, created, "the contractor was created with the supplied phone and address")
	code, out = ops(t, s, http.MethodPut, "/v1/engagements/upwork/"+ex.ID+"/contractor", map[string]any{"address": map[string]string{"region": "California"}})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, string(out), "address.region")
}
