//go:build upgrade_unguarded

package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// A test-only build (go build -tags upgrade_unguarded): a timer before the set-up, with no
// marker, so an engagement started on an earlier build fails to replay on this one.
func init() {
	commandOrderChangeForTest = func(ctx workflow.Context) { _ = workflow.Sleep(ctx, time.Millisecond) }
}
