package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/webhooksig"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const notifySecret = "whsec_notify_example"

var sentAt = time.Unix(1796198400, 0)

func TestEventIDIsStable(t *testing.T) {
	a := EventID("engagement:remote:ct_1", 3)
	assert.Equal(t, a, EventID("engagement:remote:ct_1", 3))
	assert.NotEqual(t, a, EventID("engagement:remote:ct_1", 4))
	assert.NotEqual(t, a, EventID("engagement:remote:ct_2", 3))
	assert.True(t, strings.HasPrefix(a, "ntf_"))
}

func TestSenderSignsWebhooksAndFormatsSlack(t *testing.T) {
	var hook, slack []byte
	var sig string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/slack" {
			slack = body
			return
		}
		hook, sig = body, r.Header.Get(HeaderSignature)
	}))
	defer srv.Close()
	s := &Sender{URLs: []string{srv.URL + "/hook"}, Secret: notifySecret, SlackURL: srv.URL + "/slack",
		UIURL: "http://ui.local:8233/", Namespace: "default", Now: func() time.Time { return sentAt }}
	ev := Event{ID: "ntf_1", Type: EngagementUnprotected, Created: 1796198400, Engagement: Engagement{
		WorkflowID: "engagement:remote:ct_1", Vendor: "remote", EngagementID: "ct_1", CoverageStatus: "UNPROTECTED",
		CertificateStatus: "NONE", Reason: "policy pl_1 cancelled"}}
	for _, d := range s.Destinations() {
		require.NoError(t, s.Send(context.Background(), d, ev))
	}
	require.NoError(t, webhooksig.Verify(sig, hook, sentAt, time.Minute, notifySecret))
	var back map[string]any
	require.NoError(t, json.Unmarshal(hook, &back))
	eng := back["engagement"].(map[string]any)
	for _, k := range []string{"workflow_id", "vendor", "engagement_id", "coverage_status", "certificate_status", "reason", "session_url", "coverage_start", "coverage_end"} {
		assert.Contains(t, eng, k, "SPEC §8: every key present")
	}
	var msg map[string]string
	require.NoError(t, json.Unmarshal(slack, &msg))
	assert.Equal(t, "engagement.unprotected: remote engagement ct_1 is UNPROTECTED (certificate NONE) — policy pl_1 cancelled "+
		"<http://ui.local:8233/namespaces/default/workflows/engagement:remote:ct_1|open in Temporal>", msg["text"])
}

func TestSendErrorsNeverCarryTheURL(t *testing.T) {
	s := &Sender{SlackURL: "http://127.0.0.1:1/services/T000/B000/secret-token"}
	err := s.Send(context.Background(), s.SlackURL, Event{})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret-token")
}
