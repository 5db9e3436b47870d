package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"

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

	t.Run("a JobDiva termination after the start moves the assignment's end to the end of that day", func(t *testing.T) {
		// JobDiva sends no end webhook: the termination comes from NewUpdatedTerminations.
		ex := example("jobdiva", "jobdiva-ended", "jobdiva-ended@example.com", true)
		ex.Start = day(-1)
		returning(t, s, ex.Email, true)
		require.NoError(t, s.Platforms.Seed("jobdiva", ex))
		st := s.WaitStatus(t, "jobdiva", ex.ID, time.Minute, "INSURED via polling", is(engagement.StatusInsured))
		require.NotEmpty(t, st.Policy.AssignmentID)
		terminationDay := day(2)
		ex.Status, ex.Terminated = "terminated", terminationDay.Add(14*time.Hour+30*time.Minute) // TERMINATIONDATE "MM/dd/yyyy 14:30:00"
		require.NoError(t, s.Platforms.Seed("jobdiva", ex))
		s.WaitStatus(t, "jobdiva", ex.ID, time.Minute, "ENDED via polling", is(engagement.StatusEnded))
		// Coverage runs to the end of the termination day: 00:00 UTC of the next day.
		assertEndMovedTo(t, s, st.Policy.AssignmentID, terminationDay.AddDate(0, 0, 1).Unix())
	})
}

// TestPollsOfUnchangedRecordsCostNothing: with the pollers running every 2 s, three poll rounds
// over unchanged Upwork, Remote (its feed showing a failed delivery, so every round hands over
// every open employment), WorkMarket and JobDiva records (both re-listed within their overlap)
// add no event to the engagements' histories; a changed record is applied in the next round.
func TestPollsOfUnchangedRecordsCostNothing(t *testing.T) {
	const interval = 2 * time.Second
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: time.Second, PollInterval: interval.String()})
	ctx := context.Background()
	records := map[string]platformsim.Example{}
	for _, c := range cases {
		email := c.name + "-waiting@example.com"
		returning(t, s, email, true)
		ex := example(c.name, c.name+"-waiting", email, c.hourly)
		start(t, s, c, ex)
		s.WaitStatus(t, c.name, ex.ID, time.Minute, "INSURED", is(engagement.StatusInsured))
		records[c.name] = ex
	}
	s.Platforms.RecordRemoteDelivery("employment.updated", false)

	historyLength := func(platform string) int64 {
		desc, err := s.Client.DescribeWorkflowExecution(ctx, engagement.WorkflowID(platform, records[platform].ID), "")
		require.NoError(t, err)
		return desc.GetWorkflowExecutionInfo().GetHistoryLength()
	}
	pollRuns := func(platform string) int {
		desc, err := s.Client.ScheduleClient().GetHandle(ctx, engagement.PollerWorkflowID(platform)).Describe(ctx)
		require.NoError(t, err)
		return desc.Info.NumActions
	}
	// Settled: every engagement published the version of the record it applied, and its
	// history stood still over a whole poll round. A run has ended once the run after it has
	// started (overlapping runs are skipped, engagement/schedules.go), so the wait is for two
	// more runs, not for a fixed time.
	lengths := map[string]int64{}
	for _, c := range cases {
		settled := false
		for deadline := time.Now().Add(time.Minute); !settled && time.Now().Before(deadline); {
			versions, err := engagement.RunningSourceVersions(ctx, s.Client, c.name)
			require.NoError(t, err)
			if versions[records[c.name].ID] == "" {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			before, started := historyLength(c.name), pollRuns(c.name)
			require.Eventually(t, func() bool { return pollRuns(c.name) >= started+2 }, 30*time.Second, 100*time.Millisecond,
				"%s: a whole poll round ran", c.name)
			lengths[c.name] = historyLength(c.name)
			settled = lengths[c.name] == before
		}
		require.True(t, settled, "%s: a version published and the history settled over a poll round", c.name)
	}
	runs := map[string]int{}
	for _, c := range cases {
		runs[c.name] = pollRuns(c.name)
	}
	for _, c := range cases {
		// Four more runs started: three of them ran to the end.
		require.Eventually(t, func() bool { return pollRuns(c.name) >= runs[c.name]+4 }, time.Minute, 200*time.Millisecond, c.name)
	}
	for _, c := range cases {
		assert.Equal(t, lengths[c.name], historyLength(c.name), "%s: three polls of an unchanged record add no event", c.name)
	}

	// A changed record (a new rate) reaches its engagement in the next round.
	newRate := map[string]string{"remote": "6000.00", "workmarket": "350.00", "upwork": "80.00", "jobdiva": "99.00"}
	for _, c := range cases {
		ex := records[c.name]
		ex.Rate = newRate[c.name]
		require.NoError(t, s.Platforms.Seed(c.name, ex))
	}
	for _, c := range cases {
		s.WaitStatus(t, c.name, records[c.name].ID, 2*interval+15*time.Second, "the new rate applied", func(st engagement.Status) bool {
			return strings.Contains(fmt.Sprint(st.Transitions), "job updated")
		})
	}
}
