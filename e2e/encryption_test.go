package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/testenv"
)

// Contractors' personal data is encrypted at rest in Temporal (issue 15, SPEC §6).

const uiOrigin = "http://localhost:8233"

// showHistory exports a workflow's history with the Temporal CLI, with extra flags (a codec).
func showHistory(t *testing.T, s *testenv.Stack, workflowID string, extra ...string) []byte {
	t.Helper()
	args := append([]string{"workflow", "show", "--address", s.Temporal.HostPort, "--namespace", "default",
		"-w", workflowID, "--output", "json"}, extra...)
	out, err := exec.Command(testenv.CLIPath(t), args...).Output()
	require.NoError(t, err)
	return out
}

// readable reports whether needle can be read from a history export: in its text, or inside
// any string value that is base64 (how plain payload bytes appear in JSON).
func readable(export []byte, needle string) bool {
	if bytes.Contains(export, []byte(needle)) {
		return true
	}
	var doc any
	if json.Unmarshal(export, &doc) != nil {
		return false
	}
	found := false
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case string:
			if raw, err := base64.StdEncoding.DecodeString(x); err == nil && bytes.Contains(raw, []byte(needle)) {
				found = true
			}
		}
	}
	walk(doc)
	return found
}

// codecCall posts to the ingress's codec route.
func codecCall(t *testing.T, s *testenv.Stack, method, op, origin string, token bool, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, s.IngressURL+"/codec/"+op, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Namespace", "default")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if method == http.MethodOptions {
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace")
	}
	if token {
		req.Header.Set("Authorization", "Bearer "+testenv.OpsToken)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

func TestPersonalDataEncryptedAtRest(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: time.Second,
		ExtraEnv: []string{"CODEC_CORS_ORIGINS=" + uiOrigin}})
	type person struct{ id, email, first, last string }
	var people []person
	for _, pcase := range cases {
		p := person{id: "pii-" + pcase.name, email: "pii-" + pcase.name + "@private.example",
			first: "Zebulon" + strings.ToUpper(pcase.name[:1]), last: "Quillfeather" + pcase.name}
		ex := example(pcase.name, p.id, p.email, pcase.hourly)
		ex.FirstName, ex.LastName = p.first, p.last
		p.email = productEmail(pcase.name, ex) // Upwork's is the proxy
		start(t, s, pcase, ex)
		people = append(people, p)
	}
	for i, pcase := range cases {
		s.WaitStatus(t, pcase.name, people[i].id, time.Minute, "INSURED", is(engagement.StatusInsured))
	}

	for i, pcase := range cases {
		p := people[i]
		wid := engagement.WorkflowID(pcase.name, p.id)
		raw := showHistory(t, s, wid)
		require.Contains(t, string(raw), "workflowExecutionStartedEventAttributes", "a real history export")
		for _, secret := range []string{p.email, p.first, p.last, "415-555-0100", "Oakland"} {
			assert.False(t, readable(raw, secret), "%s: %q readable in the history without the key", wid, secret)
		}
		decoded := showHistory(t, s, wid, "--codec-endpoint", s.IngressURL+"/codec", "--codec-auth", "Bearer "+testenv.OpsToken)
		assert.True(t, readable(decoded, p.email), "%s: the codec endpoint with the token shows the email", wid)
	}

	// The codec protocol itself: find one encrypted payload and decode it by hand.
	var export struct {
		Events []map[string]any `json:"events"`
	}
	require.NoError(t, json.Unmarshal(showHistory(t, s, engagement.WorkflowID(cases[0].name, people[0].id)), &export))
	var payloads []any
	for _, ev := range export.Events {
		if attrs, ok := ev["activityTaskCompletedEventAttributes"].(map[string]any); ok {
			if res, ok := attrs["result"].(map[string]any); ok {
				payloads = append(payloads, res["payloads"].([]any)...)
			}
		}
	}
	require.NotEmpty(t, payloads)
	body, _ := json.Marshal(map[string]any{"payloads": payloads})

	resp, _ := codecCall(t, s, http.MethodPost, "decode", "", false, body)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "no token, no plain text")
	resp, out := codecCall(t, s, http.MethodPost, "decode", "", true, body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", out)
	assert.True(t, readable(out, people[0].email), "decoded with the token")

	resp, _ = codecCall(t, s, http.MethodOptions, "decode", uiOrigin, false, nil)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode, "preflight from the UI's origin")
	assert.Equal(t, uiOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "x-namespace")
	resp, _ = codecCall(t, s, http.MethodOptions, "decode", "https://evil.example", false, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "preflight from another origin")
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
	resp, _ = codecCall(t, s, http.MethodPost, "decode", uiOrigin, false, body)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the UI's origin without a token: only with CODEC_LOCAL_UI_WITHOUT_TOKEN")
}
