package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/notify"
	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
	"github.com/coverage-orchestrator/coverage/testenv"
)

// Faults on calls that carry a secret or an email in their query (issue 21): the simulators
// drop the connection on WorkMarket calls (access_token in the query) and on 1099Policy's
// contractor lookup (email in the query), and then 1099Policy refuses a lookup quoting the
// email plain and URL-encoded beside the API key. Neither the secret nor the email, in either
// form, may appear in the worker's or ingress's logs, the status answer, a notification, or
// the history's failure messages (read through the codec, as an operator would).
func TestFaultsLeakNoSecretOrEmail(t *testing.T) {
	rcv := &receiver{t: t}
	hookSrv := httptest.NewServer(rcv)
	defer hookSrv.Close()
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: time.Second, ExtraEnv: []string{
		"NOTIFY_WEBHOOK_URLS=" + hookSrv.URL + "/coverage-events", "NOTIFY_WEBHOOK_SECRET=" + notifySecret}})
	wm := cases[1]
	require.Equal(t, "workmarket", wm.name)

	// 1. Dropped connections, retried until the faults pass.
	dropped := "dropped.contractor@private.example"
	s.Platforms.DropConnections(wm.name, 3) // the token request (form body), then calls with access_token
	s.Policy.AddFault(policysim.Fault{PathPrefix: "/api/v1/contractors", Drop: true, Count: 2})
	first := example(wm.name, "leak-drop", dropped, false)
	start(t, s, wm, first)
	s.WaitStatus(t, wm.name, first.ID, 2*time.Minute, "INSURED after the faults passed", is(engagement.StatusInsured))

	// 2. A refusal that quotes the email (plain and URL-encoded) and the API key parks the engagement.
	refused := "refused.contractor@private.example"
	s.Policy.AddFault(policysim.Fault{PathPrefix: "/api/v1/contractors", Status: http.StatusBadRequest, Count: 1,
		Message: "GET /api/v1/contractors?email=" + url.QueryEscape(refused) + " refused for " + refused + " with key " + testenv.PolicyKey})
	second := example(wm.name, "leak-refused", refused, false)
	start(t, s, wm, second)
	parked := s.WaitStatus(t, wm.name, second.ID, time.Minute, "NEEDS_ATTENTION", is(engagement.StatusNeedsAttention))
	assert.Contains(t, parked.AttentionReason, "[email]", "the reason still says what was refused")
	rcv.waitFor(t, engagement.WorkflowID(wm.name, second.ID), notify.EngagementNeedsAttention)

	var accessTokens []string
	for _, r := range s.Platforms.Requests() {
		if q, _ := url.ParseQuery(r.Query); q.Get("access_token") != "" {
			accessTokens = append(accessTokens, q.Get("access_token"))
		}
	}
	require.NotEmpty(t, accessTokens, "WorkMarket calls carried access_token in their query")
	leaks := append([]string{dropped, url.QueryEscape(dropped), refused, url.QueryEscape(refused), testenv.PolicyKey,
		testenv.PlatformToken, testenv.WorkMarketSecret, "access_token="}, accessTokens...)

	texts := map[string]string{}
	histories := map[string][]byte{}
	for _, ex := range []string{first.ID, second.ID} {
		wid := engagement.WorkflowID(wm.name, ex)
		code, answer := ops(t, s, http.MethodGet, "/v1/engagements/"+wm.name+"/"+ex, nil)
		require.Equal(t, http.StatusOK, code, string(answer))
		texts["status answer of "+ex] = string(answer)
		histories[ex] = showHistory(t, s, wid, "--codec-endpoint", s.IngressURL+"/codec", "--codec-auth", "Bearer "+testenv.OpsToken)
	}
	for ex, history := range histories {
		texts["failure messages of "+ex] = failureTexts(t, history)
	}
	require.Contains(t, texts["failure messages of "+second.ID], "sandbox_fault", "the decoded history holds the refusal")

	s.Worker.Stop()
	s.Ingress.Stop()
	workerLog, err := os.ReadFile(s.Worker.Log)
	require.NoError(t, err)
	ingressLog, err := os.ReadFile(s.Ingress.Log)
	require.NoError(t, err)
	require.Contains(t, string(workerLog), "Activity error.", "the faults were logged")
	require.Contains(t, string(workerLog), "/api/v1/contractors", "the log names the failed call's path")
	texts["worker log"], texts["ingress log"] = string(workerLog), string(ingressLog)
	rcv.mu.Lock()
	texts["notifications"] = strings.Join(rcv.bodies, "\n")
	rcv.mu.Unlock()
	for where, text := range texts {
		for _, leak := range leaks {
			assert.NotContains(t, text, leak, where)
		}
	}
}

// failureTexts collects every failure of a history export (decoded through the codec): the
// messages, stack traces and encoded attributes (base64 JSON) of each failure and its causes.
func failureTexts(t *testing.T, export []byte) string {
	t.Helper()
	var doc any
	require.NoError(t, json.Unmarshal(export, &doc))
	var out []string
	var walk func(v any, inFailure bool)
	walk = func(v any, inFailure bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(e, inFailure || k == "failure" || k == "lastFailure")
			}
		case []any:
			for _, e := range x {
				walk(e, inFailure)
			}
		case string:
			if !inFailure {
				return
			}
			out = append(out, x)
			if raw, err := base64.StdEncoding.DecodeString(x); err == nil {
				out = append(out, string(raw))
			}
		}
	}
	walk(doc, false)
	return strings.Join(out, "\n")
}
