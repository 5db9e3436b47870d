package workflows

import "go.temporal.io/sdk/workflow"

// The version ladder: the one place for the markers of changes to the Auto-Upgrade workflows
// (engagement, coordinator, router; register.go). Their open runs move to each new current
// build, so a change to the commands they emit (an activity, a timer, a child or a signal
// added, removed or reordered) goes under a new step here, taken with atLeast, and old runs
// replay the old way. README "Changing a workflow" has the steps, and when a step retires.
const (
	// versionBaseline is the code of the unversioned builds before the first release (goldens
	// in testdata/golden/v0.9.0): runs that recorded no marker follow it.
	versionBaseline = workflow.DefaultVersion

	// Issue 21 (hardening), one step for three changes:
	//  - versionBodyTimeOrdersNothing: every platform update re-reads the record, whatever time
	//    its body carries (handlers.go);
	//  - versionNotificationSender: the outbox goes to the engagement's sender workflow, one
	//    queue per destination (notifications.go);
	//  - versionRefetchNotFoundFrees: a refetch-mode router whose event 1099Policy does not have
	//    fails, leaving its id free for the real event (router.go).
	versionHardening             workflow.Version = 1
	versionBodyTimeOrdersNothing                  = versionHardening
	versionNotificationSender                     = versionHardening
	versionRefetchNotFoundFrees                   = versionHardening

	// A new step: `versionWhatChanged workflow.Version = <previous + 1>`, then point
	// latestVersion at it.

	// latestVersion is what a run records when it first reaches a marker.
	latestVersion = versionHardening
	// oldestVersion is the oldest step an open run may still follow; raised when a step
	// retires (its old branch is deleted).
	oldestVersion = versionBaseline
)

// changeID names the ladder in history markers and in the TemporalChangeVersion search
// attribute ("coverage-<n>").
const changeID = "coverage"

// atLeast reports whether this run follows step v or a later one: a run records
// latestVersion the first time its code reaches a marker, and a run upgraded from an older
// build reads back the step it recorded (none: versionBaseline).
func atLeast(ctx workflow.Context, v workflow.Version) bool {
	return workflow.GetVersion(ctx, changeID, oldestVersion, latestVersion) >= v
}

// commandOrderChangeForTest is nil except in a worker built with a test-only tag (e2e
// TestRollingUpgradeWithChanges, TestReplayCheck): upgrade_unguarded emits a timer no marker
// guards, the change every release must not make; upgrade_guarded emits it under the ladder's
// next step, the way every release must.
var commandOrderChangeForTest func(ctx workflow.Context)
