package workmarket

import "github.com/coverage-orchestrator/coverage/vendors"

// EngagementID is the shape of an assignment id (a number of about 10 digits on the live API).
var EngagementID = vendors.IDRule{What: "assignment id", MaxLen: 40}
