package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/testenv"
)

// TestPollingFindsChangesWithoutWebhooks: records changed only in the platform sandboxes (no
// webhook at all) reach their engagement workflows through the scheduled polls, for every
// platform; a later change (a cancellation) arrives the same way.
func TestPollingFindsChangesWithoutWebhooks(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: time.Second, PollInterval: "2s"})
	for _, c := range cases {
		email := c.name + "-polled@example.com"
		ex := example(c.name, c.name+"-polled", email, c.hourly)
		returning(t, s, productEmail(c.name, ex), true)
		require.NoError(t, s.Platforms.Seed(c.name, ex))
		if c.name == "upwork" {
			// Upwork has no listing to discover a contract in: it is enrolled, then polled.
			code, out := ops(t, s, "POST", "/v1/engagements/upwork/"+ex.ID, nil)
			require.Equal(t, 200, code, string(out))
		}
		s.WaitStatus(t, c.name, ex.ID, time.Minute, "INSURED via polling", is(engagement.StatusInsured))

		ex.Status = map[string]string{"remote": "deleted", "workmarket": "cancelled", "upwork": "CLOSED", "jobdiva": "terminated"}[c.name]
		require.NoError(t, s.Platforms.Seed(c.name, ex))
		s.WaitStatus(t, c.name, ex.ID, time.Minute, "CANCELED via polling", is(engagement.StatusCanceled))
	}
	for _, c := range cases {
		desc, err := s.Client.ScheduleClient().GetHandle(context.Background(), engagement.PollerWorkflowID(c.name)).Describe(context.Background())
		require.NoError(t, err)
		assert.NotEmpty(t, desc.Info.RecentActions, "the %s schedule ran", c.name)
	}
}
