package all_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/assert"

	"github.com/coverage-orchestrator/coverage/config"
	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/all"
)

func TestEngagementIDRules(t *testing.T) {
	// Ids as vendors.md shows them are accepted.
	for vendor, id := range map[string]string{"remote": "2614f814-b08e-4c8e-8c4d-ddbcc4692d99", "workmarket": "6029116324",
		"upwork": "41815410", "jobdiva": "778899"} {
		assert.NoError(t, all.CheckEngagementID(vendor, id), vendor)
	}
	for _, bad := range []string{"", "..", "a/../b", "a/b", "a b", "%2e%2e", "a?x=1", "-lead", strings.Repeat("9", 65), "é"} {
		for _, vendor := range config.Vendors {
			err := all.CheckEngagementID(vendor, bad)
			var ie *vendors.IDError
			if assert.True(t, errors.As(err, &ie), "%s %q", vendor, bad) {
				assert.Contains(t, err.Error(), all.EngagementIDs[vendor].What)
			}
		}
	}
	assert.Error(t, all.CheckEngagementID("nowhere", "1"))
}

// FuzzPathID: whatever arrives as an id, an accepted one is safe in a URL path or query and
// in a workflow id, within its platform's length cap; a refused one gets a bounded answer
// naming what it is.
func FuzzPathID(f *testing.F) {
	for _, seed := range []string{"6029116324", "2614f814-b08e-4c8e-8c4d-ddbcc4692d99", "..", "a/../../admin", "~01abc", "x:y", "%2F", "\x00", strings.Repeat("1", 41)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		for _, vendor := range config.Vendors {
			rule := all.EngagementIDs[vendor]
			err := all.CheckEngagementID(vendor, id)
			if err != nil {
				var ie *vendors.IDError
				if !errors.As(err, &ie) || !strings.Contains(err.Error(), rule.What) || len(err.Error()) > 200+len(rule.What) {
					t.Fatalf("%s %q: refusal %q does not name the id briefly", vendor, id, err)
				}
				continue
			}
			if len(id) > rule.MaxLen || strings.Contains(id, "..") || url.PathEscape(id) != id || url.QueryEscape(id) != id {
				t.Fatalf("%s accepted the unsafe id %q", vendor, id)
			}
			v, got, ok := engagement.ParseWorkflowID(engagement.WorkflowID(vendor, id))
			if !ok || v != vendor || got != id {
				t.Fatalf("%s %q does not round-trip through its workflow id", vendor, id)
			}
		}
	})
}
