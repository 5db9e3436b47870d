package engagement

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
)

// policyActive is a policy.active delivery as 1099policy-api.md describes it, carrying the
// engagement key this service stored on the quote.
const policyActive = `{"id":"ev_01J9Z8","type":"policy.active","created":1796198400,"data":{"id":"pl_01J9Z8","quote":"qt_01J9Z8","contractor":"cn_7","status":"active","effective_date":1796198400,"expiration_date":1827734400,"custom_metadata":{"engagement_key":"engagement:remote:2614f814-b08e-4c8e-8c4d-ddbcc4692d99"}}}`

func TestPolicyEventFrom(t *testing.T) {
	ev, err := pc.ParseEvent([]byte(policyActive))
	require.NoError(t, err)
	assert.Equal(t, PolicyEvent{EventID: "ev_01J9Z8", Type: "policy.active", Created: 1796198400, ObjectID: "pl_01J9Z8",
		QuoteID: "qt_01J9Z8", ContractorID: "cn_7", Status: "active", ExpirationDate: 1827734400,
		EngagementKey: "engagement:remote:2614f814-b08e-4c8e-8c4d-ddbcc4692d99", Source: SourceWebhook},
		PolicyEventFrom(ev, SourceWebhook))
	assert.Equal(t, "policy-event:ev_01J9Z8", PolicyEventWorkflowID(ev.ID))
}

// Only an engagement workflow ID of a known platform is taken from custom_metadata.
func TestEngagementKeyOf(t *testing.T) {
	for key, want := range map[string]string{
		"engagement:remote:2614f814-b08e-4c8e-8c4d-ddbcc4692d99": "engagement:remote:2614f814-b08e-4c8e-8c4d-ddbcc4692d99",
		"engagement:workmarket:6029116324":                       "engagement:workmarket:6029116324",
		"engagement:upwork:41815410":                             "engagement:upwork:41815410",
		"engagement:jobdiva:778899":                              "engagement:jobdiva:778899",
		"engagement:jobdiva:123:456":                             "engagement:jobdiva:123:456",
		"contractor:cn_7":                                        "",
		"policy-event:ev_1":                                      "",
		"poll:remote":                                            "",
		"engagement:acme:1":                                      "",
		"engagement:Remote:1":                                    "",
		"engagement:remote:":                                     "",
		"engagement::1":                                          "",
		" engagement:remote:1":                                   "",
		"":                                                       "",
	} {
		assert.Equal(t, want, EngagementKeyOf(pc.Metadata{"engagement_key": key, "contract_id": "engagement:remote:9"}), key)
	}
	assert.Empty(t, EngagementKeyOf(nil))
}

// FuzzPolicyEventFrom: every id a 1099Policy delivery puts into a workflow ID. The body is
// parsed as the ingress does; a refusal is ErrEventMalformed only; an accepted event has an
// event id (its router's workflow ID), and an engagement key only when it is an engagement
// workflow ID of a known platform, which is then kept exactly.
func FuzzPolicyEventFrom(f *testing.F) {
	for _, s := range []string{policyActive,
		`{"id":"ev_2","type":"certificate.approved","created":1796198400,"data":{"object":{"id":"ci_1","contractor":"cn_7","status":"approved","custom_metadata":{"engagement_key":"engagement:jobdiva:778899"}}}}`,
		`{"type":"application.complete","created":1796198400,"data":{"id":"ias_1","quote":"qt_1","custom_metadata":"{\"engagement_key\":\"contractor:cn_7\"}"}}`,
		`{"id":"ev_3","type":"policy.cancelled","data":{"id":"pl_1","custom_metadata":{"engagement_key":5}}}`,
		`{"id":"ev_5","type":"assignment.cancelled","data":"{\"id\":\"an_1\",\"custom_metadata\":{\"engagement_key\":\"engagement:upwork:1\"}}"}`,
		`{"id":"ev_6","type":"policy.active","data":{"id":"pl_1","custom_metadata":{"engagement_key":"engagement::"}}}`,
		`null`, `{}`, `{"type":"x","data":[]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := pc.ParseEvent(body)
		if err != nil {
			if !errors.Is(err, pc.ErrEventMalformed) {
				t.Fatalf("error %v does not wrap ErrEventMalformed", err)
			}
			return
		}
		pe := PolicyEventFrom(ev, SourceWebhook)
		if pe.EventID == "" || pe.ObjectID == "" || PolicyEventWorkflowID(pe.EventID) == "policy-event:" {
			t.Fatalf("accepted an event without an id: %+v", pe)
		}
		if pe.EngagementKey == "" {
			return
		}
		vendor, id, ok := ParseWorkflowID(pe.EngagementKey)
		if !ok || id == "" || WorkflowID(vendor, id) != pe.EngagementKey || !strings.HasPrefix(pe.EngagementKey, "engagement:") {
			t.Fatalf("engagement key %q is not an engagement workflow ID", pe.EngagementKey)
		}
		if pe.EngagementKey != ev.Metadata["engagement_key"] {
			t.Fatalf("engagement key %q is not the one in custom_metadata", pe.EngagementKey)
		}
	})
}
