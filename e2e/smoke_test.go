package e2e

import (
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/assert"

	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/testenv"
)

func TestSmokeRemoteFirstTime(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: time.Second})
	ex := example("remote", "ct_smoke", "", false)
	if err := s.Platforms.Seed("remote", ex); err != nil {
		t.Fatal(err)
	}
	status, body := hook(t, s, "remote", platformsim.HookStart, ex, "e1", "")
	assert.Equal(t, 200, status, "%v", body)
	st := s.WaitStatus(t, "remote", ex.ID, 60*time.Second, "INSURED", func(st engagement.Status) bool { return st.CoverageStatus == engagement.StatusInsured })
	assert.NotEmpty(t, st.Policy.PolicyID)
}
