package e2e

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/testenv"
)

// TestNamespaceWithSPECsAttributesOnly: a namespace registered with SPEC §3's attributes but
// not the optional SourceVersion (issue 25) still runs every engagement: the worker starts with
// one warning line naming the attribute and the command that registers it, and its workflows
// publish no version (an upsert of an unregistered attribute would fail every workflow task).
func TestNamespaceWithSPECsAttributesOnly(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{NoWorker: true, AutoCompleteAfter: time.Second})
	cli := func(args ...string) {
		out, err := exec.Command(testenv.CLIPath(t), append(args, "--address", s.Temporal.HostPort)...).CombinedOutput()
		require.NoError(t, err, string(out))
	}
	cli("operator", "namespace", "create", "-n", "lean")
	for _, sa := range engagement.SearchAttributes() {
		if !sa.Optional {
			cli("operator", "search-attribute", "create", "--namespace", "lean", "--name", sa.Name, "--type", sa.Kind)
		}
	}
	worker := testenv.StartBinary(t, testenv.Binaries(t)+"/worker", "worker-lean", append(append([]string{}, s.Env...), "TEMPORAL_NAMESPACE=lean"))

	c, err := s.Temporal.NamespaceClient("lean")
	require.NoError(t, err)
	defer c.Close()
	ctx := context.Background()
	ex := example("remote", "lean-first", "", false)
	require.NoError(t, s.Platforms.Seed("remote", ex))
	outcome, err := engagement.DeliverPlatformEvent(ctx, c, s.TaskQueue, engagement.StartEvent("remote", ex.ID, engagement.EnrollSource, nil))
	require.NoError(t, err)
	require.Equal(t, engagement.Accepted, outcome)
	// Set up, quoted and waiting for the application: every step upserted its search attributes.
	// (The ingress and the sandbox's webhooks serve the default namespace, so this one goes no
	// further.)
	var st engagement.Status
	require.Eventually(t, func() bool {
		st, _, err = engagement.QueryEngagement(ctx, c, "remote", ex.ID)
		return err == nil && st.CoverageStatus == engagement.StatusAwaitingApplication
	}, 2*time.Minute, 200*time.Millisecond, "the engagement goes on without SourceVersion")
	desc, err := c.DescribeWorkflowExecution(ctx, engagement.WorkflowID("remote", ex.ID), "")
	require.NoError(t, err)
	fields := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()
	assert.Contains(t, fields, engagement.KeyCoverageStatus.GetName())
	assert.NotContains(t, fields, engagement.KeySourceVersion.GetName())
	log, err := os.ReadFile(worker.Log)
	require.NoError(t, err)
	assert.Contains(t, string(log), "search attribute SourceVersion is not registered in namespace lean")
	assert.Contains(t, string(log), "temporal operator search-attribute create --namespace lean --name SourceVersion --type Keyword")
}
