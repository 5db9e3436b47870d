package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/sandbox/demo"
	"github.com/coverage-orchestrator/coverage/testenv"
)

// TestDemoReachesItsStatuses runs `make demo`'s mix on a headless stack whose 1099Policy
// requires contact details (as `make run`'s does) and checks, through the operator API, that
// within a minute the engagements show INSURED, AWAITING_APPLICATION, CANCELED, UNPROTECTED,
// NEEDS_ATTENTION and a FLAGGED certificate across all four platforms, and that the Upwork
// contract passed through the contact-details parking the demo resolved as an operator.
func TestDemoReachesItsStatuses(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: 2 * time.Second, RequireContactDetails: true})
	list, err := demo.Run(context.Background(), demo.Config{PlatformSandboxURL: s.PlatformURL, PolicySandboxURL: s.PolicyURL,
		PolicyAPIKey: testenv.PolicyKey, IngressURL: s.IngressURL, OpsToken: testenv.OpsToken, Prefix: "demo-"})
	require.NoError(t, err)
	require.Len(t, list, 11)
	platforms, statuses := map[string]bool{}, map[string]bool{}
	deadline := time.Now().Add(time.Minute)
	for _, e := range list {
		platforms[e.Platform] = true
		var got struct {
			CoverageStatus    string `json:"coverage_status"`
			CertificateStatus string `json:"certificate_status"`
		}
		for {
			code, body := ops(t, s, "GET", "/v1/engagements/"+e.Platform+"/"+e.ID, nil)
			if code == 200 {
				require.NoError(t, json.Unmarshal(body, &got))
				if got.CoverageStatus == e.Want && (e.WantCertificate == "" || got.CertificateStatus == e.WantCertificate) {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s %s (%s): want %s/%s, have %s/%s", e.Platform, e.ID, e.Story, e.Want, e.WantCertificate, got.CoverageStatus, got.CertificateStatus)
			}
			time.Sleep(300 * time.Millisecond)
		}
		statuses[got.CoverageStatus] = true
		if got.CertificateStatus == "FLAGGED" {
			statuses["certificate FLAGGED"] = true
		}
	}
	assert.Len(t, platforms, 4)
	for _, want := range []string{"INSURED", "AWAITING_APPLICATION", "CANCELED", "certificate FLAGGED", "UNPROTECTED", "NEEDS_ATTENTION"} {
		assert.True(t, statuses[want], want)
	}
	for _, e := range list {
		if e.Platform == "upwork" && e.Want == "INSURED" { // the one the demo supplied details for
			code, body := ops(t, s, "GET", "/v1/engagements/upwork/"+e.ID, nil)
			require.Equal(t, 200, code)
			assert.Contains(t, string(body), "NEEDS_ATTENTION")
			assert.Contains(t, string(body), "contractor details supplied by an operator")
		}
	}
	code, body := ops(t, s, "GET", "/v1/engagements?status=CANCELED", nil)
	require.Equal(t, 200, code)
	assert.Contains(t, string(body), `"coverage_status":"CANCELED"`)
}
