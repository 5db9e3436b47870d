//go:build upgrade_guarded

package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// A test-only build (go build -tags upgrade_guarded): the same timer as upgrade_unguarded, but
// under the ladder's next step, as "Changing a workflow" says, so engagements started on an
// earlier build keep their old command order and new ones take the timer.
func init() {
	commandOrderChangeForTest = func(ctx workflow.Context) {
		if workflow.GetVersion(ctx, changeID, oldestVersion, latestVersion+1) > latestVersion {
			_ = workflow.Sleep(ctx, time.Millisecond)
		}
	}
}
