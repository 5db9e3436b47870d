package engagement

import (
	"strings"
	"testing"
)

// Seeds: the ids the product makes (README, SPEC §3) and near misses.
var workflowIDSeeds = []string{
	"engagement:remote:ct_8f21", "engagement:jobdiva:123:456", "engagement:workmarket:88231", "engagement:upwork:41200077",
	"engagement:", "engagement::x", "engagement:remote:", "engagement:remote", "contractor:cn_1", "policy-event:ev_1",
	"notifications:engagement:remote:ct_1", "poll:1099policy", "backfill:remote:req-1", "",
}

// ParseWorkflowID reads workflow ids that come back from Temporal and from 1099Policy's
// custom_metadata: it never panics, and what it accepts is exactly what WorkflowID makes.
func FuzzParseWorkflowID(f *testing.F) {
	for _, s := range workflowIDSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		vendor, engagementID, ok := ParseWorkflowID(id)
		if !ok {
			return
		}
		if vendor == "" || engagementID == "" || strings.Contains(vendor, ":") {
			t.Fatalf("accepted %q as vendor %q, engagement %q", id, vendor, engagementID)
		}
		if back := WorkflowID(vendor, engagementID); back != id {
			t.Fatalf("%q parsed to (%q, %q), which makes %q", id, vendor, engagementID, back)
		}
	})
}

// Every id WorkflowID makes from a vendor name (no colon) and a platform id parses back.
func FuzzWorkflowIDRoundTrip(f *testing.F) {
	f.Add("remote", "ct_8f21")
	f.Add("jobdiva", "123:456")
	f.Add("upwork", "engagement:x")
	f.Fuzz(func(t *testing.T, vendor, engagementID string) {
		if vendor == "" || engagementID == "" || strings.Contains(vendor, ":") {
			return
		}
		v, id, ok := ParseWorkflowID(WorkflowID(vendor, engagementID))
		if !ok || v != vendor || id != engagementID {
			t.Fatalf("WorkflowID(%q, %q) parsed to (%q, %q, %v)", vendor, engagementID, v, id, ok)
		}
	})
}
