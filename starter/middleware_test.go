package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"golang.org/x/time/rate"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/upwork"
	"github.com/coverage-orchestrator/coverage/vendors/workmarket"
)

// bareIngress is the ingress without Temporal: every request here is refused before a
// Temporal call (or panics on purpose).
func bareIngress(t *testing.T, limits *SourceLimiter) (*httptest.Server, *echo.Echo, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.InfoLevel)
	reg := prometheus.NewRegistry()
	s := &Server{TaskQueue: "none", PolicyVerify: pc.Verifier{Secret: policySecret}, OpsToken: opsToken, Limits: limits,
		Logger: zap.New(core), Registry: reg, MetricsHTTP: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Adapters: vendors.Registry{
			"workmarket": workmarket.New(workmarket.Config{APIURL: "http://127.0.0.1:1/workmarket", Token: "tok", WebhookSecret: secrets["workmarket"]}),
			"upwork":     upwork.New(upwork.Config{APIURL: "http://127.0.0.1:1/upwork", WebhookSecret: "up-secret"}),
		}}
	e := s.Handler().(*echo.Echo)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv, e, logs
}

func do(t *testing.T, method, url string, body []byte, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

var opsHeader = map[string]string{"Authorization": "Bearer " + opsToken, "Content-Type": "application/json"}

func seriesOf(t *testing.T, srv *httptest.Server, metric string) int {
	_, body := do(t, http.MethodGet, srv.URL+"/metrics", nil, nil)
	n := 0
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, metric+"{") {
			n++
		}
	}
	return n
}

// 300 junk requests (random platforms, routes and ids) leave the number of metric series bounded.
func TestJunkKeepsMetricSeriesBounded(t *testing.T) {
	srv, _, _ := bareIngress(t, nil)
	for i := range 300 {
		switch i % 3 {
		case 0:
			do(t, http.MethodPost, fmt.Sprintf("%s/webhooks/junk-%d", srv.URL, i), []byte(`{}`), nil)
		case 1:
			do(t, http.MethodGet, fmt.Sprintf("%s/v1/engagements/junk-%d/%d", srv.URL, i, i), nil, opsHeader)
		default:
			do(t, http.MethodGet, fmt.Sprintf("%s/junk/%d?x=%d", srv.URL, i, i), nil, nil)
		}
	}
	series := seriesOf(t, srv, "ingress_requests_total")
	assert.Greater(t, series, 0, "the requests were counted")
	assert.LessOrEqual(t, series, 10, "series do not grow with junk")
	_, body := do(t, http.MethodGet, srv.URL+"/metrics", nil, nil)
	assert.Contains(t, body, `platform="other"`)
	assert.NotContains(t, body, "junk-")
}

func TestPanicIsLoggedAndAnswered500(t *testing.T) {
	srv, e, logs := bareIngress(t, nil)
	e.GET("/boom", func(echo.Context) error { panic("handler bug") })
	resp, body := do(t, http.MethodGet, srv.URL+"/boom", nil, nil)
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.Contains(t, body, "internal error")
	assert.Equal(t, 1, logs.FilterMessage("panic in a request handler").Len())
	resp, _ = do(t, http.MethodGet, srv.URL+"/healthz", nil, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the ingress keeps serving")
}

// Every route caps its body: an operator action (which binds JSON itself) answers 413 too.
func TestBodiesAreCappedOnEveryRoute(t *testing.T) {
	srv, _, _ := bareIngress(t, nil)
	big := append([]byte(`{"note":"`), bytes.Repeat([]byte("a"), MaxBody+10)...)
	big = append(big, []byte(`"}`)...)
	for _, path := range []string{"/v1/engagements/workmarket/6029116324/actions/retry", "/v1/backfill/upwork",
		"/v1/engagements/workmarket/6029116324", "/webhooks/workmarket"} {
		resp, body := do(t, http.MethodPost, srv.URL+path, big, opsHeader)
		assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "%s: %s", path, body)
	}
	_, body := do(t, http.MethodPut, srv.URL+"/v1/engagements/workmarket/6029116324/contractor", big, opsHeader)
	assert.Contains(t, body, "1 MiB")
}

func TestWriteTimeoutOutlastsOperatorActions(t *testing.T) {
	assert.Greater(t, WriteTimeout, operatorTimeout)
}

func TestPathIDsAreChecked(t *testing.T) {
	srv, _, _ := bareIngress(t, nil)
	for _, id := range []string{"..", strings.Repeat("7", 41), "a..b", "x%20y"} {
		resp, body := do(t, http.MethodGet, srv.URL+"/v1/engagements/workmarket/"+id, nil, opsHeader)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s: %s", id, body)
		assert.Contains(t, body, "assignment id")
	}
	resp, body := do(t, http.MethodPost, srv.URL+"/v1/backfill/upwork", []byte(`{"contract_ids":["1","../2"]}`), opsHeader)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
	assert.Contains(t, body, "contract id")
	ids := make([]string, MaxBackfillIDs+1)
	for i := range ids {
		ids[i] = strconv.Quote(strconv.Itoa(i + 1))
	}
	resp, body = do(t, http.MethodPost, srv.URL+"/v1/backfill/upwork", []byte(`{"contract_ids":[`+strings.Join(ids, ",")+`]}`), opsHeader)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
	assert.Contains(t, body, "at most 1000")
	// a webhook naming a malformed id
	wm := []byte(`{"event":"assignment.accepted","assignment_id":"../../x","status":"active","resource_id":"1","now":"2026-11-20T10:00:00Z"}`)
	resp, body = do(t, http.MethodPost, srv.URL+"/webhooks/workmarket", wm, map[string]string{workmarket.HeaderSecret: secrets["workmarket"]})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
	assert.Contains(t, body, "assignment id")
}

// Failed unauthenticated requests from one address drain its bucket: then 429 with
// Retry-After, for that address only; the operator's token is never throttled.
func TestUnauthenticatedTrafficIsRateLimitedPerSource(t *testing.T) {
	srv, _, _ := bareIngress(t, &SourceLimiter{Rate: rate.Every(time.Hour), Burst: 5, MaxSources: 10})
	bad := map[string]string{workmarket.HeaderSecret: "wrong"}
	for range 5 {
		resp, _ := do(t, http.MethodPost, srv.URL+"/webhooks/workmarket", []byte(`{}`), bad)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	resp, body := do(t, http.MethodPost, srv.URL+"/webhooks/workmarket", []byte(`{}`), bad)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, body)
	after, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	require.NoError(t, err)
	assert.Greater(t, after, 0)
	resp, _ = do(t, http.MethodGet, srv.URL+"/v1/engagements/workmarket/..", nil, opsHeader)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "the ops token is not throttled")
	resp, _ = do(t, http.MethodGet, srv.URL+"/healthz", nil, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "health checks are not throttled")

	other := &SourceLimiter{Rate: rate.Every(time.Hour), Burst: 1, MaxSources: 2}
	for i := range 50 { // memory stays bounded however many sources come
		other.limiter(fmt.Sprintf("10.0.0.%d", i), time.Now())
	}
	assert.LessOrEqual(t, len(other.sources), 2)
}

// A rotated webhook secret ("new,old") verifies deliveries signed with either value during the
// overlap; anything else is 401 "signature invalid" and nothing more.
func TestRotatedWebhookSecretVerifiesWithBoth(t *testing.T) {
	core, _ := observer.New(zapcore.InfoLevel)
	reg := prometheus.NewRegistry()
	s := &Server{TaskQueue: "none", PolicyVerify: pc.Verifier{Secret: "whsec_new, " + policySecret}, OpsToken: opsToken,
		Logger: zap.New(core), Registry: reg, MetricsHTTP: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Adapters: vendors.Registry{
			"workmarket": workmarket.New(workmarket.Config{APIURL: "http://127.0.0.1:1/workmarket", WebhookSecret: "wm-new," + secrets["workmarket"]}),
			"upwork":     upwork.New(upwork.Config{APIURL: "http://127.0.0.1:1/upwork", WebhookSecret: "up-new,up-old"}),
		}}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	wm := []byte(`{"event":"assignment.unknown_event","assignment_id":"6029116324","status":"active","resource_id":"1","now":"2026-11-20T10:00:00Z"}`)
	for _, secret := range []string{"wm-new", secrets["workmarket"]} {
		resp, body := do(t, http.MethodPost, srv.URL+"/webhooks/workmarket", wm, map[string]string{workmarket.HeaderSecret: secret})
		assert.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", secret, body)
	}
	up := []byte(`{"event":"contract.unknown","event_id":"evt_rot","contract_id":"41815410","occurred_at":"2026-11-20T10:00:00Z"}`)
	for _, secret := range []string{"up-new", "up-old"} {
		resp, body := do(t, http.MethodPost, srv.URL+"/webhooks/upwork", up, map[string]string{upwork.HeaderSignature: platformsim.SignatureHeaders("upwork", secret, up, time.Now())[upwork.HeaderSignature]})
		assert.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", secret, body)
	}
	ev := []byte(`{"id":"ev_rot","type":"account.updated","created":1700000000,"data":{"id":"acct_1"}}`)
	for _, secret := range []string{"whsec_new", policySecret} {
		resp, body := do(t, http.MethodPost, srv.URL+"/webhooks/1099policy", ev, map[string]string{pc.HeaderSignature: policysim.SignEvent(secret, time.Now(), ev)})
		assert.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", secret, body)
	}

	for _, tc := range []struct{ path, header, value string }{
		{"/webhooks/workmarket", workmarket.HeaderSecret, "wm-new,wm-secret"},
		{"/webhooks/workmarket", workmarket.HeaderSecret, ""},
		{"/webhooks/upwork", upwork.HeaderSignature, platformsim.SignatureHeaders("upwork", "up-retired", up, time.Now())[upwork.HeaderSignature]},
		{"/webhooks/1099policy", pc.HeaderSignature, policysim.SignEvent("whsec_retired", time.Now(), ev)},
	} {
		resp, body := do(t, http.MethodPost, srv.URL+tc.path, wm, map[string]string{tc.header: tc.value})
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s %q", tc.path, tc.value)
		assert.JSONEq(t, `{"error":"signature invalid"}`, body)
	}
}

// With INGRESS_METRICS_ADDR the public listener has no /metrics; the metrics listener has only it.
func TestMetricsOnTheirOwnListener(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := &Server{TaskQueue: "none", OpsToken: opsToken, Logger: zap.NewNop(), Registry: reg,
		MetricsHTTP: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), MetricsOwnListener: true, Adapters: vendors.Registry{}}
	public := httptest.NewServer(s.Handler())
	defer public.Close()
	metrics := httptest.NewServer(metricsOnly(s.MetricsHTTP))
	defer metrics.Close()
	resp, _ := do(t, http.MethodGet, public.URL+"/metrics", nil, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, body := do(t, http.MethodGet, metrics.URL+"/metrics", nil, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "ingress_requests_total")
	resp, _ = do(t, http.MethodPost, metrics.URL+"/webhooks/remote", []byte(`{}`), nil)
	assert.NotEqual(t, http.StatusOK, resp.StatusCode, "nothing but metrics there")
}

// In refetch mode every 1099Policy webhook costs a read and a router, signature or not: each
// takes a token from its address's bucket.
func TestRefetchWebhooksAreRateLimited(t *testing.T) {
	e := realEnv(t)
	reg := prometheus.NewRegistry()
	s := &Server{Temporal: e.client, TaskQueue: "ingress-test", PolicyRefetch: true, OpsToken: opsToken, Logger: zap.NewNop(),
		Registry: reg, MetricsHTTP: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), Adapters: vendors.Registry{},
		Limits: &SourceLimiter{Rate: rate.Every(time.Hour), Burst: 3, MaxSources: 10}}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	for i := range 3 {
		body := []byte(fmt.Sprintf(`{"id":"ev_ratelimit_%d_%d"}`, time.Now().UnixNano(), i))
		resp, answer := do(t, http.MethodPost, srv.URL+"/webhooks/1099policy", body, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, answer)
	}
	resp, answer := do(t, http.MethodPost, srv.URL+"/webhooks/1099policy", []byte(`{"id":"ev_ratelimit_over"}`), nil)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, answer)
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))
}
