package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/coverage-orchestrator/coverage/engagement"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/testenv"
)

// Cost while waiting (issue 25): open engagements of every platform left waiting while all the
// pollers run at a short interval; what each poll round costs them, counted from their
// histories, then what a round costs when a tenth of the records change.

// defaultPollInterval is every poller's default (config: *_POLL_INTERVAL and
// POLICY_EVENTS_POLL_INTERVAL), the interval the projections use.
const defaultPollInterval = 5 * time.Minute

const month = 30 * 24 * time.Hour

type waitingResult struct {
	Backend      string
	Interval     time.Duration
	PerPlatform  int
	ChangeRounds int
	Platforms    []waitingPlatform
	Pollers      []pollerCost
	StartWall    time.Duration
}

type waitingPlatform struct {
	Vendor      string
	Engagements int
	// Quiet phase: nothing changes.
	Rounds int // poll runs of this platform completed in the phase
	Quiet  costResult
	// Change phase: a tenth of the records change before each round.
	ChangedPerRound int
	Changes         costResult // every event the change phase added to this platform's engagements
	Applied         int
	ArrivalP50      time.Duration // from the change to its signal
	ArrivalMax      time.Duration
	DelayP50        time.Duration // from the change to the engagement's transition
	DelayMax        time.Duration
	OthersTouched   int // unchanged engagements whose history grew in the change phase
}

// pollerCost is one schedule's own cost per run (its workflow's history).
type pollerCost struct {
	Name string
	Runs int
	Cost costResult
}

func (p pollerCost) perRun() float64 { return float64(p.Cost.Billable) / float64(max(p.Runs, 1)) }

var waitingRates = map[string][2]string{ // before and after the change
	"remote": {"5000.00", "6000.00"}, "workmarket": {"325.00", "350.00"}, "upwork": {"75.00", "80.00"}, "jobdiva": {"95.00", "99.00"}}

// waitingBench starts n returning-contractor engagements per platform (INSURED by an
// assignment, then waiting for their dates), lets every poller run `rounds` times over
// unchanged records, then changes a tenth of each platform's records before each of
// changeRounds rounds.
func waitingBench(t *testing.T, b backend, n, rounds, changeRounds int) *waitingResult {
	const interval = 5 * time.Second
	// The platform pollers run once at start-up, then hourly, while the engagements start
	// (as in production, where they are new records); the events poller delivers 1099Policy's
	// events (no webhooks) at the short interval throughout.
	s, _ := b.stack(t, testenv.StackOptions{PollInterval: "1h", PolicyEventsPoll: interval.String(), NoPolicyWebhooks: true})
	ctx := context.Background()
	platforms := platformsim.Platforms
	res := &waitingResult{Backend: b.Name, Interval: interval, PerPlatform: n, ChangeRounds: changeRounds}

	var all []waitingRecord
	for _, v := range platforms {
		for i := range n {
			id := fmt.Sprintf("wait-%s-%05d", v, i)
			email := id + "@example.com"
			c := s.Policy.CreateContractor(pc.Contractor{FirstName: "Sam", LastName: "Rivera", Email: email})
			_, err := s.Policy.SeedPolicy(pc.Policy{Contractor: c.ID})
			require.NoError(t, err)
			ex := platformsim.Example{ID: id, ContractorID: "c-" + id, Email: email, Rate: waitingRates[v][0], Hourly: v == "upwork" || v == "jobdiva",
				Start: time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 7), End: time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 37)}
			require.NoError(t, s.Platforms.Seed(v, ex))
			all = append(all, waitingRecord{vendor: v, ex: ex, k: i})
		}
	}
	started := time.Now()
	loaded := load(32, len(all), func(i int) error { return startWaiting(s, all[i].vendor, all[i].ex) })
	require.Zero(t, loaded.Errors, "every engagement started")
	for _, v := range platforms {
		waitCount(t, s.Client, engagement.Engagements().Where(engagement.KeyVendor, v).Where(engagement.KeyCoverageStatus, string(engagement.StatusInsured)).String(), n, 30*time.Minute)
	}
	res.StartWall = time.Since(started)
	for _, v := range platforms {
		require.NoError(t, engagement.EnsurePollSchedule(ctx, s.Client, s.TaskQueue, v, interval))
	}
	ids := make([]string, len(all))
	for i, r := range all {
		ids[i] = engagement.WorkflowID(r.vendor, r.ex.ID)
	}

	// Settled: every engagement published the version it applied, and no history grows.
	require.Eventually(t, func() bool {
		for _, v := range platforms {
			versions, err := engagement.RunningSourceVersions(ctx, s.Client, v)
			if err != nil {
				return false
			}
			published := 0
			for _, version := range versions {
				if version != "" {
					published++
				}
			}
			if published < n {
				return false
			}
		}
		return true
	}, 10*time.Minute, time.Second, "every engagement published its SourceVersion")
	lengths := historyLengths(t, s, ids)
	for range 20 {
		time.Sleep(2 * interval)
		again := historyLengths(t, s, ids)
		if equalLengths(lengths, again) {
			break
		}
		lengths = again
	}

	// Quiet phase: `rounds` poll runs of every platform over unchanged records.
	quietFrom := time.Now()
	waitPollRuns(t, s, platforms, rounds+1, time.Duration(rounds)*interval*4+5*time.Minute)
	quietTo := time.Now()
	afterQuiet := historyLengths(t, s, ids)
	quiet := costsSince(t, s, ids, lengths, afterQuiet)
	runs := pollerRuns(t, s, quietFrom, quietTo)
	for _, v := range platforms {
		p := waitingPlatform{Vendor: v, Engagements: n, Rounds: runs[engagement.PollerWorkflowID(v)].Runs}
		for i, r := range all {
			if r.vendor == v {
				p.Quiet.add(quiet[i])
			}
		}
		res.Platforms = append(res.Platforms, p)
	}
	for _, name := range append(pollerIDs(platforms), engagement.PolicyEventsPollerWorkflowID) {
		res.Pollers = append(res.Pollers, runs[name])
	}

	// Change phase: a tenth of each platform's records change before each round.
	tenth := max(n/10, 1)
	changedAt := make([]time.Time, len(all))
	for round := range changeRounds {
		for i := range all {
			if k := all[i].k; k < round*tenth || k >= (round+1)*tenth {
				continue
			}
			ex := all[i].ex
			ex.Rate = waitingRates[all[i].vendor][1]
			require.NoError(t, s.Platforms.Seed(all[i].vendor, ex))
			changedAt[i] = time.Now()
		}
		// One run that started after the change has completed (and the next has started).
		waitPollRuns(t, s, platforms, 2, 5*time.Minute)
	}
	delays := make([]time.Duration, len(all))
	var mu sync.Mutex
	applied := load(8, len(all), func(i int) error {
		if changedAt[i].IsZero() {
			return nil
		}
		deadline := time.Now().Add(10 * time.Minute)
		for time.Now().Before(deadline) {
			if at, ok := transitionOf(s, all[i].vendor, all[i].ex.ID, "job updated"); ok {
				mu.Lock()
				delays[i] = at.Sub(changedAt[i])
				mu.Unlock()
				return nil
			}
			time.Sleep(time.Second)
		}
		return fmt.Errorf("%s: change not applied", ids[i])
	})
	time.Sleep(2 * interval) // a round after the last application, for any late repeat
	afterChanges := historyLengths(t, s, ids)
	changes := costsSince(t, s, ids, afterQuiet, afterChanges)
	for pi := range res.Platforms {
		p := &res.Platforms[pi]
		p.ChangedPerRound = tenth
		var ds, arrivals latencies
		for i, r := range all {
			if r.vendor != p.Vendor {
				continue
			}
			p.Changes.add(changes[i])
			switch {
			case !changedAt[i].IsZero():
				ds = append(ds, delays[i])
				if !changes[i].FirstSignal.IsZero() {
					arrivals = append(arrivals, changes[i].FirstSignal.Sub(changedAt[i]))
				}
			case afterChanges[i] != afterQuiet[i]:
				p.OthersTouched++
			}
		}
		sort.Slice(ds, func(a, b int) bool { return ds[a] < ds[b] })
		sort.Slice(arrivals, func(a, b int) bool { return arrivals[a] < arrivals[b] })
		p.Applied = len(ds)
		if len(ds) > 0 {
			p.DelayP50, p.DelayMax = ds.pct(0.5), ds[len(ds)-1]
		}
		if len(arrivals) > 0 {
			p.ArrivalP50, p.ArrivalMax = arrivals.pct(0.5), arrivals[len(arrivals)-1]
		}
	}
	t.Logf("waiting: %d per platform started in %s; %d changes not applied", n, res.StartWall.Round(time.Second), applied.Errors)
	return res
}

func pollerIDs(platforms []string) []string {
	out := make([]string, len(platforms))
	for i, v := range platforms {
		out[i] = engagement.PollerWorkflowID(v)
	}
	return out
}

// waitingRecord is one engagement's platform record, the k-th of its platform.
type waitingRecord struct {
	vendor string
	ex     platformsim.Example
	k      int
}

// startWaiting starts one engagement the way its platform does: JobDiva by enrollment (a start
// is found by its candidate and job), the others by their start webhook.
func startWaiting(s *testenv.Stack, vendor string, ex platformsim.Example) error {
	if body := platformsim.EnrollBody(vendor, ex); body != nil {
		return opsPost(s, "/v1/engagements/"+vendor+"/"+ex.ID, body)
	}
	body, err := platformsim.WebhookBody(vendor, platformsim.HookStart, ex, "start-"+ex.ID, "", time.Now())
	if err != nil {
		return err
	}
	status, _, err := s.Platforms.SendWebhook(context.Background(), vendor, body)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("%s start webhook answered %d", vendor, status)
	}
	return err
}

// historyLengths reads each workflow's history length.
func historyLengths(t *testing.T, s *testenv.Stack, ids []string) []int64 {
	out := make([]int64, len(ids))
	res := load(16, len(ids), func(i int) error {
		desc, err := s.Client.DescribeWorkflowExecution(context.Background(), ids[i], "")
		if err == nil {
			out[i] = desc.GetWorkflowExecutionInfo().GetHistoryLength()
		}
		return err
	})
	require.Zero(t, res.Errors)
	return out
}

func equalLengths(a, b []int64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// costsSince counts, per workflow, the events after `from` (read only where the history grew).
func costsSince(t *testing.T, s *testenv.Stack, ids []string, from, to []int64) []costResult {
	out := make([]costResult, len(ids))
	for i, id := range ids {
		if to[i] != from[i] {
			out[i] = countEvents(t, s, id, "", from[i])
		}
	}
	return out
}

// countEvents counts a run's history events after event id `after`, with its workflow tasks.
func countEvents(t *testing.T, s *testenv.Stack, workflowID, runID string, after int64) costResult {
	return tallyHistory(t, s.Client, workflowID, runID, after, nil)
}

// scheduleRuns is how many runs each poller's schedule has started.
func scheduleRuns(t *testing.T, s *testenv.Stack, platforms []string) map[string]int {
	out := map[string]int{}
	for _, id := range pollerIDs(platforms) {
		desc, err := s.Client.ScheduleClient().GetHandle(context.Background(), id).Describe(context.Background())
		require.NoError(t, err)
		out[id] = desc.Info.NumActions
	}
	return out
}

// waitPollRuns waits until every platform's schedule has started k more runs.
func waitPollRuns(t *testing.T, s *testenv.Stack, platforms []string, k int, timeout time.Duration) {
	from := scheduleRuns(t, s, platforms)
	require.Eventually(t, func() bool {
		for id, n := range scheduleRuns(t, s, platforms) {
			if n < from[id]+k {
				return false
			}
		}
		return true
	}, timeout, 200*time.Millisecond, "%d poll runs of every platform", k)
}

// pollerRuns counts the completed runs of every poller started within [from, to) and what
// their histories hold, by schedule.
func pollerRuns(t *testing.T, s *testenv.Stack, from, to time.Time) map[string]pollerCost {
	out := map[string]pollerCost{}
	for _, workflowType := range []string{engagement.WorkflowPollPlatform, engagement.WorkflowPolicyEventsPoller} {
		q := engagement.WorkflowsOfType(workflowType).Completed().String() + fmt.Sprintf(" AND StartTime >= '%s' AND StartTime < '%s'",
			from.UTC().Format(time.RFC3339Nano), to.UTC().Format(time.RFC3339Nano))
		var token []byte
		for {
			resp, err := s.Client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: q, NextPageToken: token})
			require.NoError(t, err)
			for _, ex := range resp.Executions {
				id := ex.GetExecution().GetWorkflowId()
				schedule := id
				if i := strings.LastIndex(id, "-20"); i > 0 { // a scheduled run's id ends with its time
					schedule = id[:i]
				}
				p := out[schedule]
				p.Name = schedule
				p.Runs++
				p.Cost.add(countEvents(t, s, id, ex.GetExecution().GetRunId(), 0))
				out[schedule] = p
			}
			if token = resp.NextPageToken; len(token) == 0 {
				break
			}
		}
	}
	return out
}

// transitionOf is the time of an engagement's first transition whose cause contains substr.
func transitionOf(s *testenv.Stack, vendor, id, substr string) (time.Time, bool) {
	st, ok := s.Status(vendor, id)
	if !ok {
		return time.Time{}, false
	}
	for _, tr := range st.Transitions {
		if strings.Contains(tr.Cause, substr) {
			return tr.At, true
		}
	}
	return time.Time{}, false
}

// opsPost calls the operator API with the stack's token and wants a 200.
func opsPost(s *testenv.Stack, path string, body map[string]string) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, _ := http.NewRequest(http.MethodPost, s.IngressURL+path, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+testenv.OpsToken)
	req.Header.Set("Content-Type", "application/json")
	return sendExpectingOK(req, path)
}

// markdown writes the section "Cost while waiting".
func (r *waitingResult) markdown(w func(string, ...any)) {
	roundsPerMonth := float64(month / defaultPollInterval)
	w("\n## 5. Cost while waiting\n\nCommand: `make bench` (bench.waitingBench; `BENCH_WAITING_N` engagements per platform, `BENCH_WAITING_ROUNDS` rounds). On the %s: %d returning-contractor engagements per platform (Upwork and Remote started by their start webhook, WorkMarket too, JobDiva by enrollment; all INSURED by an assignment, started in %s while the platform pollers ran hourly), then left waiting for their dates while every platform poller (switched with `engagement.EnsurePollSchedule`) and the 1099Policy events poller run every %s. Remote's feed shows no failed delivery here (the e2e test `TestPollsOfUnchangedRecordsCostNothing` covers its rescan); WorkMarket and JobDiva re-list every record modified within their 5-minute overlap, Upwork re-reads every running contract each round. Counted from the engagements' histories: every event added while the pollers ran (billable actions as in section 3; workflow tasks completed). The counts do not depend on the backend, so they are measured on one. Projection: per round × %.0f rounds (30 days at the default %s interval).\n\n",
		r.Backend, r.PerPlatform, r.StartWall.Round(time.Second), r.Interval, roundsPerMonth, defaultPollInterval)
	w("Nothing changes:\n\n| platform | open engagements | poll rounds | signals | workflow tasks | billable actions | billable actions per engagement per round | projected per engagement per 30 days | limit |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, p := range r.Platforms {
		per := float64(p.Quiet.Billable) / float64(p.Engagements*max(p.Rounds, 1))
		w("| %s | %d | %d | %d | %d | %d | %.4f | **%.1f** | 0 |\n", p.Vendor, p.Engagements, p.Rounds, p.Quiet.Signals, p.Quiet.Tasks, p.Quiet.Billable, per, per*roundsPerMonth)
	}
	w("\nThe limit is 0: an unchanged record costs no signal and no workflow task. Before issue 25 the Upwork poller signalled every running engagement every round (a signal and a workflow task each: 2 × %.0f = %.0f actions per engagement per 30 days), and Remote after a failed delivery, WorkMarket and JobDiva within their overlap did the same. What a waiting engagement still pays is its own deadline timers: one timer runs at a time, restarted only when the next deadline changes (start date, end date, the coverage horizon's extension), so about one per deadline reached; section 3 counts them over a whole life (1 for a returning contractor, 2 for a first-time one).\n\n",
		roundsPerMonth, 2*roundsPerMonth)
	w("Fixed cost of the schedules (each run's own history while nothing changed, whatever the number of engagements):\n\n| schedule | runs measured | billable actions per run | workflow tasks per run | billable actions per day at the default %s |\n|---|---|---|---|---|\n", defaultPollInterval)
	var perDay float64
	for _, p := range r.Pollers {
		day := p.perRun() * float64(24*time.Hour/defaultPollInterval)
		perDay += day
		w("| %s | %d | %.2f | %.2f | %.0f |\n", p.Name, p.Runs, p.perRun(), float64(p.Cost.Tasks)/float64(max(p.Runs, 1)), day)
	}
	w("| all five | | | | **%.0f** |\n\n", perDay)
	w("A tenth of the records change before each round (a new rate: the engagement re-reads its record and updates the job in 1099Policy), %d rounds:\n\n| platform | records changed per round | signals per round | workflow tasks per round | billable actions per round | billable actions per change | changes applied | change to signal p50 / max | change to applied p50 / max | unchanged engagements touched |\n|---|---|---|---|---|---|---|---|---|---|\n", r.ChangeRounds)
	for _, p := range r.Platforms {
		rounds := float64(max(r.ChangeRounds, 1))
		w("| %s | %d | **%.1f** | %.1f | %.1f | %.2f | %d of %d | %s / %s | %s / %s | %d |\n", p.Vendor, p.ChangedPerRound, float64(p.Changes.Signals)/rounds, float64(p.Changes.Tasks)/rounds,
			float64(p.Changes.Billable)/rounds, float64(p.Changes.Billable)/float64(max(p.ChangedPerRound*r.ChangeRounds, 1)), p.Applied, p.ChangedPerRound*r.ChangeRounds,
			ms(p.ArrivalP50), ms(p.ArrivalMax), ms(p.DelayP50), ms(p.DelayMax), p.OthersTouched)
	}
	w("\nEach record is changed just after a poll run started, so its change waits for the next run: the worst case. Change to signal: from the record's change in the simulator to the signal in the engagement's history (one interval, %s, plus the poll's own work); change to applied: to the engagement's \"job updated\" transition, after it re-read the record and updated the job (all changed engagements of all four platforms at once, on one worker).\n", r.Interval)
}
