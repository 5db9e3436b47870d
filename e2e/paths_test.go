package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/testenv"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// platformCase is what the mapping and the reference say each platform's example becomes.
type platformCase struct {
	name     string
	hourly   bool
	wage     int64
	wageType string
	entity   string
	category string
	metaKey  string // the guide's key on quotes, sessions and assignments
	// first is what the "<platform>-first" example (contract <p>-first, contractor c-<p>-first)
	// becomes, from SPEC §2 step 2 and vendors.md's metadata rows.
	first      firstContractor
	dateOnly   bool // a date-only end: the window ends at 00:00 UTC of the next day
	invoiceRef func(ex platformsim.Example) string
}

type firstContractor struct {
	contractorKey string            // Ten99Policy-Idempotent-Key of the contractor create
	proxyEmail    string            // the contractor's email (the example has none)
	jobMeta       map[string]string // the job's custom_metadata
}

var cases = []platformCase{
	{name: "remote", wage: 500000, wageType: "flatfee", entity: "en_12AbC3", category: "jc_MARKETING", metaKey: "contract_id",
		first: firstContractor{"remote-contractor-remote-first", "remote-remote-first@relay.example.com",
			map[string]string{"contract_id": "remote-first", "contractor_id": "remote-first", "engagement_key": "engagement:remote:remote-first"}},
		dateOnly:   true,
		invoiceRef: func(platformsim.Example) string { return "inv_1" }},
	{name: "workmarket", wage: 32500, wageType: "flatfee", entity: "en_abc123", category: "jc_LOW_VOLTAGE", metaKey: "work_order_id",
		first: firstContractor{"workmarket-worker-c-workmarket-first", "workmarket-c-workmarket-first@relay.example.com",
			map[string]string{"work_order_id": "workmarket-first", "engagement_key": "engagement:workmarket:workmarket-first"}},
		invoiceRef: func(platformsim.Example) string { return "" }},
	{name: "upwork", hourly: true, wage: 7500, wageType: "hourly", entity: "en_abc123", category: "jc_SOFTWARE", metaKey: "engagement_id",
		first: firstContractor{"upwork-freelancer-c-upwork-first", "upwork-c-upwork-first@relay.example.com",
			map[string]string{"engagement_id": "upwork-first", "engagement_key": "engagement:upwork:upwork-first"}},
		dateOnly: true},
	{name: "jobdiva", hourly: true, wage: 9500, wageType: "hourly", entity: "en_12AbC3", category: "jc_DATA", metaKey: "jobdiva_placement_id",
		first: firstContractor{"jobdiva-candidate-c-jobdiva-first", "jobdiva-c-jobdiva-first@relay.example.com",
			map[string]string{"jobdiva_job_id": "7jobdiva-first", "jobdiva_candidate_id": "c-jobdiva-first", "engagement_key": "engagement:jobdiva:jobdiva-first"}},
		dateOnly:   false, // date-times, used as given
		invoiceRef: func(platformsim.Example) string { return "ts_1" }},
}

func is(s engagement.CoverageStatus) func(engagement.Status) bool {
	return func(st engagement.Status) bool { return st.CoverageStatus == s }
}

// start seeds the example and sends its start webhook, expecting 200; JobDiva sends no
// start webhook, so its starts are enrolled through the operator API.
func start(t *testing.T, s *testenv.Stack, pcase platformCase, ex platformsim.Example) {
	t.Helper()
	require.NoError(t, s.Platforms.Seed(pcase.name, ex))
	if body := platformsim.EnrollBody(pcase.name, ex); body != nil {
		code, out := ops(t, s, http.MethodPost, "/v1/engagements/"+pcase.name+"/"+ex.ID, body)
		require.Equal(t, http.StatusOK, code, string(out))
		require.Equal(t, "accepted", decode(t, string(out))["status"])
		return
	}
	status, body := hook(t, s, pcase.name, platformsim.HookStart, ex, "start-"+ex.ID, "")
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, "accepted", body["status"])
}

// noCertificates are the platforms without a certificate document: their certificates come
// only through the operator intake route.
var noCertificates = map[string]bool{"remote": true, "upwork": true, "jobdiva": true}

// handInCertificate gives the engagement a certificate the way its platform can: a document
// and its event on WorkMarket, the operator intake route on the others (SPEC §2 step 5).
func handInCertificate(t *testing.T, s *testenv.Stack, p string, ex platformsim.Example, docID, fileName string) {
	t.Helper()
	if noCertificates[p] {
		code, out := postCertificate(t, s, p, ex.ID, fileName, []byte("%PDF-1.4 coi"))
		require.Equal(t, http.StatusOK, code, "%v", out)
		assert.Equal(t, string(engagement.CertificatePending), out["certificate_status"])
		return
	}
	require.NoError(t, s.Platforms.SeedDocument(p, ex, docID, fileName, []byte("%PDF-1.4 coi")))
	status, body := hook(t, s, p, platformsim.HookCOI, ex, "coi-"+ex.ID, docID)
	require.Equal(t, http.StatusOK, status, "%v", body)
}

// returning makes the example's contractor a returning one: known to 1099Policy with an
// active policy.
func returning(t *testing.T, s *testenv.Stack, email string, withPolicy bool) {
	t.Helper()
	c := s.Policy.CreateContractor(pc.Contractor{FirstName: "Jordan", LastName: "Cruz", Email: email})
	if withPolicy {
		_, err := s.Policy.SeedPolicy(pc.Policy{Contractor: c.ID})
		require.NoError(t, err)
	}
}

// productEmail is the email the product gives the example's contractor: Upwork's is always
// the proxy (a contract carries no email).
func productEmail(platform string, ex platformsim.Example) string {
	if platform == "upwork" {
		return vendors.ProxyEmail(platform, ex.ContractorID, "relay.example.com")
	}
	return ex.Email
}

// assertEndMovedTo checks the assignment's end date was moved, once, to one of the given
// instants (Unix seconds) and its start left as it was.
func assertEndMovedTo(t *testing.T, s *testenv.Stack, assignmentID string, want ...int64) {
	t.Helper()
	var puts []map[string]any
	for _, r := range s.Policy.Requests() {
		if r.Method == http.MethodPut && r.Path == "/api/v1/assignments/"+assignmentID && r.Status == http.StatusOK {
			puts = append(puts, decode(t, r.Body))
		}
	}
	require.Len(t, puts, 1, "one PUT moved the assignment's end")
	end, ok := puts[0]["end_date"].(float64)
	require.True(t, ok, "end_date in Unix seconds: %v", puts[0])
	assert.Contains(t, want, int64(end), "end_date %s", time.Unix(int64(end), 0).UTC())
}

func decode(t *testing.T, body string) map[string]any {
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &m), body)
	return m
}

func TestPaths(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: time.Second})
	for _, pcase := range cases {
		t.Run(pcase.name, func(t *testing.T) {
			p := pcase.name
			wf := func(id string) string { return engagement.WorkflowID(p, id) }

			t.Run("first-time contractor is insured after the application", func(t *testing.T) {
				t.Parallel()
				ex := example(p, p+"-first", "", pcase.hourly)
				ex.Hourly = pcase.hourly
				start(t, s, pcase, ex)
				st := s.WaitStatus(t, p, ex.ID, 60*time.Second, "INSURED", is(engagement.StatusInsured))
				assert.Equal(t, policyActiveOf(t, s, st.Policy.QuoteID).ObjectID, st.Policy.PolicyID, "the policy 1099Policy issued for the quote")
				assert.Contains(t, fmt.Sprint(st.Transitions), "AWAITING_APPLICATION")

				cons := posts(s, "/contractors")
				var con map[string]any
				source := platformsim.SourceContractorID(p, ex)
				for _, r := range cons {
					if strings.Contains(r.Body, `"`+source+`"`) {
						con = decode(t, r.Body)
						assert.Equal(t, pcase.first.contractorKey, r.Header(pc.HeaderIdempotentKey), "the guide's contractor key")
					}
				}
				require.NotNil(t, con, "contractor created")
				assert.Equal(t, pcase.first.proxyEmail, con["email"], "proxy email")

				jobs := postsFor(s, "/jobs", wf(ex.ID))
				require.Len(t, jobs, 1)
				job := decode(t, jobs[0].Body)
				assert.EqualValues(t, pcase.wage, job["wage"], "exact cents")
				assert.Equal(t, pcase.wageType, job["wage_type"])
				assert.Equal(t, pcase.entity, job["entity"])
				assert.Equal(t, pcase.category, job["category_code"])
				assert.NotContains(t, job, "region", "1099Policy has no top-level region on jobs")
				if p == "upwork" {
					assert.NotContains(t, job, "address", "an Upwork contract is remote work: no work location")
				} else {
					assert.Equal(t, "CA", job["address"].(map[string]any)["region"], "the work state in address.region")
				}
				meta := job["custom_metadata"].(map[string]any)
				for k, want := range pcase.first.jobMeta {
					assert.Equal(t, want, meta[k], "job custom_metadata.%s", k)
				}
				quotes := postsFor(s, "/quotes", wf(ex.ID))
				require.Len(t, quotes, 1)
				q := decode(t, quotes[0].Body)
				wantEnd := ex.End.Unix()
				if pcase.dateOnly {
					wantEnd = ex.End.AddDate(0, 0, 1).Unix()
				}
				assert.EqualValues(t, ex.Start.Unix(), q["effective_date"], "window start in Unix seconds")
				assert.EqualValues(t, wantEnd, q["end_date"])
				qmeta := q["custom_metadata"].(map[string]any)
				assert.Equal(t, p+"-first", qmeta[pcase.metaKey], "quote custom_metadata.%s: the engagement id", pcase.metaKey)
				assert.Equal(t, "engagement:"+p+":"+p+"-first", qmeta["engagement_key"])
				assert.Len(t, postsFor(s, "/apply/sessions", wf(ex.ID)), 1)
			})

			t.Run("returning contractor gets an assignment", func(t *testing.T) {
				t.Parallel()
				email := p + "-returning@example.com"
				ex := example(p, p+"-ret", email, pcase.hourly)
				returning(t, s, productEmail(p, ex), true)
				start(t, s, pcase, ex)
				st := s.WaitStatus(t, p, ex.ID, 60*time.Second, "INSURED", is(engagement.StatusInsured))
				assert.Equal(t, s.Policy.AssignmentIDs()[wf(ex.ID)], st.Policy.AssignmentID, "the assignment 1099Policy made for the engagement")
				assert.Empty(t, postsFor(s, "/quotes", wf(ex.ID)))
				asg := postsFor(s, "/assignments", wf(ex.ID))
				require.Len(t, asg, 1)
				ameta := decode(t, asg[0].Body)["custom_metadata"].(map[string]any)
				assert.Equal(t, p+"-ret", ameta[pcase.metaKey], "assignment custom_metadata.%s: the engagement id", pcase.metaKey)
				assert.Equal(t, "engagement:"+p+":"+p+"-ret", ameta["engagement_key"])
			})

			t.Run("ineligible assignment falls back to quote and session", func(t *testing.T) {
				t.Parallel()
				email := p + "-known@manual.example"
				ex := example(p, p+"-inel", email, pcase.hourly)
				returning(t, s, productEmail(p, ex), false)
				start(t, s, pcase, ex)
				st := s.WaitStatus(t, p, ex.ID, 60*time.Second, "AWAITING_APPLICATION", is(engagement.StatusAwaitingApplication))
				assert.NotEmpty(t, st.Policy.SessionURL)
				assert.Contains(t, fmt.Sprint(st.Transitions), "assignment ineligible")
			})

			t.Run("certificate approved covers the engagement", func(t *testing.T) {
				t.Parallel()
				ex := example(p, p+"-coi", p+"-coi@manual.example", pcase.hourly)
				start(t, s, pcase, ex)
				s.WaitStatus(t, p, ex.ID, 60*time.Second, "AWAITING_APPLICATION", is(engagement.StatusAwaitingApplication))
				handInCertificate(t, s, p, ex, "doc-"+ex.ID, "coi.pdf")
				st := s.WaitStatus(t, p, ex.ID, 60*time.Second, "certificate APPROVED", func(st engagement.Status) bool {
					return st.CertificateStatus == engagement.CertificateApproved
				})
				assert.Equal(t, engagement.StatusInsured, st.CoverageStatus)
				certs := postsFor(s, "/files/certificates", wf(ex.ID))
				require.Len(t, certs, 1)
				assert.Contains(t, certs[0].Body, `name="custom_metadata[`+pcase.metaKey+`]"`+"\r\n\r\n"+ex.ID+"\r\n", "the guide's key, the engagement id")
				assert.Contains(t, certs[0].Body, `name="custom_metadata[engagement_key]"`+"\r\n\r\n"+"engagement:"+p+":"+ex.ID+"\r\n")
			})

			t.Run("certificate flagged then approved by an operator", func(t *testing.T) {
				t.Parallel()
				ex := example(p, p+"-flag", p+"-flag@manual.example", pcase.hourly)
				start(t, s, pcase, ex)
				s.WaitStatus(t, p, ex.ID, 60*time.Second, "AWAITING_APPLICATION", is(engagement.StatusAwaitingApplication))
				handInCertificate(t, s, p, ex, "flag-"+ex.ID, "coi-flag.pdf")
				s.WaitStatus(t, p, ex.ID, 60*time.Second, "certificate FLAGGED", func(st engagement.Status) bool {
					return st.CertificateStatus == engagement.CertificateFlagged
				})
				code, resp := ops(t, s, "POST", "/v1/engagements/"+p+"/"+ex.ID+"/actions/approve-certificate", map[string]string{"note": "verified with the carrier"})
				require.Equal(t, 200, code, string(resp))
				st := s.WaitStatus(t, p, ex.ID, 60*time.Second, "certificate APPROVED", func(st engagement.Status) bool {
					return st.CertificateStatus == engagement.CertificateApproved
				})
				assert.Equal(t, engagement.StatusInsured, st.CoverageStatus)
			})

			t.Run("date change after binding updates the assignment", func(t *testing.T) {
				t.Parallel()
				email := p + "-dates@example.com"
				ex := example(p, p+"-dates", email, pcase.hourly)
				returning(t, s, productEmail(p, ex), true)
				start(t, s, pcase, ex)
				st := s.WaitStatus(t, p, ex.ID, 60*time.Second, "INSURED", is(engagement.StatusInsured))
				ex.End = ex.End.AddDate(0, 0, 10)
				require.NoError(t, s.Platforms.Seed(p, ex))
				status, _ := hook(t, s, p, platformsim.HookUpdate, ex, "update-"+ex.ID, "")
				require.Equal(t, 200, status)
				s.WaitStatus(t, p, ex.ID, 60*time.Second, "window moved", func(st engagement.Status) bool {
					return strings.Contains(fmt.Sprint(st.Transitions), "coverage window moved")
				})
				var put string
				for _, r := range s.Policy.Requests() {
					if r.Method == "PUT" && r.Path == "/api/v1/assignments/"+st.Policy.AssignmentID {
						put = r.Body
					}
				}
				wantEnd := ex.End.Unix()
				if pcase.dateOnly {
					wantEnd = ex.End.AddDate(0, 0, 1).Unix()
				}
				assert.Contains(t, put, fmt.Sprintf(`"end_date":%d`, wantEnd))
			})

			t.Run("end before start cancels the assignment", func(t *testing.T) {
				t.Parallel()
				if p == "jobdiva" {
					t.Skip("JobDiva sends no end webhook: its terminations come from the reports (TestPollingFindsChangesWithoutWebhooks)")
				}
				email := p + "-cancel@example.com"
				ex := example(p, p+"-cancel", email, pcase.hourly)
				returning(t, s, productEmail(p, ex), true)
				start(t, s, pcase, ex)
				insured := s.WaitStatus(t, p, ex.ID, 60*time.Second, "INSURED", is(engagement.StatusInsured))
				status, _ := hook(t, s, p, platformsim.HookCancel, ex, "cancel-"+ex.ID, "")
				require.Equal(t, 200, status)
				s.WaitStatus(t, p, ex.ID, 60*time.Second, "CANCELED", is(engagement.StatusCanceled))
				cancels := 0
				for _, r := range posts(s, "/assignments/cancel") {
					if strings.Contains(r.Body, `"job_id":"`+insured.Policy.JobID+`"`) {
						cancels++
					}
				}
				assert.Equal(t, 1, cancels, "the job's assignment was cancelled")
			})

			t.Run("end after start moves the assignment end", func(t *testing.T) {
				t.Parallel()
				if p == "jobdiva" {
					t.Skip("JobDiva sends no end webhook: its terminations come from the reports (TestPollingFindsChangesWithoutWebhooks)")
				}
				email := p + "-ended@example.com"
				ex := example(p, p+"-ended", email, pcase.hourly)
				returning(t, s, productEmail(p, ex), true)
				ex.Start = day(-1)
				start(t, s, pcase, ex)
				st := s.WaitStatus(t, p, ex.ID, 60*time.Second, "INSURED", is(engagement.StatusInsured))
				// The platform ends the engagement today: coverage runs to the end of the day,
				// 00:00 UTC tomorrow (SPEC §2 steps 4 and 6); a test run across midnight may see
				// either day.
				tomorrow := day(1).Unix()
				status, _ := hook(t, s, p, platformsim.HookEnd, ex, "end-"+ex.ID, "")
				require.Equal(t, 200, status)
				s.WaitStatus(t, p, ex.ID, 60*time.Second, "ENDED", is(engagement.StatusEnded))
				assertEndMovedTo(t, s, st.Policy.AssignmentID, tomorrow, day(1).Unix())
			})

			if pcase.invoiceRef != nil {
				t.Run("invoice recorded once when its event arrives twice", func(t *testing.T) {
					t.Parallel()
					email := p + "-invoice@example.com"
					ex := example(p, p+"-inv", email, pcase.hourly)
					returning(t, s, productEmail(p, ex), true)
					start(t, s, pcase, ex)
					s.WaitStatus(t, p, ex.ID, 60*time.Second, "INSURED", is(engagement.StatusInsured))
					ref := pcase.invoiceRef(ex)
					require.NoError(t, s.Platforms.SeedInvoice(p, ex, ref, "1,250.50"))
					signalled := signalsApplied(t, s, wf(ex.ID), engagement.SignalPlatformEvent)
					for i := range 2 {
						status, _ := hook(t, s, p, platformsim.HookInvoice, ex, fmt.Sprintf("inv-%s-%d", ex.ID, i), ref)
						require.Equal(t, 200, status)
					}
					st := s.WaitStatus(t, p, ex.ID, 60*time.Second, "invoice recorded", func(st engagement.Status) bool { return len(st.Policy.InvoiceIDs) > 0 })
					waitSignalsApplied(t, s, wf(ex.ID), engagement.SignalPlatformEvent, signalled+2) // both deliveries taken in
					staysTrue(t, "once per platform invoice id", func() bool { return len(postsFor(s, "/invoices", wf(ex.ID))) == 1 })
					invs := postsFor(s, "/invoices", wf(ex.ID))
					require.Len(t, invs, 1, "once per platform invoice id")
					assert.EqualValues(t, 125050, decode(t, invs[0].Body)["gross_pay"])
					assert.Len(t, st.Policy.InvoiceIDs, 1)
				})
			}

			if p == "jobdiva" {
				t.Run("candidate update reaches the candidate's open engagements", func(t *testing.T) {
					t.Parallel()
					email := "jobdiva-candidate@example.com"
					ex := example(p, p+"-cand", email, pcase.hourly)
					returning(t, s, productEmail(p, ex), true)
					start(t, s, pcase, ex)
					insured := s.WaitStatus(t, p, ex.ID, 60*time.Second, "INSURED", is(engagement.StatusInsured))
					ex.LastName = "Okafor"
					require.NoError(t, s.Platforms.Seed(p, ex))
					status, body := hook(t, s, p, platformsim.HookContractor, ex, "cand-"+ex.ID, "")
					require.Equal(t, 200, status, "%v", body)
					require.Eventually(t, func() bool {
						for _, r := range s.Policy.Requests() {
							if r.Method == "PUT" && r.Path == "/api/v1/contractors/"+insured.Policy.ContractorID && strings.Contains(r.Body, `"last_name":"Okafor"`) {
								return true
							}
						}
						return false
					}, 30*time.Second, 200*time.Millisecond, "the contractor was updated in 1099Policy")
				})
			}

			t.Run("webhook after close and forged webhook change nothing", func(t *testing.T) {
				t.Parallel()
				if p == "jobdiva" {
					t.Skip("JobDiva sends no end webhook: its terminations come from the reports (TestPollingFindsChangesWithoutWebhooks)")
				}
				email := p + "-late@example.com"
				ex := example(p, p+"-late", email, pcase.hourly)
				returning(t, s, productEmail(p, ex), true)
				start(t, s, pcase, ex)
				s.WaitStatus(t, p, ex.ID, 60*time.Second, "INSURED", is(engagement.StatusInsured))
				status, _ := hook(t, s, p, platformsim.HookCancel, ex, "cancel-"+ex.ID, "")
				require.Equal(t, 200, status)
				final := s.WaitStatus(t, p, ex.ID, 60*time.Second, "CANCELED", is(engagement.StatusCanceled))
				s.WaitClosed(t, wf(ex.ID)) // its last notifications are out: the run has completed
				status, body := hook(t, s, p, platformsim.HookUpdate, ex, "late-"+ex.ID, "")
				assert.Equal(t, 200, status)
				assert.Equal(t, "closed", body["status"])
				after, _ := s.Status(p, ex.ID)
				assert.Equal(t, final, after, "nothing changed")

				forged := example(p, p+"-forged", "", pcase.hourly)
				require.NoError(t, s.Platforms.Seed(p, forged))
				body2, _ := platformsim.WebhookBody(p, platformsim.HookStart, forged, "f", "", time.Now())
				req, _ := http.NewRequest(http.MethodPost, s.IngressURL+"/webhooks/"+p, strings.NewReader(string(body2)))
				for k, v := range platformsim.SignatureHeaders(p, "not-the-secret", body2, time.Now()) {
					req.Header.Set(k, v)
				}
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, 401, resp.StatusCode)
				_, exists := s.Status(p, forged.ID)
				assert.False(t, exists, "a forged webhook starts nothing")
			})
		})
	}

	t.Run("a policy event reaches every engagement it concerns", func(t *testing.T) {
		t.Parallel()
		// One returning contractor, insured through assignments on two platforms: the
		// cancellation of their policy names neither engagement, so it is routed to both.
		email := "routed-both@example.com"
		c := s.Policy.CreateContractor(pc.Contractor{FirstName: "Jordan", LastName: "Cruz", Email: email})
		policy, err := s.Policy.SeedPolicy(pc.Policy{Contractor: c.ID})
		require.NoError(t, err)
		remoteEx, wmEx := example("remote", "routed-r", email, false), example("workmarket", "routed-w", email, false)
		start(t, s, cases[0], remoteEx)
		start(t, s, cases[1], wmEx)
		for _, e := range []struct{ p, id string }{{"remote", remoteEx.ID}, {"workmarket", wmEx.ID}} {
			st := s.WaitStatus(t, e.p, e.id, 60*time.Second, "INSURED", is(engagement.StatusInsured))
			require.NotEmpty(t, st.Policy.AssignmentID, "%s: insured by an assignment under the contractor's policy", e.p)
		}
		require.NoError(t, s.Policy.CancelPolicy(policy.ID))
		for _, e := range []struct{ p, id string }{{"remote", remoteEx.ID}, {"workmarket", wmEx.ID}} {
			st := s.WaitStatus(t, e.p, e.id, 60*time.Second, "UNPROTECTED", is(engagement.StatusUnprotected))
			assert.Contains(t, causes(st), "policy "+policy.ID+" cancelled", e.p)
		}
		var cancelled pc.Event
		for _, ev := range s.Policy.Events() {
			if ev.Type == pc.EventPolicyCancelled && ev.ObjectID == policy.ID {
				cancelled = ev
			}
		}
		require.NotEmpty(t, cancelled.ID, "1099Policy sent policy.cancelled")
		var delivered []string
		require.NoError(t, s.Client.GetWorkflow(t.Context(), engagement.PolicyEventWorkflowID(cancelled.ID), "").Get(t.Context(), &delivered))
		assert.Equal(t, []string{"engagement:remote:routed-r", "engagement:workmarket:routed-w"}, delivered, "the router delivered it to both")
	})
}
