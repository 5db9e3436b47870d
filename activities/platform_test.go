package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// TestOnlyRecordsNotYetAppliedAreDelivered: a poll's record is left out when its running
// engagement published that very version, or when an earlier run handed it that version and
// the engagement has not published it yet; a new version, a record without one, and a record
// no engagement runs for (a start, or an end for one not visible yet) are delivered.
func TestOnlyRecordsNotYetAppliedAreDelivered(t *testing.T) {
	applied := map[string]string{"same": "v:1", "moved": "v:1", "unpublished": "", "webhook": "v:1", "applying": "v:1"}
	evs := []vendors.Event{
		{EngagementID: "same", Version: "v:1", EventID: "e-same"},
		{EngagementID: "moved", Version: "v:2", EventID: "e-moved"},
		{EngagementID: "unpublished", Version: "v:1", EventID: "e-unpublished"},
		{EngagementID: "webhook", EventID: "e-webhook"},
		{EngagementID: "new", Version: "v:1", EventID: "e-new"},
		{EngagementID: "applying", Version: "v:2", EventID: "e-applying"},
	}
	out, awaiting := notYetApplied(evs, applied, []string{"e-applying", "e-gone"})
	var ids []string
	for _, ev := range out {
		ids = append(ids, ev.EngagementID)
	}
	assert.Equal(t, []string{"moved", "unpublished", "webhook", "new"}, ids)
	assert.Equal(t, []string{"e-moved", "e-unpublished", "e-applying"}, awaiting,
		"handed to running engagements and not published yet; a published or unlisted one is forgotten")

	// The next run, once "moved" published v:2: only what is still unpublished stays out.
	applied["moved"] = "v:2"
	out, awaiting = notYetApplied(evs, applied, awaiting)
	ids = nil
	for _, ev := range out {
		ids = append(ids, ev.EngagementID)
	}
	assert.Equal(t, []string{"webhook", "new"}, ids)
	assert.Equal(t, []string{"e-unpublished", "e-applying"}, awaiting)
}
