package upwork

import "github.com/coverage-orchestrator/coverage/vendors"

// EngagementID is the shape of a contract id (a number on the live API).
var EngagementID = vendors.IDRule{What: "contract id", MaxLen: 40}
