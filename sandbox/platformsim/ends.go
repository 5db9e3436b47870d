package platformsim

import (
	"github.com/coverage-orchestrator/coverage/vendors/upwork"
	"github.com/coverage-orchestrator/coverage/vendors/workmarket"
)

// EndStatus is the status a platform's record shows when the platform sends an end (HookEnd)
// or cancel (HookCancel) event, for the platforms whose end events the product only takes as
// a hint to re-read the record (WorkMarket, Upwork's relay); "" for the others. A test or
// the demo seeds the record with it before sending the event, as the platform would have it.
func EndStatus(platform, kind string) string {
	switch {
	case platform == workmarket.Vendor && kind == HookEnd:
		return "complete"
	case platform == workmarket.Vendor && kind == HookCancel:
		return "cancelled"
	case platform == upwork.Vendor && (kind == HookEnd || kind == HookCancel):
		return "CLOSED" // before the start date a cancel, after it an end
	}
	return ""
}
