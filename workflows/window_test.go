package workflows

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/config"
	"github.com/coverage-orchestrator/coverage/engagement"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// Known answers for the coverage window (SPEC §2 steps 4 and 6). Every expected value is a
// literal computed outside the code, with
//
//	python3 -c "import calendar,datetime as d; print(calendar.timegm(d.datetime.fromisoformat('2027-01-11T00:00:00').timetuple()))"
//
// (the date in the comment beside each constant).
const (
	knownNow       = 1799055000 // 2027-01-04T09:30:00Z: the workflow clock at the start
	knownStart     = 1799625600 // 2027-01-11T00:00:00Z: the date-only start "2027-01-11"
	knownEnd       = 1802217600 // 2027-02-10T00:00:00Z: the date-only end "2027-02-09", covered through its last day
	knownEndedAt   = 1800453600 // 2027-01-20T14:00:00Z: the moment the work ended early
	knownEndedDay  = 1800489600 // 2027-01-21T00:00:00Z: the next 00:00 UTC after it
	knownHorizon45 = 1803513600 // 2027-02-25T00:00:00Z: the start + COVERAGE_HORIZON=45d
	knownHorizon90 = 1807401600 // 2027-04-11T00:00:00Z: the start + the default 90 days
)

// knownWindowFixture is the standard engagement on a fixed clock, its window read from the
// platform's date-only fields the way every adapter reads them.
func knownWindowFixture(t *testing.T, email, startDay, endDay string) *fixture {
	t.Helper()
	f := newFixture(t)
	f.start = time.Unix(knownNow, 0).UTC()
	f.env.SetStartTime(f.start)
	f.engagement("ct_1", email)
	start, err := vendors.WindowStart(startDay)
	require.NoError(t, err)
	var end int64
	if endDay != "" {
		end, err = vendors.WindowEnd(endDay)
		require.NoError(t, err)
	}
	f.platform.Update("ct_1", func(x *vendors.Engagement) { x.Start, x.End = start, end })
	return f
}

// returningContractor gives the engagement's contractor an active policy: it is covered by an
// assignment.
func (f *fixture) returningContractor(email string) pc.Policy {
	con, err := f.client.CreateContractor(context.Background(), "seed", pc.Contractor{FirstName: "J", LastName: "C", Email: email})
	require.NoError(f.t, err)
	policy, err := f.sim.SeedPolicy(pc.Policy{Contractor: con.ID})
	require.NoError(f.t, err)
	return policy
}

// window is the effective_date and end_date a 1099Policy request body carries.
func window(body string) string {
	var parts []string
	for _, field := range []string{`"effective_date":`, `"end_date":`} {
		if i := strings.Index(body, field); i >= 0 {
			rest := body[i:]
			if j := strings.IndexAny(rest, ",}"); j >= 0 {
				rest = rest[:j]
			}
			parts = append(parts, rest)
		}
	}
	return strings.Join(parts, ",")
}

func TestDateOnlyWindowIsRequestedFromMidnightToTheNextDaysMidnight(t *testing.T) {
	f := knownWindowFixture(t, "", "2027-01-11", "2027-02-09")
	var waiting engagement.Status
	f.at(time.Hour, func() { waiting = f.status(); f.platformEvent(vendors.KindCancel, "c") })
	f.run()
	quotes := f.posts("/quotes")
	require.Len(t, quotes, 1, causes(waiting))
	assert.Equal(t, fmt.Sprintf(`"effective_date":%d,"end_date":%d`, knownStart, knownEnd), window(quotes[0].Body),
		"SPEC §2 step 4: 2027-01-11 → 2027-01-11T00:00Z, 2027-02-09 → 2027-02-10T00:00Z")
	assert.EqualValues(t, knownStart, waiting.CoverageStart)
	assert.EqualValues(t, knownEnd, waiting.CoverageEnd)
}

// SPEC §2 step 6: after the start the assignment's end moves to the actual end, read as the
// day it happened: the next 00:00 UTC, not the instant.
func TestEarlyEndMovesTheAssignmentToTheNextMidnight(t *testing.T) {
	f := knownWindowFixture(t, "early@example.com", "2027-01-11", "2027-02-09")
	f.returningContractor("early@example.com")
	var covered engagement.Status
	f.at(time.Hour, func() { covered = f.status() })
	f.at(time.Duration(knownEndedAt-knownNow)*time.Second, func() { f.platformEvent(vendors.KindEnd, "end") })
	final := f.run()
	require.NotEmpty(t, covered.Policy.AssignmentID, causes(covered))
	asg := f.posts("/assignments")
	require.Len(t, asg, 1)
	assert.Equal(t, fmt.Sprintf(`"effective_date":%d,"end_date":%d`, knownStart, knownEnd), window(asg[0].Body))
	var puts []string
	for _, r := range f.sim.Requests() {
		if r.Method == "PUT" && r.Path == "/api/v1/assignments/"+covered.Policy.AssignmentID && r.Status < 300 {
			puts = append(puts, window(r.Body))
		}
	}
	assert.Equal(t, []string{fmt.Sprintf(`"effective_date":%d,"end_date":%d`, knownStart, knownEndedDay)}, puts,
		"ended 2027-01-20T14:00Z: covered through 2027-01-20, to 2027-01-21T00:00Z")
	assert.Equal(t, engagement.StatusEnded, final.CoverageStatus, causes(final))
	assert.EqualValues(t, knownEndedDay, final.CoverageEnd)
	assert.Contains(t, causes(final), "assignment end date moved to 2027-01-21")
}

// COVERAGE_HORIZON from the environment, as the worker reads it (config.Load) and hands it to
// the activities (worker/main.go), reaches the coverage end the workflow requests.
func TestConfiguredHorizonSetsTheRequestedCoverageEnd(t *testing.T) {
	for _, c := range []struct {
		setting string
		want    int64
	}{{"45d", knownHorizon45}, {"1080h", knownHorizon45}, {"", knownHorizon90}} {
		t.Run("COVERAGE_HORIZON="+c.setting, func(t *testing.T) {
			t.Setenv("POLICY_API_KEY", testAPIKey)
			t.Setenv("POLICY_WEBHOOK_SECRET", "whsec_window_test")
			if c.setting != "" {
				t.Setenv("COVERAGE_HORIZON", c.setting)
			}
			cfg, err := config.Load()
			require.NoError(t, err)
			f := knownWindowFixture(t, "", "2027-01-11", "") // open-ended
			f.acts.Horizon = cfg.CoverageHorizon
			var waiting engagement.Status
			f.at(time.Hour, func() { waiting = f.status(); f.platformEvent(vendors.KindCancel, "c") })
			f.run()
			quotes := f.posts("/quotes")
			require.Len(t, quotes, 1, causes(waiting))
			assert.Equal(t, fmt.Sprintf(`"effective_date":%d,"end_date":%d`, knownStart, c.want), window(quotes[0].Body))
			assert.Equal(t, c.want, waiting.CoverageEnd)
		})
	}
}
