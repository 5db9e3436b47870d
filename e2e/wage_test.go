package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/testenv"
)

// A per-unit price times a unit count out of range parks the engagement with a reason that
// names the values (issue 21): nothing reaches 1099Policy with a wrapped-around wage.
func TestOutOfRangeWageParksWithItsReason(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{})
	wm := cases[1]
	ex := example(wm.name, "wage-range", "wage-range@example.com", false)
	require.NoError(t, s.Platforms.Seed(wm.name, ex))
	var asg map[string]any
	// vendors.md's assignments/get example, as the platform would change it: 10^11 units at $1,000,000.00.
	require.NoError(t, json.Unmarshal([]byte(`{"id":"wage-range","title":"Install POS","description":"Install and test 4 terminals",
		"industry":"Low Voltage","status":"active","client":5317,"project":1234,"assignment_window_start":`+jsonInt(day(7).Unix())+`,
		"assignment_window_end":`+jsonInt(day(8).Unix())+`,"scheduled_time":null,"time_zone":"America/New_York","location":{"id":"88"},
		"active_resource":{"id":"c-wage-range","first_name":"Sam","last_name":"Worker","email":"wage-range@example.com",
		"phone_numbers":[{"phone":"2125550100","extension":null,"type":"WORK"}],
		"address":{"address_1":"1 Main St","address_2":null,"city":"Brooklyn","state":"NY","zip":"11201","country":"USA"}},
		"pricing":{"type":"PER UNIT","per_unit_price":1000000.00,"max_number_of_units":100000000000},
		"invoice_number":null,"payment":{"total_cost":440.0,"paid_on":null},"last_modified_on":`+jsonInt(time.Now().Unix())+`}`), &asg))
	require.NoError(t, s.Platforms.Put(wm.name, "assignments", ex.ID, asg))
	status, body := hook(t, s, wm.name, platformsim.HookStart, ex, "start-"+ex.ID, "")
	require.Equal(t, 200, status, "%v", body)
	st := s.WaitStatus(t, wm.name, ex.ID, time.Minute, "NEEDS_ATTENTION", func(st engagement.Status) bool {
		return st.CoverageStatus == engagement.StatusNeedsAttention
	})
	assert.Contains(t, st.AttentionReason, "out of range")
	assert.Contains(t, st.AttentionReason, "1000000")
	assert.Empty(t, postsFor(s, "/jobs", engagement.WorkflowID(wm.name, ex.ID)), "no job with a wrong wage")
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }
