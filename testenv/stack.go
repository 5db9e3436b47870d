package testenv

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"go.temporal.io/sdk/client"

	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
)

// Secrets and tokens of the test stack (local only).
const (
	PolicyKey     = "t9k_test_stack"
	PolicySecret  = "whsec_stack"
	OpsToken      = "ops_stack_token"
	PlatformToken = "platform-token"
	// WorkMarketSecret is the WorkMarket API secret exchanged with PlatformToken.
	WorkMarketSecret = "workmarket-api-secret"
	// ProxyEmailDomain is PROXY_EMAIL_DOMAIN: the domain of the addresses made up for
	// contractors whose platform gives no email (Upwork).
	ProxyEmailDomain = "relay.example.com"
)

// StackOptions tune the sandboxes.
type StackOptions struct {
	AutoCompleteAfter      time.Duration // 1099Policy sessions complete by themselves after this
	CertificateReviewAfter time.Duration
	DuplicateWebhooks      bool
	PollInterval           string // "0" (default) disables polling
	ExtraEnv               []string
	NoWorker               bool          // ingress only: what arrives waits in Temporal
	NoPolicyWebhooks       bool          // the 1099Policy sandbox sends no events by itself
	PolicyLatency          time.Duration // every 1099Policy answer is this late
	// WithheldPolicyWebhooks are 1099Policy event types the sandbox records but never sends.
	WithheldPolicyWebhooks []string
	// RequireContactDetails makes the 1099Policy sandbox refuse contractors without phone and a
	// full address, as the live API and the sandbox's own default do; stacks relax it unless
	// asked, so the suites that exercise other paths run on Upwork's addressless contractors.
	RequireContactDetails bool
	// Cluster runs the stack on a cluster (StartCluster) instead of a dev server.
	Cluster *Cluster
	// PolicyEventsPoll is POLICY_EVENTS_POLL_INTERVAL; "0" (off) when empty.
	PolicyEventsPoll string
}

// Stack is the whole service on one machine: dev server, sandboxes, worker and ingress.
type Stack struct {
	Temporal    *DevServer
	Client      client.Client
	Policy      *policysim.Server
	PolicyURL   string
	Platforms   *platformsim.Server
	PlatformURL string
	IngressURL  string
	TaskQueue   string
	Env         []string
	Worker      *Process
	Ingress     *Process
	tb          testing.TB
}

// NewStack starts everything and waits until the ingress answers.
func NewStack(tb testing.TB, opts StackOptions) *Stack {
	tb.Helper()
	s := &Stack{tb: tb, TaskQueue: fmt.Sprintf("coverage-%d", time.Now().UnixNano())}
	if opts.Cluster != nil {
		s.Temporal = &DevServer{HostPort: opts.Cluster.HostPort} // addressed like a dev server; started by the cluster
	} else {
		s.Temporal = StartDevServer(tb)
	}
	c, err := s.Temporal.Client()
	if err != nil {
		tb.Fatalf("dial Temporal: %v", err)
	}
	tb.Cleanup(c.Close)
	s.Client = c
	ingressAddr := FreeAddr(tb)
	s.IngressURL = "http://" + ingressAddr
	if opts.CertificateReviewAfter == 0 {
		opts.CertificateReviewAfter = 500 * time.Millisecond
	}
	policyHooks := s.IngressURL + "/webhooks/1099policy"
	if opts.NoPolicyWebhooks {
		policyHooks = ""
	}
	s.Policy = policysim.New(policysim.Config{APIKey: PolicyKey, WebhookURL: policyHooks, WebhookSecret: PolicySecret,
		AutoCompleteAfter: opts.AutoCompleteAfter, CertificateReviewAfter: opts.CertificateReviewAfter,
		AssignmentActiveAfter: 200 * time.Millisecond, DuplicateWebhooks: opts.DuplicateWebhooks, Latency: opts.PolicyLatency,
		WithheldWebhooks: opts.WithheldPolicyWebhooks, AcceptMissingContactDetails: !opts.RequireContactDetails})
	policySrv := httptest.NewServer(s.Policy)
	tb.Cleanup(func() { policySrv.Close(); s.Policy.Close() })
	s.PolicyURL = policySrv.URL

	secrets := map[string]string{}
	hooks := map[string]string{}
	tokens := map[string]string{}
	for _, p := range platformsim.Platforms {
		secrets[p], hooks[p], tokens[p] = p+"-webhook-secret", s.IngressURL+"/webhooks/"+p, PlatformToken
	}
	s.Platforms = platformsim.New(platformsim.Config{Tokens: tokens, WebhookSecrets: secrets, WebhookURLs: hooks,
		JobDivaLogin: [3]string{"jd-client", "jd-user", "jd-pass"}, WorkMarketSecret: WorkMarketSecret,
		UpworkClient: [3]string{"upwork-client", "upwork-client-secret", "upwork-refresh-0"}})
	platformSrv := httptest.NewServer(s.Platforms)
	tb.Cleanup(platformSrv.Close)
	s.PlatformURL = platformSrv.URL

	poll := opts.PollInterval
	if poll == "" {
		poll = "0"
	}
	eventsPoll := opts.PolicyEventsPoll
	if eventsPoll == "" {
		eventsPoll = "0"
	}
	s.Env = []string{
		"TEMPORAL_ADDRESS=" + s.Temporal.HostPort, "TEMPORAL_NAMESPACE=default", "TEMPORAL_TASK_QUEUE=" + s.TaskQueue,
		"LISTEN_ADDR=" + ingressAddr, "METRICS_ADDR=" + FreeAddr(tb), "OPS_API_TOKEN=" + OpsToken,
		"POLICY_API_URL=" + s.PolicyURL, "POLICY_API_KEY=" + PolicyKey, "POLICY_WEBHOOK_SECRET=" + PolicySecret,
		"PROXY_EMAIL_DOMAIN=" + ProxyEmailDomain, "LOG_FORMAT=json", "PAYLOAD_ENCRYPTION_KEYS=" + PayloadKeys(),
		"MAPPING_FILE=" + filepath.Join(ModuleRoot(), "scripts", "mapping.yaml"),
		"REMOTE_API_URL=" + s.PlatformURL + "/remote", "REMOTE_API_TOKEN=" + PlatformToken, "REMOTE_WEBHOOK_SECRET=" + secrets["remote"],
		"WORKMARKET_API_URL=" + s.PlatformURL + "/workmarket", "WORKMARKET_API_TOKEN=" + PlatformToken, "WORKMARKET_API_SECRET=" + WorkMarketSecret, "WORKMARKET_WEBHOOK_SECRET=" + secrets["workmarket"],
		"UPWORK_API_URL=" + s.PlatformURL + "/upwork", "UPWORK_TOKEN_URL=" + s.PlatformURL + "/upwork" + platformsim.UpworkTokenPath,
		"UPWORK_CLIENT_ID=upwork-client", "UPWORK_CLIENT_SECRET=upwork-client-secret", "UPWORK_REFRESH_TOKEN=upwork-refresh-0",
		"UPWORK_TENANT_ID=1387654321098765", "UPWORK_WEBHOOK_SECRET=" + secrets["upwork"],
		"JOBDIVA_API_URL=" + s.PlatformURL + "/jobdiva", "JOBDIVA_CLIENT_ID=jd-client", "JOBDIVA_USERNAME=jd-user", "JOBDIVA_PASSWORD=jd-pass",
		"JOBDIVA_WEBHOOK_SECRET=" + secrets["jobdiva"],
		"POLICY_EVENTS_POLL_INTERVAL=" + eventsPoll,
		"REMOTE_POLL_INTERVAL=" + poll, "WORKMARKET_POLL_INTERVAL=" + poll, "UPWORK_POLL_INTERVAL=" + poll, "JOBDIVA_POLL_INTERVAL=" + poll,
	}
	s.Env = append(s.Env, opts.ExtraEnv...)
	if !opts.NoWorker {
		s.StartWorker()
	}
	s.Ingress = StartProcess(tb, "starter", s.Env)
	s.waitFor(s.IngressURL + "/healthz")
	return s
}

// StartReplica starts one more worker and one more ingress on the same settings (another
// listen and metrics address) and returns the worker and the ingress's URL.
func (s *Stack) StartReplica() (*Process, string) {
	addr := FreeAddr(s.tb)
	env := append(append([]string{}, s.Env...), "LISTEN_ADDR="+addr, "METRICS_ADDR="+FreeAddr(s.tb))
	w := StartProcess(s.tb, "worker", env)
	StartProcess(s.tb, "starter", env)
	s.waitFor("http://" + addr + "/healthz")
	return w, "http://" + addr
}

// StartWorker starts (or restarts) the worker process.
func (s *Stack) StartWorker() {
	s.Worker = StartProcess(s.tb, "worker", s.Env)
}

func (s *Stack) waitFor(url string) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.tb.Fatalf("%s did not answer within 30 s", url)
}

// Status queries an engagement.
func (s *Stack) Status(vendor, id string) (engagement.Status, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, ok, err := engagement.QueryEngagement(ctx, s.Client, vendor, id)
	if err != nil {
		return engagement.Status{}, false
	}
	return st, ok
}

// WaitStatus waits until an engagement satisfies cond, failing t after timeout.
func (s *Stack) WaitStatus(t testing.TB, vendor, id string, timeout time.Duration, what string, cond func(engagement.Status) bool) engagement.Status {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last engagement.Status
	for time.Now().Before(deadline) {
		if st, ok := s.Status(vendor, id); ok {
			last = st
			if cond(st) {
				return st
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s/%s: %s not reached within %s; last status %s (certificate %s, reason %q), transitions %+v",
		vendor, id, what, timeout, last.CoverageStatus, last.CertificateStatus, last.AttentionReason, last.Transitions)
	return last
}

// WaitClosed waits until a workflow's run has completed.
func (s *Stack) WaitClosed(t testing.TB, workflowID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Client.GetWorkflow(ctx, workflowID, "").GetWithOptions(ctx, nil, client.WorkflowRunGetOptions{DisableFollowingRuns: true}); err != nil {
		t.Fatalf("%s did not complete: %v", workflowID, err)
	}
}
