package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/testenv"
	"github.com/coverage-orchestrator/coverage/vendors/workmarket"
)

// Remote and WorkMarket on their live shapes (issue 11): what TestPaths does not cover.
func TestRemoteAndWorkMarketLiveShapes(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: time.Second, ExtraEnv: []string{"COVERAGE_HORIZON=14d"}})

	t.Run("a Remote employee is ignored: nothing is created in 1099Policy", func(t *testing.T) {
		t.Parallel()
		ex := example("remote", "remote-employee", "emp@example.com", false)
		ex.Type = "employee"
		start(t, s, cases[0], ex)
		st := s.WaitStatus(t, "remote", ex.ID, time.Minute, "ENDED", is(engagement.StatusEnded))
		assert.Contains(t, st.Transitions[len(st.Transitions)-1].Cause, "out of scope")
		assert.Empty(t, postsFor(s, "/contractors", engagement.WorkflowID("remote", ex.ID)))
		assert.Empty(t, postsFor(s, "/jobs", engagement.WorkflowID("remote", ex.ID)))
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
		st := s.WaitStatus(t, "remote", ex.ID, time.Minute, "extended", func(st engagement.Status) bool {
			return strings.Contains(fmt.Sprint(st.Transitions), "coverage extended")
		})
		assert.Equal(t, engagement.StatusInsured, st.CoverageStatus)
		asg := postsFor(s, "/assignments", engagement.WorkflowID("remote", ex.ID))
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

	t.Run("a WorkMarket certificate found by listing, downloaded as base64, uploaded once and reviewed", func(t *testing.T) {
		t.Parallel()
		ex := example("workmarket", "wm-listed", "wm-listed@manual.example", false)
		start(t, s, cases[1], ex)
		s.WaitStatus(t, "workmarket", ex.ID, time.Minute, "AWAITING_APPLICATION", is(engagement.StatusAwaitingApplication))
		require.NoError(t, s.Platforms.SeedDocument("workmarket", ex, "uuid-"+ex.ID, "Certificate of Insurance.pdf", []byte("%PDF-1.4 coi")))
		status, body := hook(t, s, "workmarket", platformsim.HookCOI, ex, "att-"+ex.ID, "") // ${file_uuid} left unexpanded
		require.Equal(t, http.StatusOK, status, "%v", body)
		st := s.WaitStatus(t, "workmarket", ex.ID, time.Minute, "certificate APPROVED", func(st engagement.Status) bool {
			return st.CertificateStatus == engagement.CertificateApproved
		})
		assert.Equal(t, engagement.StatusInsured, st.CoverageStatus)
		certs := postsFor(s, "/files/certificates", engagement.WorkflowID("workmarket", ex.ID))
		require.Len(t, certs, 1, "uploaded once")
		assert.Contains(t, certs[0].Body, `name="certificate"; filename="Certificate of Insurance.pdf"`, "the file in field certificate")
		assert.Contains(t, certs[0].Body, "\r\n\r\n%PDF-1.4 coi\r\n", "the base64 download decoded to the PDF itself")
		assert.Contains(t, certs[0].Body, `name="contractor"`)
		assert.Contains(t, certs[0].Body, `name="custom_metadata[work_order_id]"`)
		for _, r := range s.Platforms.Requests() {
			if r.Path == "/workmarket"+workmarket.PathAttachment {
				q, _ := url.ParseQuery(r.Query)
				assert.Equal(t, []string{"access_token", "uuid"}, slices.Sorted(maps.Keys(q)), "attachments/get reads only the uuid")
			}
		}
	})
}

// TestUpworkContractFromEnrollmentToEnd: an Upwork contract on a 1099Policy that requires
// phone and address (as the live API does): enrolled by an operator, it parks in
// NEEDS_ATTENTION naming the fields Upwork does not give; the operator supplies them through
// PUT …/contractor; the contractor applies and is INSURED; the contract then reads CLOSED
// (after its start) and the engagement ENDS.
func TestUpworkContractFromEnrollmentToEnd(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{RequireContactDetails: true, AutoCompleteAfter: time.Second})
	ex := example("upwork", "upwork-contact", "", true)
	ex.Start = day(-1) // under way: a CLOSED contract then ends rather than cancels
	require.NoError(t, s.Platforms.Seed("upwork", ex))
	code, out := ops(t, s, http.MethodPost, "/v1/engagements/upwork/"+ex.ID, nil)
	require.Equal(t, http.StatusOK, code, string(out))

	st := s.WaitStatus(t, "upwork", ex.ID, time.Minute, "NEEDS_ATTENTION", is(engagement.StatusNeedsAttention))
	for _, field := range []string{"phone", "address.line1", "address.locality", "address.region", "address.postalcode", "PUT /v1/engagements/"} {
		assert.Contains(t, st.AttentionReason, field)
	}
	assert.Empty(t, st.Policy.ContractorID, "nothing was created in 1099Policy")

	code, out = ops(t, s, http.MethodPut, "/v1/engagements/upwork/"+ex.ID+"/contractor", map[string]any{"address": map[string]string{"region": "California"}})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, string(out), "address.region")
	code, out = ops(t, s, http.MethodPut, "/v1/engagements/upwork/"+ex.ID+"/contractor", map[string]any{"phone": "+1 415 555 0199",
		"address": map[string]string{"line1": "9 Market St", "locality": "San Francisco", "region": "CA", "postalcode": "94103", "country": "US"}})
	require.Equal(t, http.StatusOK, code, string(out))

	st = s.WaitStatus(t, "upwork", ex.ID, time.Minute, "INSURED after the application", is(engagement.StatusInsured))
	assert.Contains(t, fmt.Sprint(st.Transitions), "contractor details supplied by an operator")
	assert.Contains(t, fmt.Sprint(st.Transitions), string(engagement.StatusAwaitingApplication), "the contractor applied")
	created := false
	for _, r := range postsFor(s, "/contractors", engagement.WorkflowID("upwork", ex.ID)) {
		created = created || (strings.Contains(r.Body, `"phone":"+1 415 555 0199"`) && strings.Contains(r.Body, `"line1":"9 Market St"`) &&
			strings.Contains(r.Body, `"email":"`+productEmail("upwork", ex)+`"`))
	}
	assert.True(t, created, "the contractor was created with the proxy email and the supplied phone and address")

	ex.Status = "CLOSED"
	require.NoError(t, s.Platforms.Seed("upwork", ex))
	status, body := hook(t, s, "upwork", platformsim.HookUpdate, ex, "closed-"+ex.ID, "")
	require.Equal(t, http.StatusOK, status, "%v", body)
	st = s.WaitStatus(t, "upwork", ex.ID, time.Minute, "ENDED", is(engagement.StatusEnded))
	assert.Contains(t, fmt.Sprint(st.Transitions), "platform shows status CLOSED")
}
