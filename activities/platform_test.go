package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// TestOnlyRecordsNotYetAppliedAreDelivered: a poll's record is left out only when its running
// engagement published that very version; a new version, a record without one, and a record
// no engagement runs for (a start, or an end for one not visible yet) are delivered.
func TestOnlyRecordsNotYetAppliedAreDelivered(t *testing.T) {
	applied := map[string]string{"same": "v:1", "moved": "v:1", "unpublished": "", "webhook": "v:1"}
	evs := []vendors.Event{
		{EngagementID: "same", Version: "v:1"},
		{EngagementID: "moved", Version: "v:2"},
		{EngagementID: "unpublished", Version: "v:1"},
		{EngagementID: "webhook"},
		{EngagementID: "new", Version: "v:1"},
	}
	out, unchanged := notYetApplied(evs, applied)
	var ids []string
	for _, ev := range out {
		ids = append(ids, ev.EngagementID)
	}
	assert.Equal(t, []string{"moved", "unpublished", "webhook", "new"}, ids)
	assert.Equal(t, 1, unchanged)
}
