package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"

	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/payloadcodec"
	"github.com/coverage-orchestrator/coverage/startup"
	"github.com/coverage-orchestrator/coverage/telemetry"
	"github.com/coverage-orchestrator/coverage/workflows"
)

// replayUsage is `worker replay`'s help.
const replayUsage = `usage: worker replay [-sample N]

Replays the histories of the open Auto-Upgrade workflows (engagements, session coordinators,
event routers) of the namespace against this build, before it is deployed: prints how many
replayed and the first that does not, with its workflow id, and exits 1 when one does not.
Histories are decoded with PAYLOAD_ENCRYPTION_KEYS; it reads the worker's environment.`

// replayFlags parses `worker replay`'s arguments.
func replayFlags(args []string, stderr io.Writer) (sample int, err error) {
	fs := flag.NewFlagSet("worker replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, replayUsage) }
	fs.IntVar(&sample, "sample", 0, "replay this many open workflows, picked at random (0: all)")
	if err := fs.Parse(args); err != nil {
		return 0, err
	}
	if sample < 0 || fs.NArg() > 0 {
		fs.Usage()
		return 0, errors.New("bad arguments")
	}
	return sample, nil
}

// replayOpen replays the open Auto-Upgrade workflows (or a random sample of them) and reports
// on out: the check an operator runs with a new build before making it current.
func replayOpen(ctx context.Context, svc *startup.Service, sample int, out io.Writer) error {
	open, err := listOpen(ctx, svc, engagement.WorkflowsOfTypes(workflows.AutoUpgraded()...).Running())
	if err != nil {
		return fmt.Errorf("list open workflows: %w", err)
	}
	total := len(open)
	if sample > 0 && sample < total {
		rand.Shuffle(total, func(i, j int) { open[i], open[j] = open[j], open[i] })
		open = open[:sample]
	}
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
		DataConverter:    payloadcodec.DataConverter(svc.Config.PayloadKeys),
		FailureConverter: payloadcodec.FailureConverter(svc.Config.PayloadKeys),
	})
	if err != nil {
		return err
	}
	workflows.RegisterWorkflows(r)
	// The replayer reports a failure through its error; its own logs (a stack per failure)
	// would bury the summary.
	logger := telemetry.NewTemporalLogger(zap.NewNop())
	var replayed, failed int
	var first string
	for _, ex := range open {
		err := r.ReplayWorkflowExecution(ctx, svc.Client.WorkflowService(), logger, svc.Config.Temporal.Namespace, ex)
		if err == nil {
			replayed++
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if failed++; first == "" {
			first = fmt.Sprintf("%s (run %s): %v", ex.ID, ex.RunID, err)
		}
	}
	build := svc.Config.Deployment.BuildID
	if build == "" {
		build = "(unstamped)"
	}
	fmt.Fprintf(out, "replayed %d of %d open workflows (%d in the namespace; types %s) against build %s\n",
		replayed, len(open), total, strings.Join(workflows.AutoUpgraded(), ", "), build)
	if failed > 0 {
		fmt.Fprintf(out, "%d failed; first failure: %s\n", failed, first)
		return fmt.Errorf("%d of %d open workflows do not replay on this build: do not deploy it", failed, len(open))
	}
	return nil
}

// listOpen pages through a visibility query.
func listOpen(ctx context.Context, svc *startup.Service, q engagement.Query) ([]workflow.Execution, error) {
	var out []workflow.Execution
	var token []byte
	for {
		resp, err := svc.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: svc.Config.Temporal.Namespace, Query: q.String(), NextPageToken: token, PageSize: 1000})
		if err != nil {
			return nil, err
		}
		for _, ex := range resp.Executions {
			out = append(out, workflow.Execution{ID: ex.GetExecution().GetWorkflowId(), RunID: ex.GetExecution().GetRunId()})
		}
		if token = resp.NextPageToken; len(token) == 0 {
			return out, nil
		}
	}
}
