package jobdiva

import "github.com/coverage-orchestrator/coverage/vendors"

// EngagementID is the shape of a start id (a number on the live API).
var EngagementID = vendors.IDRule{What: "start id", MaxLen: 40}
