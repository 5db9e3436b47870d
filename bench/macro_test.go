package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/webhooksig"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/testenv"
	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/remote"
)

// TestMacroBenchmarks is `make bench`: it measures on this machine and writes BENCHMARKS.md.
// It runs only when BENCHMARKS_OUT names the file to write.
func TestMacroBenchmarks(t *testing.T) {
	out := os.Getenv("BENCHMARKS_OUT")
	if out == "" {
		t.Skip("make bench runs this (BENCHMARKS_OUT=BENCHMARKS.md)")
	}
	scaleN := envInt("BENCH_SCALE_N", 10000)
	e2eN := envInt("BENCH_E2E_N", 1000)
	r := &report{Machine: machine(), Started: time.Now()}
	// Each phase is a subtest with its own stack (and its own server and database), gone
	// before the next phase measures. Both backends run the same phases.
	for _, b := range backends() {
		if b.Cluster {
			if missing := testenv.ClusterTools(); missing != "" {
				t.Fatalf("the cluster backend needs %s: run `make cluster-tools`", missing)
			}
		} else {
			t.Run("dev/ingress-durable", func(t *testing.T) { r.IngressDurable, _ = ingressBench(t, b, 1, false) })
			// The dev server's default SQLite fsyncs every commit (~60 workflow starts/s here):
			// the other phases run it in WAL mode without an fsync per commit.
			testenv.DevServerArgs = fastSQLite
		}
		br := backendReport{Name: b.Name}
		t.Run(b.Key+"/ingress", func(t *testing.T) {
			var profile string
			br.Ingress, profile = ingressBench(t, b, 2, !b.Cluster)
			if profile != "" {
				r.IngressProfile = profile
			}
		})
		t.Run(b.Key+"/end-to-end", func(t *testing.T) { br.EndToEnd, br.Cost = endToEndBench(t, b, e2eN) })
		n := scaleN
		if b.Cluster {
			n = envInt("BENCH_CLUSTER_SCALE_N", scaleN) // PostgreSQL with fsync on starts workflows slower here
		}
		t.Run(b.Key+"/scale", func(t *testing.T) { br.Scale = scaleBench(t, b, n) })
		if !b.Cluster {
			// Counted from histories, so the figures do not depend on the backend: one is enough.
			t.Run(b.Key+"/waiting", func(t *testing.T) {
				r.Waiting = waitingBench(t, b, envInt("BENCH_WAITING_N", 1000), envInt("BENCH_WAITING_ROUNDS", 10), 3)
			})
		}
		testenv.DevServerArgs = nil
		r.Backends = append(r.Backends, br)
	}
	if t.Failed() {
		return
	}
	for _, m := range Micros() {
		res := testing.Benchmark(m.Fn)
		r.Micro = append(r.Micro, microResult{Name: m.Name, NsPerOp: float64(res.NsPerOp()), AllocsPerOp: res.AllocsPerOp(),
			BytesPerOp: res.AllocedBytesPerOp(), N: res.N})
	}
	r.Took = time.Since(r.Started)
	require.NoError(t, os.WriteFile(out, []byte(r.markdown()), 0o644))
	t.Logf("wrote %s in %s", out, r.Took.Round(time.Second))
}

var fastSQLite = []string{"--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=off"}

// backend is a Temporal server the benchmarks run against.
type backend struct {
	Key, Name string
	Cluster   bool
}

// backends are those BENCH_BACKENDS names (default both): dev, cluster.
func backends() []backend {
	all := []backend{{Key: "dev", Name: "dev server (SQLite WAL)"}, {Key: "cluster", Name: "cluster (Temporal server on PostgreSQL)", Cluster: true}}
	want := os.Getenv("BENCH_BACKENDS")
	if want == "" {
		return all
	}
	var out []backend
	for _, b := range all {
		if strings.Contains(want, b.Key) {
			out = append(out, b)
		}
	}
	return out
}

// stack starts the service's stack on the backend (a fresh server and database).
func (b backend) stack(t *testing.T, opts testenv.StackOptions) (*testenv.Stack, func() int64) {
	if !b.Cluster {
		s := testenv.NewStack(t, opts)
		return s, func() int64 { return dirBytes(filepath.Dir(s.Temporal.DBFile)) }
	}
	cl := testenv.StartCluster(t)
	opts.Cluster = cl
	return testenv.NewStack(t, opts), func() int64 { return dirBytes(filepath.Join(cl.Dir, "pg")) }
}

// dirBytes is the size of the files under dir.
func dirBytes(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// ---- measurements ---------------------------------------------------------------------

type latencies []time.Duration

func (l latencies) pct(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := append(latencies(nil), l...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

type loadResult struct {
	Concurrency int
	Requests    int
	Wall        time.Duration
	P50, P99    time.Duration
	Errors      int
	lat         latencies
}

// merge adds a second run of the same load.
func (r loadResult) merge(o loadResult) loadResult {
	lat := append(append(latencies(nil), r.lat...), o.lat...)
	return loadResult{Concurrency: r.Concurrency, Requests: r.Requests + o.Requests, Wall: r.Wall + o.Wall,
		P50: lat.pct(0.5), P99: lat.pct(0.99), Errors: r.Errors + o.Errors, lat: lat}
}

func (r loadResult) perSecond() float64 { return float64(r.Requests) / r.Wall.Seconds() }

// load runs n calls of fn at a concurrency and times each.
func load(concurrency, n int, fn func(i int) error) loadResult {
	lat := make(latencies, n)
	var next, errs atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				if fn(i) != nil {
					errs.Add(1)
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	return loadResult{Concurrency: concurrency, Requests: n, Wall: time.Since(start), P50: lat.pct(0.50), P99: lat.pct(0.99), Errors: int(errs.Load()), lat: lat}
}

var httpClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 128, MaxConnsPerHost: 128}}

// signedRemote posts a signed Remote contract.finalized webhook for a contract.
func signedRemote(s *testenv.Stack, contractID string) error {
	body := []byte(`{"event_type":"employment.onboarding.completed","company_id":"acct_77","employment_id":"` + contractID + `"}`)
	req, _ := http.NewRequest(http.MethodPost, s.IngressURL+"/webhooks/remote", bytes.NewReader(body))
	for k, v := range platformsim.SignatureHeaders(remote.Vendor, "remote-webhook-secret", body, time.Now()) {
		req.Header.Set(k, v)
	}
	return sendExpectingOK(req, "ingress")
}

type ingressResult struct {
	Ingress, Direct loadResult
	// IngressCPU is the ingress process's CPU time over its halves (its own cost per webhook).
	IngressCPU time.Duration
}

// cpuPerWebhook is the ingress's CPU time per accepted webhook.
func (r ingressResult) cpuPerWebhook() time.Duration {
	if ok := r.Ingress.Requests - r.Ingress.Errors; ok > 0 {
		return r.IngressCPU / time.Duration(ok)
	}
	return 0
}

// ingressBench: signed Remote webhooks through the ingress against the same signal-with-start
// made directly with the SDK client, on one dev server, with no worker (nothing else runs).
// With profile, the ingress writes a CPU profile of the run, summarised by `go tool pprof`.
func ingressBench(t *testing.T, b backend, scale int, profile bool) ([]ingressResult, string) {
	var opts testenv.StackOptions
	opts.NoWorker = true
	profilePath := filepath.Join(t.TempDir(), "ingress.pprof")
	if profile {
		opts.ExtraEnv = []string{"CPU_PROFILE=" + profilePath}
	}
	s, _ := b.stack(t, opts)
	var out []ingressResult
	for _, lvl := range []struct{ c, n int }{{1, 100 * scale}, {16, 500 * scale}, {64, 1000 * scale}} {
		var cpu time.Duration
		viaIngress := func(half int) loadResult {
			before := s.Ingress.CPUTime()
			defer func() { cpu += s.Ingress.CPUTime() - before }()
			return load(lvl.c, lvl.n/2, func(i int) error { return signedRemote(s, fmt.Sprintf("in-%d-%d-%d", lvl.c, half, i)) })
		}
		viaSDK := func(half int) loadResult {
			return load(lvl.c, lvl.n/2, func(i int) error {
				id := fmt.Sprintf("sdk-%d-%d-%d", lvl.c, half, i)
				_, err := engagement.DeliverPlatformEvent(context.Background(), s.Client, s.TaskQueue, vendors.Event{Vendor: "remote",
					Kind: vendors.KindStart, Name: "employment.onboarding.completed", EngagementID: id, EventID: vendors.HashEventID(id), OccurredAt: time.Now()})
				return err
			})
		}
		// Interleaved halves, so drift in the server (a growing database) touches both alike.
		in1, direct1 := viaIngress(1), viaSDK(1)
		direct2, in2 := viaSDK(2), viaIngress(2)
		in, direct := in1.merge(in2), direct1.merge(direct2)
		res := ingressResult{Ingress: in, Direct: direct, IngressCPU: cpu}
		t.Logf("ingress c=%d: %.0f/s p50 %s p99 %s (errors %d), CPU %s per webhook; direct %.0f/s p50 %s", lvl.c, in.perSecond(), in.P50, in.P99,
			in.Errors, res.cpuPerWebhook(), direct.perSecond(), direct.P50)
		out = append(out, res)
	}
	if !profile {
		return out, ""
	}
	s.Ingress.Stop() // the profile is written as the ingress stops
	return out, pprofTop(t, filepath.Join(testenv.Binaries(t), "starter"), profilePath)
}

// pprofTop summarises a CPU profile: the functions with the most time of their own, and those
// with the most time under them.
func pprofTop(t *testing.T, binary, profile string) string {
	var b strings.Builder
	for _, args := range [][]string{{"-top", "-nodecount=15"}, {"-top", "-cum", "-nodecount=25"}} {
		out, err := exec.Command("go", append(append([]string{"tool", "pprof"}, args...), binary, profile)...).Output()
		if err != nil {
			t.Logf("go tool pprof %v: %v", args, err)
			return ""
		}
		b.Write(out)
		b.WriteString("\n")
	}
	return b.String()
}

// seedReturning makes n returning contractors with Remote contracts starting in a week.
func seedReturning(t *testing.T, s *testenv.Stack, prefix string, n int) []string {
	ids := make([]string, n)
	for i := range n {
		id := fmt.Sprintf("%s-%05d", prefix, i)
		email := id + "@example.com"
		c := s.Policy.CreateContractor(pc.Contractor{FirstName: "Sam", LastName: "Rivera", Email: email})
		_, err := s.Policy.SeedPolicy(pc.Policy{Contractor: c.ID})
		require.NoError(t, err)
		require.NoError(t, s.Platforms.Seed("remote", platformsim.Example{ID: id, ContractorID: "c-" + id, Email: email, Rate: "5000.00",
			Start: time.Now().UTC().AddDate(0, 0, 7), End: time.Now().UTC().AddDate(0, 0, 37)}))
		ids[i] = id
	}
	return ids
}

func count(t *testing.T, c client.Client, query string) int64 {
	resp, err := c.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{Query: query})
	if err != nil {
		return -1
	}
	return resp.Count
}

// waitCount waits until a visibility count reaches n and returns when it did.
func waitCount(t *testing.T, c client.Client, query string, n int, timeout time.Duration) time.Time {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if count(t, c, query) >= int64(n) {
			return time.Now()
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%q did not reach %d within %s (at %d)", query, n, timeout, count(t, c, query))
	return time.Time{}
}

// transitionAt queries an engagement for the time of the first transition whose cause
// contains substr.
func transitionAt(s *testenv.Stack, id, substr string) (time.Time, bool) {
	st, ok := s.Status("remote", id)
	if !ok {
		return time.Time{}, false
	}
	for _, tr := range st.Transitions {
		if strings.Contains(tr.Cause, substr) || string(tr.To) == substr {
			return tr.At, true
		}
	}
	return time.Time{}, false
}

type e2eResult struct {
	Engagements        int
	Wall               time.Duration
	P50, P99           time.Duration
	SkeletonWall       time.Duration
	SkeletonP50        time.Duration
	SkeletonP99        time.Duration
	SkeletonActivities int
}

// Skeleton is the limit: a workflow that runs as many no-op activities as the returning path.
func Skeleton(ctx workflow.Context, activities int) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	for range activities {
		if err := workflow.ExecuteActivity(ctx, Noop).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// Noop is the skeleton's activity.
func Noop(context.Context) error { return nil }

type costResult struct {
	Path                                       string
	Events, Activities, Timers, Signals        int
	Upserts, ExternalSignals, WorkflowsStarted int
	Billable, Minimal                          int
	MinimalNote                                string
	Tasks                                      int // workflow tasks completed (the cost-while-waiting counts)
	FirstSignal                                time.Time
}

// endToEndBench: 1,000 returning-contractor engagements from webhook to INSURED, against the
// skeleton; then the cost of one first-time and one returning engagement's whole life.
func endToEndBench(t *testing.T, b backend, n int) (e2eResult, []costResult) {
	s, _ := b.stack(t, testenv.StackOptions{AutoCompleteAfter: time.Second})
	ids := seedReturning(t, s, "e2e", n)
	sent := make([]time.Time, n)
	start := time.Now()
	res := load(16, n, func(i int) error { sent[i] = time.Now(); return signedRemote(s, ids[i]) })
	require.Zero(t, res.Errors)
	done := waitCount(t, s.Client, engagement.Engagements().Where(engagement.KeyCoverageStatus, string(engagement.StatusInsured)).String(), n, 10*time.Minute)
	r := e2eResult{Engagements: n, Wall: done.Sub(start)}
	lat := make(latencies, 0, n)
	for i, id := range ids {
		if at, ok := transitionAt(s, id, "INSURED"); ok {
			lat = append(lat, at.Sub(sent[i]))
		}
	}
	r.P50, r.P99 = lat.pct(0.5), lat.pct(0.99)

	// The limit: the same number of no-op activities per workflow, same dev server.
	const activitiesOnReturningPath = 5 // fetch, find contractor, update contractor, create job, create assignment
	w := worker.New(s.Client, "skeleton", worker.Options{})
	w.RegisterWorkflow(Skeleton)
	w.RegisterActivity(Noop)
	require.NoError(t, w.Start())
	defer w.Stop()
	skStart := time.Now()
	var skLat latencies
	var mu sync.Mutex
	sk := load(16, n, func(i int) error {
		t0 := time.Now()
		run, err := s.Client.SignalWithStartWorkflow(context.Background(), fmt.Sprintf("skeleton-%d", i), "go", nil,
			client.StartWorkflowOptions{TaskQueue: "skeleton"}, Skeleton, activitiesOnReturningPath)
		if err != nil {
			return err
		}
		go func() {
			_ = run.Get(context.Background(), nil)
			mu.Lock()
			skLat = append(skLat, time.Since(t0))
			mu.Unlock()
		}()
		return nil
	})
	require.Zero(t, sk.Errors)
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(skLat) == n }, 10*time.Minute, 100*time.Millisecond)
	r.SkeletonWall, r.SkeletonP50, r.SkeletonP99, r.SkeletonActivities = time.Since(skStart), skLat.pct(0.5), skLat.pct(0.99), activitiesOnReturningPath

	return r, costBench(t, s)
}

// costBench runs one engagement of each path through its whole life and counts its history
// (and, for the first-time path, its contractor coordinator's).
func costBench(t *testing.T, s *testenv.Stack) []costResult {
	ctx := context.Background()
	end := func(id string) {
		body, err := platformsim.WebhookBody("remote", platformsim.HookEnd, platformsim.Example{ID: id, ContractorID: "c-" + id}, "end-"+id, "", time.Now())
		require.NoError(t, err)
		status, _, err := s.Platforms.SendWebhook(ctx, "remote", body)
		require.NoError(t, err)
		require.Equal(t, 200, status)
	}
	// Returning: one of the engagements above (already INSURED), ended by its platform.
	retID := "e2e-00000"
	end(retID)
	s.WaitStatus(t, "remote", retID, time.Minute, "closed", func(st engagement.Status) bool {
		return st.CoverageStatus == engagement.StatusCanceled || st.CoverageStatus == engagement.StatusEnded
	})
	// First-time: proxy email, application completed by the sandbox, then ended.
	firstID := "cost-first"
	require.NoError(t, s.Platforms.Seed("remote", platformsim.Example{ID: firstID, ContractorID: "c-" + firstID, Rate: "5000.00",
		Start: time.Now().UTC().AddDate(0, 0, 7), End: time.Now().UTC().AddDate(0, 0, 37)}))
	require.NoError(t, signedRemote(s, firstID))
	st := s.WaitStatus(t, "remote", firstID, time.Minute, "INSURED", func(st engagement.Status) bool { return st.CoverageStatus == engagement.StatusInsured })
	end(firstID)
	s.WaitStatus(t, "remote", firstID, time.Minute, "closed", func(st engagement.Status) bool { return st.CoverageStatus == engagement.StatusCanceled })
	time.Sleep(time.Second) // the coordinator completes after the release

	ret := countHistory(t, s.Client, engagement.WorkflowID("remote", retID))
	ret.Path = "returning contractor (assignment), start to end"
	// The least this design could do: start, 2 platform signals (start, end), 6 calls
	// (fetch, find, update contractor, job, assignment, cancel), 1 end-date timer, 2 status
	// upserts (INSURED, CANCELED).
	ret.Minimal, ret.MinimalNote = 12, "1 start + 2 signals + 6 activities + 1 timer + 2 upserts"
	first := countHistory(t, s.Client, engagement.WorkflowID("remote", firstID))
	coord := countHistory(t, s.Client, engagement.ContractorWorkflowID(st.Policy.ContractorID))
	first.add(coord)
	first.Path = "first-time contractor (quote + session), start to end, with its contractor coordinator"
	// start, 3 signals (start, policy.active, end), 7 calls (fetch, find, create contractor,
	// job, quote, session, expire-free end), 3 timers (start date, 48 h reminder, end date),
	// 3 upserts (AWAITING_APPLICATION, INSURED, CANCELED).
	first.Minimal, first.MinimalNote = 16, "1 start + 3 signals + 6 activities + 3 timers + 3 upserts"
	return []costResult{ret, first}
}

func (c *costResult) add(o costResult) {
	c.Events += o.Events
	c.Activities += o.Activities
	c.Timers += o.Timers
	c.Signals += o.Signals
	c.Upserts += o.Upserts
	c.ExternalSignals += o.ExternalSignals
	c.WorkflowsStarted += o.WorkflowsStarted
	c.Billable += o.Billable
	c.Tasks += o.Tasks
}

// countHistory counts a workflow's history events. Billable actions follow Temporal Cloud's
// definition: workflow started, signal received, activity started, timer started, search
// attributes upserted, external signal sent.
func countHistory(t *testing.T, c client.Client, workflowID string) costResult {
	var names []string // what the billable actions were, in order, for the log
	defer func() { t.Logf("%s: %s", workflowID, strings.Join(names, ", ")) }()
	return tallyHistory(t, c, workflowID, "", 0, &names)
}

// tallyHistory counts a run's history events after event id `after` (0: all); names, when not
// nil, receives the activities and signals in order.
func tallyHistory(t *testing.T, c client.Client, workflowID, runID string, after int64, names *[]string) costResult {
	it := c.GetWorkflowHistory(context.Background(), workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	note := func(name string) {
		if names != nil {
			*names = append(*names, name)
		}
	}
	var r costResult
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if ev.GetEventId() <= after {
			continue
		}
		r.Events++
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			r.WorkflowsStarted++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			note(ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName())
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			r.Activities++
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			r.Timers++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			r.Signals++
			note("signal " + ev.GetWorkflowExecutionSignaledEventAttributes().GetSignalName())
			if r.FirstSignal.IsZero() {
				r.FirstSignal = ev.GetEventTime().AsTime()
			}
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			r.Upserts++
		case enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
			r.ExternalSignals++
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			r.Tasks++
		}
	}
	r.Billable = r.WorkflowsStarted + r.Activities + r.Timers + r.Signals + r.Upserts + r.ExternalSignals
	return r
}

type scaleResult struct {
	Engagements int
	CreateWall  time.Duration
	WorkerRSS   int64
	DBBytes     int64
	ReactWall   time.Duration
	ReactP50    time.Duration
	ReactP99    time.Duration
	Reacted     int
}

// scaleBench: n open engagements waiting on timers and signals; the worker's memory, the dev
// server's database, and the time for all of them to react to one 1099Policy event each.
func scaleBench(t *testing.T, b backend, n int) scaleResult {
	s, dbBytes := b.stack(t, testenv.StackOptions{NoPolicyWebhooks: true})
	ids := seedReturning(t, s, "scale", n)
	start := time.Now()
	res := load(32, n, func(i int) error { return signedRemote(s, ids[i]) })
	require.Zero(t, res.Errors)
	waitCount(t, s.Client, engagement.Engagements().Where(engagement.KeyCoverageStatus, string(engagement.StatusInsured)).String(), n, 30*time.Minute)
	r := scaleResult{Engagements: n, CreateWall: time.Since(start)}
	time.Sleep(5 * time.Second) // let the last tasks settle before reading memory
	r.WorkerRSS = s.Worker.RSS()
	r.DBBytes = dbBytes()

	// One assignment.active event each, signed by 1099Policy, through the real route.
	byEngagement := s.Policy.AssignmentIDs()
	assignments := make([]string, n)
	for i, id := range ids {
		assignments[i] = byEngagement[engagement.WorkflowID("remote", id)]
		require.NotEmpty(t, assignments[i], id)
	}
	sent := make([]time.Time, n)
	reactStart := time.Now()
	ev := load(32, n, func(i int) error {
		body, _ := json.Marshal(map[string]any{"id": "ev-scale-" + ids[i], "type": "assignment.active", "created": time.Now().Unix(),
			"data": map[string]any{"id": assignments[i], "status": "active",
				"custom_metadata": map[string]string{"engagement_key": engagement.WorkflowID("remote", ids[i])}}})
		req, _ := http.NewRequest(http.MethodPost, s.IngressURL+"/webhooks/1099policy", bytes.NewReader(body))
		req.Header.Set(pc.HeaderSignature, webhooksig.Sign(testenv.PolicySecret, time.Now(), body))
		sent[i] = time.Now()
		resp, err := httpClient.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("%d", resp.StatusCode)
		}
		return nil
	})
	require.Zero(t, ev.Errors)
	// Each engagement records when it reacted; reading that back is done gently (4 queries
	// at a time, 5 s between tries), so the reading hardly competes with the reacting.
	lat := make(latencies, n)
	var last time.Time
	var mu sync.Mutex
	reacted := load(4, n, func(i int) error {
		deadline := time.Now().Add(15 * time.Minute)
		for time.Now().Before(deadline) {
			if at, ok := transitionAt(s, ids[i], "premium charged"); ok {
				mu.Lock()
				lat[i] = at.Sub(sent[i])
				if at.After(last) {
					last = at
				}
				mu.Unlock()
				return nil
			}
			time.Sleep(5 * time.Second)
		}
		return fmt.Errorf("%s did not react", ids[i])
	})
	r.Reacted = n - reacted.Errors
	r.ReactWall, r.ReactP50, r.ReactP99 = last.Sub(reactStart), lat.pct(0.5), lat.pct(0.99)
	return r
}

// ---- the report -----------------------------------------------------------------------

type microResult struct {
	Name                    string
	NsPerOp                 float64
	AllocsPerOp, BytesPerOp int64
	N                       int
}

type report struct {
	Machine        string
	Started        time.Time
	Took           time.Duration
	IngressDurable []ingressResult // the dev server with its default SQLite settings
	IngressProfile string          // go tool pprof's summary of the ingress on the dev server
	Waiting        *waitingResult  // cost while waiting (dev server)
	Backends       []backendReport
	Micro          []microResult
}

// backendReport is every figure measured on one backend.
type backendReport struct {
	Name     string
	Ingress  []ingressResult
	EndToEnd e2eResult
	Cost     []costResult
	Scale    scaleResult
}

func machine() string {
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	mem := ""
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.SplitN(string(data), "\n", 2)[0], "MemTotal: %d kB", &kb)
		mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s, %d cores%s, Linux (%s); Temporal 1.29.1 (the CLI's dev server, and the server built by make cluster-tools on Debian's PostgreSQL); Go SDK 1.50", cpu, runtime.NumCPU(), mem, host)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func (r *report) markdown() string {
	var b strings.Builder
	w := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	w("# Benchmarks\n\nRegenerated by `make bench` (%s, took %s). Machine: %s.\n", r.Started.UTC().Format("2006-01-02 15:04 UTC"), r.Took.Round(time.Second), r.Machine)
	w("Every figure below comes from that one run on that machine; speeds are measured, never asserted in tests.\n")
	w("The stack is the real one: the worker and ingress binaries as processes, the sandboxes on loopback HTTP with zero added latency, against two backends measured in the same run:\n\n")
	w("- **dev server**: `./bin/temporal server start-dev`, SQLite in WAL mode without an fsync per commit (`--sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=off`; its default fsyncs every commit and allows ~60 workflow starts per second here, measured once in section 1);\n")
	w("- **cluster**: the production topology of `make run-cluster` (scripts/cluster.sh): the real Temporal server 1.29.1 with persistence and visibility on PostgreSQL (4 history shards, fsync on), one worker and one ingress.\n\n")
	w("Each figure is given as a ratio to its limit on the same backend: that ratio is what carries over to a production cluster or Temporal Cloud, where the absolute speeds depend on the server's hardware and its distance. Memory per open engagement carries over as is (it is the worker's); the database size is the backend's.\n\n")

	w("## 1. Ingress: webhooks to their 2xx\n\nCommand: `make bench` (bench.ingressBench). Signed Remote `employment.onboarding.completed` webhooks, each for a new engagement, POSTed to the ingress; it verifies, parses and signal-with-starts before answering. The limit is the same `engagement.DeliverPlatformEvent` signal-with-start made directly with the SDK client against the same server. No worker runs, so only the ack path is measured; the two are interleaved in halves so a growing database touches both alike.\n\n")
	errs := 0
	table := func(title string, rows []ingressResult) {
		w("%s:\n\n| concurrency | requests | ingress req/s | ingress p50 | ingress p99 | ingress errors | ingress CPU per webhook | direct SDK req/s | direct p50 | direct p99 | direct errors | added p50 | ingress / direct throughput |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n", title)
		for _, x := range rows {
			w("| %d | %d | %.0f | %s | %s | %d | %d µs | %.0f | %s | %s | %d | %s | **%.2f** |\n", x.Ingress.Concurrency, x.Ingress.Requests, x.Ingress.perSecond(), ms(x.Ingress.P50), ms(x.Ingress.P99), x.Ingress.Errors,
				x.cpuPerWebhook().Microseconds(), x.Direct.perSecond(), ms(x.Direct.P50), ms(x.Direct.P99), x.Direct.Errors, ms(x.Ingress.P50-x.Direct.P50), x.Ingress.perSecond()/x.Direct.perSecond())
			errs += x.Ingress.Errors + x.Direct.Errors
		}
		w("\n")
	}
	for _, be := range r.Backends {
		table(be.Name, be.Ingress)
	}
	if len(r.IngressDurable) > 0 {
		table("dev server with its default SQLite (fsync per commit), for reference", r.IngressDurable)
	}
	w("Non-2xx answers or failed requests, all tables: %d (a sender retries those; the ingress answers 503 when Temporal does not accept the signal within its deadline).\n\n", errs)
	w("Ingress CPU per webhook is the ingress process's own CPU time (all its threads, from `/proc/<pid>/task/*/schedstat`) over its halves of each row, divided by the webhooks it accepted; added p50 is ingress p50 minus direct p50 (the extra HTTP hop, verification, parsing, the answer). Goals (issue 25): at most 100 µs of CPU per webhook, at most 0.5 ms added p50 at concurrency 1.\n\n")
	if r.IngressProfile != "" {
		w("Where the ingress's CPU time goes, dev server run above (the process writes a CPU profile with `CPU_PROFILE`; summary by `go tool pprof -top`, own time first, then time under each function):\n\n```\n%s```\n\n", r.IngressProfile)
	}

	w("## 2. End to end: webhook to INSURED\n\nCommand: `make bench` (bench.endToEndBench). Returning-contractor Remote engagements (contractor found by email and updated, job, assignment) sent at concurrency 16; done when visibility counts them all INSURED. Latency per engagement: from its webhook to its INSURED transition. The limit: a skeleton workflow running the same number of no-op activities, started with signal-with-start at the same concurrency against the same server.\n\n")
	w("| backend | engagements | orchestrator engagements/s | p50 | p99 | skeleton workflows/s | skeleton p50 | skeleton p99 | orchestrator / skeleton throughput |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, be := range r.Backends {
		e := be.EndToEnd
		w("| %s | %d | %.1f | %s | %s | %.1f | %s | %s | **%.2f** |\n", be.Name, e.Engagements, float64(e.Engagements)/e.Wall.Seconds(), ms(e.P50), ms(e.P99),
			float64(e.Engagements)/e.SkeletonWall.Seconds(), ms(e.SkeletonP50), ms(e.SkeletonP99), e.SkeletonWall.Seconds()/e.Wall.Seconds())
	}

	w("\n## 3. Cost per engagement\n\nCommand: `make bench` (bench.costBench). History of one engagement of each path through its whole life (start, coverage, platform end), read back from the server. Billable actions are estimated as Temporal Cloud counts them: workflow started + signals received + activities started + timers started + search-attribute upserts + external signals sent.\n\n")
	w("| backend | path | history events | activities | timers | signals | upserts | external signals | workflows | billable actions | minimal | ratio |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	var notes []costResult
	for _, be := range r.Backends {
		for _, c := range be.Cost {
			w("| %s | %s | %d | %d | %d | %d | %d | %d | %d | %d | %d | **%.2f** |\n", be.Name, c.Path, c.Events, c.Activities, c.Timers, c.Signals, c.Upserts, c.ExternalSignals, c.WorkflowsStarted, c.Billable, c.Minimal, float64(c.Billable)/float64(c.Minimal))
		}
		notes = be.Cost
	}
	w("\nMinimal counts are what this design cannot do without: ")
	for i, c := range notes {
		if i > 0 {
			w("; ")
		}
		w("%s: %s", strings.SplitN(c.Path, " (", 2)[0], c.MinimalNote)
	}
	w(". What is left above the minimum: `application.started` and `assignment.active` (1099Policy sends them and they are shown: APPLICATION_IN_PROGRESS, \"premium charged\"), one upsert for APPLICATION_IN_PROGRESS, and for a first-time contractor the session lease (its coordinator's start, and one release signal sent and received). Events no engagement acts on (`application.created`, `application.complete`) are answered `ignored` by the ingress and cost nothing; search attributes are upserted once before each wait; one deadline timer runs at a time and is kept while the next deadline stays the same.\n\n")

	w("## 4. Scale: open engagements\n\nCommand: `make bench` (bench.scaleBench; `BENCH_SCALE_N` changes the count). Returning-contractor engagements started through the ingress (concurrency 32) and left open, each waiting on its start-date and end-date timers and on signals. Then one signed 1099Policy `assignment.active` event each through `/webhooks/1099policy` (concurrency 32); the reaction time of an engagement is from its event's POST to the transition it records. The events arrive faster than one worker applies them, so the reaction times are mostly queueing: the total is the figure to read. The worker runs with its default sticky cache (`TEMPORAL_WORKFLOW_CACHE_SIZE`, README: scaling).\n\n")
	w("| figure |")
	for _, be := range r.Backends {
		w(" %s |", be.Name)
	}
	w("\n|---|%s\n", strings.Repeat("---|", len(r.Backends)))
	row := func(name string, f func(scaleResult) string) {
		w("| %s |", name)
		for _, be := range r.Backends {
			w(" %s |", f(be.Scale))
		}
		w("\n")
	}
	row("open engagements", func(sc scaleResult) string { return strconv.Itoa(sc.Engagements) })
	row("time to start all and reach INSURED", func(sc scaleResult) string {
		return fmt.Sprintf("%s (%.1f engagements/s)", sc.CreateWall.Round(time.Second), float64(sc.Engagements)/sc.CreateWall.Seconds())
	})
	row("worker resident memory with all open", func(sc scaleResult) string { return fmt.Sprintf("%.0f MiB", float64(sc.WorkerRSS)/(1<<20)) })
	row("server database on disk", func(sc scaleResult) string { return fmt.Sprintf("%.0f MiB", float64(sc.DBBytes)/(1<<20)) })
	row("time for all to react to one event each", func(sc scaleResult) string {
		return fmt.Sprintf("%s (%d of %d reacted)", sc.ReactWall.Round(time.Millisecond), sc.Reacted, sc.Engagements)
	})
	row("reaction p50 / p99", func(sc scaleResult) string { return ms(sc.ReactP50) + " / " + ms(sc.ReactP99) })

	if r.Waiting != nil {
		r.Waiting.markdown(w)
	}

	w("\n## 6. Micro benchmarks\n\nCommand: `go test -run '^$' -bench . -benchmem ./bench` (the same functions, run here with `testing.Benchmark`). Webhook verification + parsing of the reference's example body, and mapping of the reference's example records (JSON decode included), per platform; the payload codec's AES-256-GCM round trip on one contractor-sized payload (every payload the service writes pays the encode, every read the decode).\n\n")
	w("| benchmark | ns/op | B/op | allocs/op |\n|---|---|---|---|\n")
	for _, m := range r.Micro {
		w("| %s | %.0f | %d | %d |\n", m.Name, m.NsPerOp, m.BytesPerOp, m.AllocsPerOp)
	}
	return b.String()
}

// sendExpectingOK sends req and reads the answer to the end (so the connection is kept for the
// next request, as a sender's would be); anything but 200 is an error naming what answered.
func sendExpectingOK(req *http.Request, what string) error {
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d", what, resp.StatusCode)
	}
	return nil
}
