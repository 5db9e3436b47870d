package engagement

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
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

// The engagement key in a 1099Policy event's custom_metadata becomes a workflow id the event
// is signalled to: only an engagement's id is kept.
func TestEngagementKeyKeepsOnlyEngagementIDs(t *testing.T) {
	for value, want := range map[string]string{
		"engagement:remote:ct_1":               "engagement:remote:ct_1",
		"engagement:jobdiva:123:456":           "engagement:jobdiva:123:456",
		"contractor:cn_1":                      "",
		"policy-event:ev_1":                    "",
		"notifications:engagement:remote:ct_1": "",
		"engagement:remote:":                   "",
		"":                                     "",
	} {
		assert.Equal(t, want, EngagementKey(value), value)
	}
	ev, err := pc.ParseEvent([]byte(`{"id":"ev_1","type":"policy.active","created":1700000000,"data":{"id":"pl_1","quote":"qt_1","custom_metadata":{"engagement_key":"contractor:cn_1"}}}`))
	require.NoError(t, err)
	assert.Empty(t, PolicyEventFrom(ev, SourceWebhook).EngagementKey, "routed by its quote, not signalled to the coordinator")
}

// A 1099Policy webhook body, parsed and reduced to the signal payload: refused only with
// ErrEventMalformed; an accepted event has its id, type and object id, and its engagement key
// is empty or an engagement's workflow id.
func FuzzPolicyEventFromWebhookBody(f *testing.F) {
	for _, s := range []string{
		// 1099policy-api.md "Event envelope", with the fields the engagement reads
		`{"id":"ev_1","type":"policy.active","created":1700000000,"data":{"id":"pl_1","quote":"qt_1","contractor":"cn_1","expiration_date":1798761600,"custom_metadata":{"engagement_key":"engagement:remote:ct_8f21"}}}`,
		`{"id":"ev_2","type":"policy.canceled","created":1700000000,"data":{"object":{"id":"pl_1","contractor":{"id":"cn_1"}}}}`,
		`{"id":"ev_3","type":"certificate.approved","created":1700000000,"data":{"id":"cert_1","status":"approved","custom_metadata":{"engagement_key":"engagement:jobdiva:123:456"}}}`,
		`{"type":"application.started","data":{"id":"ias_1","quote":{"id":"qt_1"},"custom_metadata":{"engagement_key":"contractor:cn_1"}}}`,
		`{"id":"ev_5","type":"assignment.cancelled","data":"{\"id\":\"an_1\",\"custom_metadata\":{\"engagement_key\":\"engagement:upwork:1\"}}"}`,
		`{"id":"ev_6","type":"policy.active","data":{"id":"pl_1","custom_metadata":{"engagement_key":"engagement::"}}}`,
		`null`, `{}`, `{"type":"x","data":[]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		parsed, err := pc.ParseEvent(body)
		if err != nil {
			if !errors.Is(err, pc.ErrEventMalformed) {
				t.Fatalf("refused with %v, not ErrEventMalformed", err)
			}
			return
		}
		ev := PolicyEventFrom(parsed, SourceWebhook)
		if ev.EventID == "" || ev.Type == "" || ev.ObjectID == "" {
			t.Fatalf("accepted an event without id, type or object: %+v", ev)
		}
		if ev.EngagementKey == "" {
			return
		}
		vendor, engagementID, ok := ParseWorkflowID(ev.EngagementKey)
		if !ok || WorkflowID(vendor, engagementID) != ev.EngagementKey {
			t.Fatalf("engagement key %q is not an engagement's workflow id", ev.EngagementKey)
		}
	})
}
