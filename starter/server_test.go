package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/config"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
	"github.com/coverage-orchestrator/coverage/testenv"
	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/jobdiva"
	"github.com/coverage-orchestrator/coverage/vendors/remote"
	"github.com/coverage-orchestrator/coverage/vendors/workmarket"
	"github.com/coverage-orchestrator/coverage/workflows"
)

const (
	opsToken     = "ops-test"
	policySecret = "whsec_ingress"
)

// wmAPISecret is the WorkMarket API secret the worker exchanges for an access token (it reads
// assignments: a webhook only makes it re-read them).
const wmAPISecret = "wm-api-secret"

var secrets = map[string]string{"remote": "r-secret", "workmarket": "wm-secret", "jobdiva": "jd-secret"}

// newServer builds the ingress on a Temporal client, with Remote, WorkMarket and JobDiva
// enabled (Upwork disabled); the caller closes it.
func newServer(c client.Client, taskQueue string, apiURL string) *httptest.Server {
	reg := prometheus.NewRegistry()
	s := &Server{Temporal: c, TaskQueue: taskQueue, PolicyVerify: pc.Verifier{Secret: policySecret}, OpsToken: opsToken,
		Logger: zap.NewNop(), Registry: reg, MetricsHTTP: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Adapters: vendors.Registry{
			"remote":     remote.New(remote.Config{APIURL: apiURL + "/remote", Token: "tok", WebhookSecret: secrets["remote"]}),
			"workmarket": workmarket.New(workmarket.Config{APIURL: apiURL + "/workmarket", Token: "tok", WebhookSecret: secrets["workmarket"]}),
			"jobdiva":    jobdiva.New(jobdiva.Config{APIURL: apiURL + "/jobdiva", ClientID: "c", Username: "u", Password: "p", WebhookSecret: secrets["jobdiva"]}),
		}}
	return httptest.NewServer(s.Handler())
}

// env is the ingress on a real dev server with an in-process worker and the sandboxes.
type env struct {
	srv       *httptest.Server
	client    client.Client
	platforms *platformsim.Server
	policy    *policysim.Server
}

var shared *env

// TestMain shares one dev server, in-process worker and ingress across this package's tests
// (and stops them at the end). Under -short the Temporal-backed tests skip.
func TestMain(m *testing.M) {
	code := func() int {
		if !flagShort() {
			cli, err := testenv.FindCLI()
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			dir, _ := os.MkdirTemp("", "ingress-test-")
			defer os.RemoveAll(dir)
			dev, err := testenv.NewDevServer(cli, dir)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer dev.Stop()
			e, stop, err := startEnv(dev)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer stop()
			shared = e
		}
		return m.Run()
	}()
	os.Exit(code)
}

func flagShort() bool {
	for _, a := range os.Args {
		if a == "-test.short" || a == "-test.short=true" {
			return true
		}
	}
	return false
}

func startEnv(dev *testenv.DevServer) (*env, func(), error) {
	c, err := dev.Client()
	if err != nil {
		return nil, nil, err
	}
	e := &env{client: c}
	e.platforms = platformsim.New(platformsim.Config{Tokens: map[string]string{"remote": "tok", "workmarket": "tok"},
		JobDivaLogin: [3]string{"c", "u", "p"}, WorkMarketSecret: wmAPISecret})
	platSrv := httptest.NewServer(e.platforms)
	e.policy = policysim.New(policysim.Config{APIKey: "k"})
	polSrv := httptest.NewServer(e.policy)
	e.srv = newServer(c, "ingress-test", platSrv.URL)
	w := worker.New(c, "ingress-test", worker.Options{})
	adapters := vendors.Registry{"remote": remote.New(remote.Config{APIURL: platSrv.URL + "/remote", Token: "tok"}),
		"workmarket": workmarket.New(workmarket.Config{APIURL: platSrv.URL + "/workmarket", Token: "tok", Secret: wmAPISecret})}
	workflows.Register(w, &activities.Activities{Policy: pc.New(pc.Config{BaseURL: polSrv.URL, APIKey: "k"}), Vendors: adapters,
		Mapping: config.Mapping{DefaultEntity: "en_1", DefaultCategoryCode: "jc_default"}, ProxyEmailDomain: "relay.example.com", Temporal: c})
	if err := w.Start(); err != nil {
		return nil, nil, err
	}
	return e, func() {
		w.Stop()
		e.srv.Close()
		platSrv.Close()
		polSrv.Close()
		e.policy.Close()
		c.Close()
	}, nil
}

// realEnv is the shared environment; it skips under -short.
func realEnv(t *testing.T) *env {
	if shared == nil {
		t.Skip("needs a Temporal dev server (skipped with -short)")
	}
	return shared
}

func post(t testing.TB, url string, body []byte, headers map[string]string) (int, map[string]any) {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &out)
	return resp.StatusCode, out
}

func remoteHeaders(body []byte, at time.Time) map[string]string {
	return platformsim.SignatureHeaders("remote", secrets["remote"], body, at)
}

func workflowExists(t *testing.T, c client.Client, id string) bool {
	_, err := c.DescribeWorkflowExecution(context.Background(), id, "")
	return err == nil
}

func TestWebhookAnswers(t *testing.T) {
	e := realEnv(t)
	url := e.srv.URL + "/webhooks/remote"
	body := []byte(`{"event_type":"contract.finalized","company_id":"co_1","employment_id":"ct_answers"}`)

	t.Run("forged signature starts nothing", func(t *testing.T) {
		h := remoteHeaders(body, time.Now())
		h[remote.HeaderSignature] = strings.Repeat("0", 64)
		status, out := post(t, url, body, h)
		assert.Equal(t, 401, status)
		assert.Equal(t, "signature invalid", out["error"], "the answer does not say which check failed")
		assert.False(t, workflowExists(t, e.client, "engagement:remote:ct_answers"))
	})
	t.Run("future timestamp", func(t *testing.T) {
		status, out := post(t, url, body, remoteHeaders(body, time.Now().Add(10*time.Minute)))
		assert.Equal(t, 401, status)
		assert.Equal(t, "signature invalid", out["error"])
	})
	t.Run("missing signature", func(t *testing.T) {
		status, out := post(t, url, body, nil)
		assert.Equal(t, 401, status)
		assert.Equal(t, "signature invalid", out["error"])
	})
	t.Run("ops token is no substitute for a signature", func(t *testing.T) {
		status, _ := post(t, url, body, map[string]string{"Authorization": "Bearer " + opsToken})
		assert.Equal(t, 401, status)
	})
	t.Run("oversized", func(t *testing.T) {
		big := append([]byte(`{"event_type":"contract.finalized","pad":"`), bytes.Repeat([]byte("x"), MaxBody)...)
		status, out := post(t, url, big, remoteHeaders(big, time.Now()))
		assert.Equal(t, 413, status)
		assert.Contains(t, out["error"], "1 MiB")
	})
	t.Run("malformed names the field", func(t *testing.T) {
		bad := []byte(`{"event_type":"contract.finalized","company_id":"co_1"}`)
		status, out := post(t, url, bad, remoteHeaders(bad, time.Now()))
		assert.Equal(t, 400, status)
		assert.Contains(t, out["error"], `"employment_id"`)
		notJSON := []byte(`event_type=contract.finalized`)
		status, out = post(t, url, notJSON, remoteHeaders(notJSON, time.Now()))
		assert.Equal(t, 400, status)
		assert.Contains(t, out["error"], `"body"`)
	})
	t.Run("unknown event is ignored with a reason", func(t *testing.T) {
		other := []byte(`{"event_type":"payroll.completed","employment_id":"ct_answers"}`)
		status, out := post(t, url, other, remoteHeaders(other, time.Now()))
		assert.Equal(t, 200, status)
		assert.Equal(t, "ignored", out["status"])
		assert.Contains(t, out["reason"], "payroll.completed")
		assert.False(t, workflowExists(t, e.client, "engagement:remote:ct_answers"))
	})
	t.Run("disabled platform is 404", func(t *testing.T) {
		status, out := post(t, e.srv.URL+"/webhooks/upwork", []byte(`{}`), nil)
		assert.Equal(t, 404, status)
		assert.Contains(t, out["error"], "not enabled")
	})
	t.Run("valid starts the engagement", func(t *testing.T) {
		status, out := post(t, url, body, remoteHeaders(body, time.Now()))
		assert.Equal(t, 200, status, "%v", out)
		assert.Equal(t, "accepted", out["status"])
		assert.True(t, workflowExists(t, e.client, "engagement:remote:ct_answers"), "Temporal holds it before the 200")
	})
}

func TestJobDivaSuccessIsExactly200True(t *testing.T) {
	e := realEnv(t)
	for _, body := range [][]byte{
		[]byte(`{"type":"billing","operation":"Update","id":"99001","data":[{"BILLINGID":"99001","STARTID":"778899","DATEUPDATED":"11/21/2026 09:00:00"}]}`),
		[]byte(`{"type":"job","operation":"Update","id":"1","data":[]}`), // ignored: still delivered
	} {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/webhooks/jobdiva", bytes.NewReader(body))
		req.Header.Set(jobdiva.HeaderSignature, platformsim.SignatureHeaders("jobdiva", secrets["jobdiva"], body, time.Now())[jobdiva.HeaderSignature])
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "true", string(raw), "JobDiva reads the answer as a boolean")
	}
	body := []byte(`{"type":"job","operation":"Update","id":"1","data":[]}`)
	status, _ := post(t, e.srv.URL+"/webhooks/jobdiva", body, map[string]string{jobdiva.HeaderSignature: "sha1=00"})
	assert.Equal(t, 401, status)
}

func TestClosedEngagementIsNotRestarted(t *testing.T) {
	e := realEnv(t)
	ex := platformsim.Example{ID: "wo_closed", ContractorID: "wk_1", Rate: "100.00", Start: time.Now().AddDate(0, 0, 3), End: time.Now().AddDate(0, 0, 9)}
	require.NoError(t, e.platforms.Seed("workmarket", ex))
	send := func(kind, eventID string) (int, map[string]any) {
		b, err := platformsim.WebhookBody("workmarket", kind, ex, eventID, "", time.Now())
		require.NoError(t, err)
		return post(t, e.srv.URL+"/webhooks/workmarket", b, map[string]string{workmarket.HeaderSecret: secrets["workmarket"]})
	}
	status, _ := send(platformsim.HookStart, "wm-1")
	require.Equal(t, 200, status)
	ex.Status = platformsim.EndStatus("workmarket", platformsim.HookCancel) // the assignment is cancelled, then its event sent
	require.NoError(t, e.platforms.Seed("workmarket", ex))
	status, _ = send(platformsim.HookCancel, "wm-2")
	require.Equal(t, 200, status)
	id := "engagement:workmarket:wo_closed"
	require.Eventually(t, func() bool {
		d, err := e.client.DescribeWorkflowExecution(context.Background(), id, "")
		return err == nil && d.GetWorkflowExecutionInfo().GetCloseTime() != nil
	}, 30*time.Second, 100*time.Millisecond)
	before, _ := e.client.DescribeWorkflowExecution(context.Background(), id, "")
	status, out := send(platformsim.HookUpdate, "wm-3")
	assert.Equal(t, 200, status)
	assert.Equal(t, "closed", out["status"])
	after, _ := e.client.DescribeWorkflowExecution(context.Background(), id, "")
	assert.Equal(t, before.GetWorkflowExecutionInfo().GetExecution().GetRunId(), after.GetWorkflowExecutionInfo().GetExecution().GetRunId(), "no new run")
	assert.NotNil(t, after.GetWorkflowExecutionInfo().GetCloseTime())
}

func policyHook(t *testing.T, url string, ev map[string]any, at time.Time) (int, map[string]any) {
	body, _ := json.Marshal(ev)
	return post(t, url+"/webhooks/1099policy", body, map[string]string{pc.HeaderSignature: policysim.SignEvent(policySecret, at, body)})
}

func TestPolicyWebhook(t *testing.T) {
	e := realEnv(t)
	status, out := policyHook(t, e.srv.URL, map[string]any{"id": "ev_stale", "type": "policy.active", "data": map[string]any{"id": "pl_1"}}, time.Now().Add(-10*time.Minute))
	assert.Equal(t, 401, status)
	assert.Equal(t, "signature invalid", out["error"])
	status, out = policyHook(t, e.srv.URL, map[string]any{"id": "ev_x", "data": map[string]any{"id": "pl_1"}}, time.Now())
	assert.Equal(t, 400, status)
	assert.Contains(t, out["error"], `"type"`)

	// Keyed to a closed or unknown engagement: acknowledged, nothing changes.
	status, out = policyHook(t, e.srv.URL, map[string]any{"id": "ev_c", "type": "certificate.approved",
		"data": map[string]any{"id": "ci_1", "custom_metadata": map[string]string{"engagement_key": "engagement:remote:gone"}}}, time.Now())
	assert.Equal(t, 200, status)
	assert.Equal(t, "closed", out["status"])

	// Without a key it goes to its durable routing workflow, once per event id.
	ev := map[string]any{"id": "ev_route_1", "type": "policy.canceled", "data": map[string]any{"id": "pl_unknown", "quote": "qt_unknown"}}
	status, out = policyHook(t, e.srv.URL, ev, time.Now())
	assert.Equal(t, 200, status)
	assert.Equal(t, []any{"policy-event:ev_route_1"}, out["workflow_ids"])
	assert.True(t, workflowExists(t, e.client, "policy-event:ev_route_1"))
	status, out = policyHook(t, e.srv.URL, ev, time.Now())
	assert.Equal(t, 200, status, "a redelivery is acknowledged")
	assert.Equal(t, "duplicate", out["status"])

	// An event no engagement acts on is acknowledged without reaching any workflow.
	status, out = policyHook(t, e.srv.URL, map[string]any{"id": "ev_done", "type": "application.complete",
		"data": map[string]any{"id": "as_1", "quote": "qt_1", "custom_metadata": map[string]string{"engagement_key": "engagement:remote:ct_ignored"}}}, time.Now())
	assert.Equal(t, 200, status)
	assert.Equal(t, "ignored", out["status"])
	assert.Contains(t, out["reason"], "application.complete")
	assert.False(t, workflowExists(t, e.client, "policy-event:ev_done"))
}

func ops(t *testing.T, url, method, path, token string) (int, map[string]any) {
	req, _ := http.NewRequest(method, url+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &out)
	return resp.StatusCode, out
}

func TestOperatorAPI(t *testing.T) {
	e := realEnv(t)
	ex := platformsim.Example{ID: "ct_ops", ContractorID: "ctr_ops", Rate: "10.00", Start: time.Now().AddDate(0, 0, 3), End: time.Now().AddDate(0, 0, 9)}
	require.NoError(t, e.platforms.Seed("remote", ex))
	body, _ := platformsim.WebhookBody("remote", platformsim.HookStart, ex, "x", "", time.Now())
	status, _ := post(t, e.srv.URL+"/webhooks/remote", body, remoteHeaders(body, time.Now()))
	require.Equal(t, 200, status)

	for _, tok := range []string{"", "wrong", opsToken + "x"} {
		status, _ := ops(t, e.srv.URL, "GET", "/v1/engagements/remote/ct_ops", tok)
		assert.Equal(t, 401, status, "token %q", tok)
	}
	require.Eventually(t, func() bool {
		status, out := ops(t, e.srv.URL, "GET", "/v1/engagements/remote/ct_ops", opsToken)
		return status == 200 && out["coverage_status"] == "AWAITING_APPLICATION"
	}, 30*time.Second, 200*time.Millisecond)
	status, out := ops(t, e.srv.URL, "GET", "/v1/engagements/remote/ct_ops", opsToken)
	require.Equal(t, 200, status)
	assert.Equal(t, "engagement:remote:ct_ops", out["workflow_id"])
	assert.NotEmpty(t, out["policy"].(map[string]any)["session_url"])

	status, _ = ops(t, e.srv.URL, "GET", "/v1/engagements/remote/ct_nobody", opsToken)
	assert.Equal(t, 404, status)
	status, _ = ops(t, e.srv.URL, "GET", "/v1/engagements/myspace/1", opsToken)
	assert.Equal(t, 404, status)

	require.Eventually(t, func() bool {
		status, out := ops(t, e.srv.URL, "GET", "/v1/engagements?status=AWAITING_APPLICATION&vendor=remote", opsToken)
		if status != 200 {
			return false
		}
		for _, it := range out["engagements"].([]any) {
			if it.(map[string]any)["engagement_id"] == "ct_ops" {
				return it.(map[string]any)["coverage_status"] == "AWAITING_APPLICATION"
			}
		}
		return false
	}, 30*time.Second, 200*time.Millisecond, "the list comes from visibility")
	status, out = ops(t, e.srv.URL, "GET", "/v1/engagements?status=BROKEN", opsToken)
	assert.Equal(t, 400, status)
	assert.Contains(t, out["error"], "BROKEN")
	status, _ = ops(t, e.srv.URL, "GET", "/v1/engagements?vendor=x' OR '1'='1", opsToken)
	assert.Equal(t, 400, status)
	status, out = ops(t, e.srv.URL, "GET", "/v1/engagements?page_size=1", opsToken)
	assert.Equal(t, 200, status)
	assert.Len(t, out["engagements"], 1)

	status, out = ops(t, e.srv.URL, "POST", "/v1/engagements/remote/ct_ops/actions/resend-session", opsToken)
	assert.Equal(t, 200, status, "%v", out)
	assert.Equal(t, "engagement:remote:ct_ops", out["workflow_id"], "the answer is the engagement's status")
	status, out = ops(t, e.srv.URL, "POST", "/v1/engagements/remote/ct_ops/actions/retry", opsToken)
	assert.Equal(t, 409, status)
	assert.Contains(t, out["error"], "nothing is parked")
	status, out = ops(t, e.srv.URL, "POST", "/v1/engagements/remote/ct_ops/actions/approve-certificate", opsToken)
	assert.Equal(t, 409, status)
	assert.Contains(t, out["error"], "no certificate")
	status, _ = ops(t, e.srv.URL, "POST", "/v1/engagements/remote/ct_ops/actions/delete-everything", opsToken)
	assert.Equal(t, 404, status)
	status, _ = ops(t, e.srv.URL, "POST", "/v1/engagements/remote/ct_nobody/actions/retry", opsToken)
	assert.Equal(t, 404, status, "an engagement that never existed")
	require.Eventually(t, func() bool {
		_, out := ops(t, e.srv.URL, "GET", "/v1/engagements/remote/ct_ops", opsToken)
		return out["policy"] != nil && strings.Contains(jsonOf(out["transitions"]), "session ")
	}, 30*time.Second, 200*time.Millisecond)
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestHealthReadyMetrics(t *testing.T) {
	e := realEnv(t)
	status, _ := ops(t, e.srv.URL, "GET", "/healthz", "")
	assert.Equal(t, 200, status)
	status, _ = ops(t, e.srv.URL, "GET", "/readyz", "")
	assert.Equal(t, 200, status)
	resp, err := http.Get(e.srv.URL + "/metrics")
	require.NoError(t, err)
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(data), "ingress_requests_total")
	assert.Contains(t, string(data), "ingress_ack_seconds")
}

// deadTemporal is a client whose server is down.
func deadTemporal(t testing.TB) client.Client {
	c, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	return c
}

func TestTemporalDownIs503(t *testing.T) {
	srv := newServer(deadTemporal(t), "q", "http://127.0.0.1:1")
	defer srv.Close()
	body := []byte(`{"event_type":"contract.finalized","employment_id":"ct_down"}`)
	start := time.Now()
	status, out := post(t, srv.URL+"/webhooks/remote", body, remoteHeaders(body, time.Now()))
	assert.Equal(t, 503, status, "%v", out)
	assert.Contains(t, out["error"], "retry")
	assert.Less(t, time.Since(start), 15*time.Second)
	status, _ = ops(t, srv.URL, "GET", "/readyz", "")
	assert.Equal(t, 503, status)
	status, _ = ops(t, srv.URL, "GET", "/healthz", "")
	assert.Equal(t, 200, status, "the process is up")
}
