package e2e

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/testenv"
)

// TestClusterTopology runs the production topology on one machine: the real Temporal server
// on PostgreSQL, two workers and two ingress replicas. Engagements of all four platforms
// arrive through both replicas while a worker is killed, the Temporal server restarts and
// PostgreSQL restarts; then none is lost, no 1099Policy object is duplicated, and every
// delivery that got a 2xx is reflected in its workflow.
func TestClusterTopology(t *testing.T) {
	cl := testenv.StartCluster(t)
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: time.Second, Cluster: cl})
	_, ingress2 := s.StartReplica()
	replicas := []string{s.IngressURL, ingress2}

	list := fleet(t, s, "cluster", 24)
	var mu sync.Mutex
	accepted := map[string]bool{}
	send := func(from, to int) {
		var wg sync.WaitGroup
		for i := from; i < to; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				e := list[i]
				for attempt := 0; attempt < 60; attempt++ { // a sender retries anything but 2xx
					if code := sendTo(s, replicas[(i+attempt)%2], e); code >= 200 && code < 300 {
						mu.Lock()
						accepted[e.workflowID()] = true
						mu.Unlock()
						return
					}
					time.Sleep(time.Second)
				}
			}(i)
		}
		wg.Wait()
	}

	send(0, 8)
	s.Worker.Kill() // SIGKILL one worker mid-traffic; the other carries on
	send(8, 14)
	s.StartWorker()

	cl.StopServer()
	down := sendTo(s, replicas[0], list[14])
	assert.Equal(t, http.StatusServiceUnavailable, down, "webhooks answer 503 while Temporal is down")
	cl.StartServer()
	send(14, 20)

	cl.RestartPostgres()
	send(20, len(list))

	require.Len(t, accepted, len(list), "every delivery was accepted in the end")
	waitAllInsured(t, s, list, 4*time.Minute)
	assertNoDuplicates(t, s, list)
	for _, e := range list {
		st, ok := s.Status(e.platform, e.ex.ID)
		require.True(t, ok, "%s exists", e.workflowID())
		assert.Equal(t, engagement.StatusInsured, st.CoverageStatus, e.workflowID())
	}
	t.Logf("%d engagements over %d ingress replicas and two workers: %s", len(list), len(replicas), fmt.Sprint(len(accepted)))
}
