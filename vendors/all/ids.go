package all

import (
	"fmt"

	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/jobdiva"
	"github.com/coverage-orchestrator/coverage/vendors/remote"
	"github.com/coverage-orchestrator/coverage/vendors/upwork"
	"github.com/coverage-orchestrator/coverage/vendors/workmarket"
)

// EngagementIDs is each platform's engagement id rule.
var EngagementIDs = map[string]vendors.IDRule{
	remote.Vendor: remote.EngagementID, workmarket.Vendor: workmarket.EngagementID,
	upwork.Vendor: upwork.EngagementID, jobdiva.Vendor: jobdiva.EngagementID,
}

// CheckEngagementID checks an engagement id of a platform (an *vendors.IDError names it).
func CheckEngagementID(vendor, id string) error {
	rule, ok := EngagementIDs[vendor]
	if !ok {
		return fmt.Errorf("unknown platform %q", vendor)
	}
	return rule.Check(id)
}
