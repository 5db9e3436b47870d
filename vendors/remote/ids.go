package remote

import "github.com/coverage-orchestrator/coverage/vendors"

// EngagementID is the shape of an employment id (a UUID on the live API; 64 characters leave
// room for other sandboxes' ids).
var EngagementID = vendors.IDRule{What: "employment id", MaxLen: 64}
