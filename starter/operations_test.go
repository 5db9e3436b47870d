package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/console"
)

func TestVisibilityQuery(t *testing.T) {
	at := time.Date(2026, 12, 11, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		q    console.ListQuery
		want string
	}{
		{console.ListQuery{}, "WorkflowType = 'EngagementWorkflow'"},
		{console.ListQuery{Vendor: "upwork", Status: "NEEDS_ATTENTION", Running: true},
			"WorkflowType = 'EngagementWorkflow' AND CoverageStatus = 'NEEDS_ATTENTION' AND Vendor = 'upwork' AND ExecutionStatus = 'Running'"},
		{console.ListQuery{Certificate: "FLAGGED", StartsBefore: at},
			"WorkflowType = 'EngagementWorkflow' AND CertificateStatus = 'FLAGGED' AND CoverageStart < '2026-12-11T00:00:00Z'"},
		{console.ListQuery{ActiveSince: at},
			"WorkflowType = 'EngagementWorkflow' AND (ExecutionStatus = 'Running' OR CloseTime >= '2026-12-11T00:00:00Z')"},
	}
	for _, c := range cases {
		got, err := visibilityQuery(c.q)
		require.NoError(t, err)
		assert.Equal(t, c.want, got.String())
	}
	// Values go into the query only from the fixed lists: anything else is 400, never quoted in.
	for _, q := range []console.ListQuery{{Vendor: "upwork' OR 1=1"}, {Status: "INSURED' OR 'a'='a"}, {Certificate: "NOPE"}} {
		_, err := visibilityQuery(q)
		var he *echo.HTTPError
		require.ErrorAs(t, err, &he)
		assert.Equal(t, http.StatusBadRequest, he.Code)
	}
}
