package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/coverage-orchestrator/coverage/notify"
	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/testenv"
)

// One queue per destination (issue 21): a receiver that is down delays neither another
// receiver nor the engagement's completion; what it is owed is delivered once it is back.
func TestDeadNotificationDestinationDelaysOnlyItself(t *testing.T) {
	alive, dead := &receiver{t: t}, &receiver{t: t}
	dead.failUntil = time.Now().Add(time.Hour) // down until the test revives it
	aliveSrv, deadSrv := httptest.NewServer(alive), httptest.NewServer(dead)
	defer aliveSrv.Close()
	defer deadSrv.Close()
	s := testenv.NewStack(t, testenv.StackOptions{ExtraEnv: []string{
		"NOTIFY_WEBHOOK_URLS=" + deadSrv.URL + "/down," + aliveSrv.URL + "/up", "NOTIFY_WEBHOOK_SECRET=" + notifySecret}})
	pcase := cases[1]
	email := "queues@example.com"
	returning(t, s, email, true)
	ex := example(pcase.name, "notify-queues", email, pcase.hourly)
	start(t, s, pcase, ex)
	wid := engagement.WorkflowID(pcase.name, ex.ID)
	s.WaitStatus(t, pcase.name, ex.ID, time.Minute, "INSURED", is(engagement.StatusInsured))
	alive.waitFor(t, wid, notify.EngagementInsured)

	status, _ := hook(t, s, pcase.name, platformsim.HookCancel, ex, "cancel-"+ex.ID, "")
	require.Equal(t, http.StatusOK, status)
	alive.waitFor(t, wid, notify.EngagementCanceled)
	s.WaitClosed(t, wid) // the engagement completed while the dead receiver still owes everything
	dead.mu.Lock()
	assert.Positive(t, dead.failed, "the dead receiver was tried")
	assert.Empty(t, dead.accepted)
	dead.mu.Unlock()
	desc, err := s.Client.DescribeWorkflowExecution(context.Background(), engagement.NotificationSenderWorkflowID(wid), "")
	require.NoError(t, err)
	assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.GetWorkflowExecutionInfo().GetStatus(),
		"what the dead receiver is owed is held by the sender workflow")

	dead.mu.Lock()
	dead.failUntil = time.Time{} // back up
	dead.mu.Unlock()
	dead.waitFor(t, wid, notify.EngagementCanceled)
	got, _ := dead.of(wid)
	want, _ := alive.of(wid)
	assert.Equal(t, types(want), types(got), "every notification, in order, to both")
}
