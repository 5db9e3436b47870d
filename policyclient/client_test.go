package policyclient_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
)

const testKey = "t9k_test_client"

func newSandbox(t *testing.T, cfg policysim.Config) (*policysim.Server, *pc.Client) {
	t.Helper()
	cfg.APIKey = testKey
	sim := policysim.New(cfg)
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { srv.Close(); sim.Close() })
	return sim, pc.New(pc.Config{BaseURL: srv.URL, APIKey: testKey, Environment: "sandbox"})
}

// withContact gives a contractor the phone and full address the API requires.
func withContact(c pc.Contractor) pc.Contractor {
	c.Phone = "+1 415 555 0100"
	c.Address = &pc.Address{Line1: "1 Market St", Locality: "San Francisco", Region: "CA", PostalCode: "94107", Country: "US"}
	return c
}

func day(n int) pc.Time { return pc.Time(time.Now().Add(time.Duration(n) * 24 * time.Hour).Unix()) }

// fixture creates a contractor and a job and returns their ids.
func fixture(t *testing.T, c *pc.Client, email string) (string, string) {
	t.Helper()
	ctx := context.Background()
	con, err := c.CreateContractor(ctx, "k-con-"+email, withContact(pc.Contractor{FirstName: "Ava", LastName: "Nguyen", Email: email,
		CustomMetadata: pc.Metadata{"engagement_key": "engagement:remote:ct_1"}}))
	require.NoError(t, err)
	job, err := c.CreateJob(ctx, "k-job-"+email, pc.Job{Name: "Frontend", Entity: "en_1", CategoryCode: "jc_SOFTWARE", Wage: 7500, WageType: "hourly", Address: &pc.Address{Region: "CA", Country: "US"}})
	require.NoError(t, err)
	return con.ID, job.ID
}

func TestEveryCallOverHTTP(t *testing.T) {
	sim, c := newSandbox(t, policysim.Config{CertificateReviewAfter: time.Hour})
	ctx := context.Background()
	conID, jobID := fixture(t, c, "ava@example.com")

	found, err := c.FindContractorsByEmail(ctx, "ava@example.com")
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, conID, found[0].ID)
	assert.Equal(t, "CA", found[0].Address.Region)

	upd, err := c.UpdateContractor(ctx, conID, pc.Contractor{Phone: "415-555-0100"})
	require.NoError(t, err)
	assert.Equal(t, "415-555-0100", upd.Phone)
	assert.Equal(t, "Ava", upd.FirstName, "PUT is partial")

	job, err := c.UpdateJob(ctx, jobID, pc.Job{Wage: 8000})
	require.NoError(t, err)
	assert.EqualValues(t, 8000, job.Wage)

	codes, err := c.ListCategoryCodes(ctx)
	require.NoError(t, err)
	assert.NotEmpty(t, codes)

	q, err := c.CreateQuote(ctx, "k-quote", pc.Quote{Contractor: conID, Job: jobID, CoverageType: []string{"general"}, EffectiveDate: day(1), EndDate: day(30)})
	require.NoError(t, err)
	q2, err := c.UpdateQuote(ctx, q.ID, pc.Quote{EndDate: day(40)})
	require.NoError(t, err)
	assert.Equal(t, day(40), q2.EndDate)
	got, err := c.GetQuote(ctx, q.ID)
	require.NoError(t, err)
	assert.Equal(t, q2.EndDate, got.EndDate)

	sess, err := c.CreateSession(ctx, "k-sess", pc.SessionParams{Quote: q.ID, SuccessURL: "https://x/ok", CancelURL: "https://x/no"})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(sess.ID, "ias_"))
	assert.Contains(t, sess.URL, "/apply/"+sess.ID)
	require.NoError(t, sim.CompleteSession(sess.ID))

	pols, err := c.ListContractorPolicies(ctx, conID)
	require.NoError(t, err)
	require.Len(t, pols, 1)
	assert.Equal(t, pc.PolicyActive, pols[0].Status)
	pol, err := c.GetPolicy(ctx, pols[0].ID)
	require.NoError(t, err)
	assert.Equal(t, q.ID, pol.Quote)

	sess2, err := c.CreateSession(ctx, "k-sess2", pc.SessionParams{Quote: q.ID})
	require.Error(t, err, "a bound quote takes no new session")
	_ = sess2

	job2, err := c.CreateJob(ctx, "k-job2", pc.Job{Name: "Second", Entity: "en_1", CategoryCode: "jc_SOFTWARE", Wage: 100, WageType: "flatfee"})
	require.NoError(t, err)
	a, err := c.CreateAssignment(ctx, "k-asg", pc.Assignment{Contractor: conID, Job: job2.ID, EffectiveDate: day(2), EndDate: day(20), CoverageType: []string{"general"}})
	require.NoError(t, err)
	require.NotNil(t, a.Eligible)
	assert.True(t, a.Eligible.Result)
	a2, err := c.UpdateAssignment(ctx, a.ID, pc.Assignment{EndDate: day(25)})
	require.NoError(t, err)
	assert.Equal(t, day(25), a2.EndDate)
	cancelled, err := c.CancelAssignment(ctx, "k-cancel", pc.AssignmentCancel{JobID: job2.ID, Reason: "engagement cancelled"})
	require.NoError(t, err)
	assert.Equal(t, "cancelled", cancelled.Status)

	cert, err := c.UploadCertificate(ctx, "k-cert", pc.CertificateUpload{Contractor: conID, FileName: "coi.pdf",
		File: strings.NewReader("%PDF-1.4 test"), CustomMetadata: pc.Metadata{"contract_id": "ct_1"}})
	require.NoError(t, err)
	assert.Equal(t, pc.CertificatePending, cert.Status)
	cg, err := c.GetCertificate(ctx, cert.ID, "contractor")
	require.NoError(t, err)
	require.NotNil(t, cg.Contractor.Expanded)
	assert.Equal(t, conID, cg.Contractor.ID)
	assert.Equal(t, "ct_1", cg.CustomMetadata["contract_id"])

	inv, err := c.CreateInvoice(ctx, "k-inv", pc.Invoice{Contractor: conID, Job: jobID, GrossPay: 120000, PaycycleStartdate: day(1), PaycycleEnddate: day(14)})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(inv.ID, "in_"))

	events := sim.Events()
	require.NotEmpty(t, events)
	ev, err := c.GetEvent(ctx, events[len(events)-1].ID)
	require.NoError(t, err)
	assert.Equal(t, events[len(events)-1].Type, ev.Type)

	jobs, err := c.ListJobs(ctx, pc.ListParams{Limit: 1})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	more, err := c.ListJobs(ctx, pc.ListParams{Limit: 10, StartingAfter: jobs[0].ID})
	require.NoError(t, err)
	assert.Len(t, more, 1, "two jobs, one per page")

	exp, err := c.ExpireSession(ctx, "k-exp", sess.ID)
	require.NoError(t, err)
	assert.Equal(t, sess.ID, exp.ID)

	// Every request carried the headers the API requires; every POST an idempotency key.
	for _, r := range sim.Requests() {
		assert.Equal(t, "sandbox", r.Header(pc.HeaderEnvironment), r.Path)
		assert.Equal(t, "Bearer [redacted]", r.Header("Authorization"), r.Path)
		if r.Method == http.MethodPost {
			assert.NotEmpty(t, r.Header(pc.HeaderIdempotentKey), r.Path)
		}
	}
}

func TestBusinessErrors(t *testing.T) {
	_, c := newSandbox(t, policysim.Config{})
	ctx := context.Background()
	conID, jobID := fixture(t, c, "bo@example.com")

	_, err := c.CreateContractor(ctx, "other-key", withContact(pc.Contractor{FirstName: "B", LastName: "O", Email: "bo@example.com"}))
	assert.True(t, pc.IsDuplicateEmail(err), "%v", err)
	assert.False(t, pc.IsRetryable(err))
	assert.True(t, pc.IsBusiness(err))

	_, err = c.CreateAssignment(ctx, "k-a", pc.Assignment{Contractor: conID, Job: jobID, EffectiveDate: day(1), EndDate: day(5)})
	assert.True(t, pc.IsNoMatchingPolicy(err), "%v", err)

	_, err = c.CreateQuote(ctx, "k-past", pc.Quote{Contractor: conID, Job: jobID, CoverageType: []string{"general"}, EffectiveDate: day(-2), EndDate: day(5)})
	assert.True(t, pc.IsEffectiveDateInvalid(err), "%v", err)

	_, err = c.CreateQuote(ctx, "k-long", pc.Quote{Contractor: conID, Job: jobID, CoverageType: []string{"general"}, EffectiveDate: day(1), EndDate: day(400)})
	pe, ok := pc.AsError(err)
	require.True(t, ok)
	assert.Equal(t, pc.CodeEndDateInvalid, pe.Code)

	_, err = c.CreateJob(ctx, "k-wage", pc.Job{Name: "x", Entity: "en_1", CategoryCode: "jc_SOFTWARE", Wage: 99, WageType: "hourly"})
	pe, ok = pc.AsError(err)
	require.True(t, ok)
	assert.Equal(t, "wage_invalid", pe.Code)
	assert.Contains(t, pe.Fields["wage"], "at least 100", "message as an object is kept per field")

	_, err = c.UploadCertificate(ctx, "k-notpdf", pc.CertificateUpload{Contractor: conID, FileName: "coi.png", File: strings.NewReader("\x89PNG....")})
	pe, ok = pc.AsError(err)
	require.True(t, ok)
	assert.Equal(t, pc.CodeInvalidCertificateFile, pe.Code)

	_, err = c.GetPolicy(ctx, "pl_missing")
	assert.True(t, pc.IsNotFound(err))
}

func TestMatchingPolicyAndCancelAfterStart(t *testing.T) {
	sim, c := newSandbox(t, policysim.Config{})
	ctx := context.Background()
	conID, jobID := fixture(t, c, "ret@example.com")
	_, err := sim.SeedPolicy(pc.Policy{Contractor: conID})
	require.NoError(t, err)
	_, err = c.CreateQuote(ctx, "k-q", pc.Quote{Contractor: conID, Job: jobID, CoverageType: []string{"general"}, EffectiveDate: day(1), EndDate: day(5)})
	assert.True(t, pc.IsMatchingPolicy(err), "%v", err)

	now := pc.Time(time.Now().Unix())
	_, err = c.CreateAssignment(ctx, "k-a", pc.Assignment{Contractor: conID, Job: jobID, EffectiveDate: now, EndDate: day(5)})
	require.NoError(t, err)
	_, err = c.CancelAssignment(ctx, "k-c", pc.AssignmentCancel{JobID: jobID})
	pe, ok := pc.AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, pc.CodeAssignmentStarted, pe.Code)
}

func TestOlderErrorSpellingIsMatchingPolicy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"message":"has policy","error_code":"contract_has_matching_policy"}`))
	}))
	defer srv.Close()
	c := pc.New(pc.Config{BaseURL: srv.URL, APIKey: "k"})
	_, err := c.CreateQuote(context.Background(), "k", pc.Quote{})
	assert.True(t, pc.IsMatchingPolicy(err))
}

func TestUnauthorized(t *testing.T) {
	sim := policysim.New(policysim.Config{APIKey: testKey})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	bad := pc.New(pc.Config{BaseURL: srv.URL, APIKey: "t9k_test_wrong"})
	_, err := bad.ListCategoryCodes(context.Background())
	pe, ok := pc.AsError(err)
	require.True(t, ok)
	assert.Equal(t, http.StatusUnauthorized, pe.StatusCode)
	assert.False(t, pe.Retryable)
}

func TestRetryableErrors(t *testing.T) {
	sim, c := newSandbox(t, policysim.Config{})
	ctx := context.Background()

	sim.AddFault(policysim.Fault{PathPrefix: "/api/v1/category_codes", Status: 429, RetryAfter: 7, Count: 1})
	_, err := c.ListCategoryCodes(ctx)
	pe, ok := pc.AsError(err)
	require.True(t, ok)
	assert.Equal(t, 429, pe.StatusCode)
	assert.True(t, pe.Retryable)
	assert.Equal(t, 7*time.Second, pe.RetryAfter)

	sim.AddFault(policysim.Fault{Status: 500, Count: 1})
	_, err = c.ListCategoryCodes(ctx)
	assert.True(t, pc.IsRetryable(err))
	_, err = c.ListCategoryCodes(ctx)
	assert.NoError(t, err, "fault used up after Count requests")

	down := pc.New(pc.Config{BaseURL: "http://127.0.0.1:1", APIKey: "k"})
	_, err = down.ListCategoryCodes(ctx)
	pe, ok = pc.AsError(err)
	require.True(t, ok)
	assert.Equal(t, 0, pe.StatusCode)
	assert.True(t, pe.Retryable, "network errors are retryable")
}

func TestIdempotentReplay(t *testing.T) {
	sim, c := newSandbox(t, policysim.Config{})
	ctx := context.Background()
	p := withContact(pc.Contractor{FirstName: "I", LastName: "D", Email: "idem@example.com"})
	first, err := c.CreateContractor(ctx, "remote-contractor-ctr_1", p)
	require.NoError(t, err)
	again, err := c.CreateContractor(ctx, "remote-contractor-ctr_1", p)
	require.NoError(t, err, "same key replays the stored 201, not duplicate_email")
	assert.Equal(t, first.ID, again.ID)
	list, err := c.FindContractorsByEmail(ctx, "idem@example.com")
	require.NoError(t, err)
	assert.Len(t, list, 1)

	// A stored error is replayed too.
	_, err = c.CreateContractor(ctx, "k-bad", pc.Contractor{FirstName: "x"})
	require.Error(t, err)
	_, err2 := c.CreateContractor(ctx, "k-bad", pc.Contractor{FirstName: "x", LastName: "y", Email: "fixed@example.com"})
	require.Error(t, err2, "the first answer for a key is replayed for 24 h")
	_ = sim
}

func TestPOSTWithoutKeyIsRefusedByClient(t *testing.T) {
	_, c := newSandbox(t, policysim.Config{})
	_, err := c.CreateJob(context.Background(), "", pc.Job{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "idempotency key")
}

func TestTolerantDecoding(t *testing.T) {
	var a pc.Assignment
	require.NoError(t, json.Unmarshal([]byte(`{"id":"an_1","effective_date":"2026-12-01T00:00:00Z","end_date":1798761600,
		"eligible":"{\"result\":false,\"message\":\"No matching policy found for assignment.\"}",
		"custom_metadata":"{\"contract_id\":\"ct_1\",\"n\":5}"}`), &a))
	assert.EqualValues(t, 1796083200, a.EffectiveDate)
	assert.EqualValues(t, 1798761600, a.EndDate)
	require.NotNil(t, a.Eligible)
	assert.False(t, a.Eligible.Result)
	assert.Equal(t, "ct_1", a.CustomMetadata["contract_id"])
	assert.Equal(t, "5", a.CustomMetadata["n"])

	var p pc.Policy
	require.NoError(t, json.Unmarshal([]byte(`{"id":"pl_1","status":"active","effective_date":"2026-12-01","expiration_date":"1798761600"}`), &p))
	assert.EqualValues(t, 1796083200, p.EffectiveDate)
	assert.EqualValues(t, 1798761600, p.ExpirationDate)

	var bad pc.Policy
	assert.Error(t, json.Unmarshal([]byte(`{"expiration_date":"next tuesday"}`), &bad))
}

func TestErrorMessageShapes(t *testing.T) {
	for _, tc := range []struct{ body, wantMsg, wantCode, wantText string }{
		{`{"message":"plain text","error_code":"x"}`, "plain text", "x", "1099policy GET /quotes/qt_1: 400 x: plain text"},
		{`{"message":{"email":"bad","wage":"low"},"error_code":"y"}`, "email: bad; wage: low", "y", "1099policy GET /quotes/qt_1: 400 y: email: bad; wage: low"},
		{`{"message":{"wage":100}}`, "wage: 100", "", "1099policy GET /quotes/qt_1: 400: wage: 100"},
		{`not json`, "not json", "", "1099policy GET /quotes/qt_1: 400: not json"},
		{`{"error_code":"z"}`, "", "z", "1099policy GET /quotes/qt_1: 400 z"},
		{``, "", "", "1099policy GET /quotes/qt_1: 400"},
		{`{"message":"contractor ada@example.com exists","error_code":"duplicate_email"}`, "contractor ada@example.com exists", "duplicate_email",
			"1099policy GET /quotes/qt_1: 400 duplicate_email: contractor [email] exists"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(tc.body))
		}))
		_, err := pc.New(pc.Config{BaseURL: srv.URL, APIKey: "k"}).GetQuote(context.Background(), "qt_1")
		srv.Close()
		pe, ok := pc.AsError(err)
		require.True(t, ok)
		assert.Equal(t, tc.wantMsg, pe.Message)
		assert.Equal(t, tc.wantCode, pe.Code)
		assert.Equal(t, tc.wantText, err.Error(), "method, path, status, code and the message, redacted")
		assert.Equal(t, http.StatusBadRequest, pe.StatusCode)
		assert.False(t, pe.Retryable)
		assert.True(t, pc.IsBusiness(err))
	}
}

func TestWebhooksAreSignedAndDelivered(t *testing.T) {
	got := make(chan []byte, 10)
	secret := "whsec_test"
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		buf.ReadFrom(r.Body)
		// The sandbox signs as 1099Policy does (checked apart from webhooksig): t is now, the
		// MAC is over "<t>.<body>".
		header := r.Header.Get(pc.HeaderSignature)
		ts, _ := strconv.ParseInt(strings.TrimPrefix(strings.Split(header, ",")[0], "t="), 10, 64)
		if header != "t="+strconv.FormatInt(ts, 10)+",v1="+referenceMAC(secret, ts, buf.Bytes()) || time.Since(time.Unix(ts, 0)).Abs() > time.Minute {
			t.Errorf("sandbox delivery signed %q", header)
		}
		if err := (pc.Verifier{Secret: secret}).Verify(header, buf.Bytes()); err != nil {
			w.WriteHeader(401)
			return
		}
		got <- buf.Bytes()
	}))
	defer hook.Close()
	sim, c := newSandbox(t, policysim.Config{WebhookURL: hook.URL, WebhookSecret: secret, AutoCompleteAfter: 10 * time.Millisecond})
	conID, jobID := fixture(t, c, "hook@example.com")
	q, err := c.CreateQuote(context.Background(), "k-q", pc.Quote{Contractor: conID, Job: jobID, CoverageType: []string{"general"}, EffectiveDate: day(1), EndDate: day(5)})
	require.NoError(t, err)
	_, err = c.CreateSession(context.Background(), "k-s", pc.SessionParams{Quote: q.ID})
	require.NoError(t, err)
	var types []string
	for len(types) < 4 {
		select {
		case b := <-got:
			ev, err := pc.ParseEvent(b)
			require.NoError(t, err)
			types = append(types, ev.Type)
		case <-time.After(5 * time.Second):
			t.Fatalf("only got %v", types)
		}
	}
	assert.ElementsMatch(t, []string{"application.created", "application.started", "application.complete", "policy.active"}, types, "delivery order is not guaranteed, as with the real service")
	_ = sim
}

func TestJobBodyCarriesTheWorkStateInAddress(t *testing.T) {
	sim, c := newSandbox(t, policysim.Config{})
	_, _ = fixture(t, c, "addr@example.com")
	var job map[string]any
	for _, r := range sim.Requests() {
		if r.Method == "POST" && r.Path == "/api/v1/jobs" {
			require.NoError(t, json.Unmarshal([]byte(r.Body), &job))
		}
	}
	assert.NotContains(t, job, "region", "1099Policy has no top-level region on jobs")
	assert.Equal(t, map[string]any{"region": "CA", "country": "US"}, job["address"])
}

func TestQuoteCoverageTypeArrayOrObject(t *testing.T) {
	for _, body := range []string{`{"id":"qt_1","coverage_type":["general","cyber"]}`,
		`{"id":"qt_1","coverage_type":{"coverage_type":["general","cyber"]}}`,
		`{"id":"qt_1","coverage_type":"[\"general\",\"cyber\"]"}`} {
		var q pc.Quote
		require.NoError(t, json.Unmarshal([]byte(body), &q), body)
		assert.Equal(t, pc.CoverageTypes{"general", "cyber"}, q.CoverageType, body)
	}
}

func TestContractorRefusedWithoutContactDetails(t *testing.T) {
	_, c := newSandbox(t, policysim.Config{})
	_, err := c.CreateContractor(context.Background(), "k-nophone", pc.Contractor{FirstName: "A", LastName: "B", Email: "nophone@example.com"})
	require.Error(t, err)
	pe, ok := pc.AsError(err)
	require.True(t, ok)
	assert.Equal(t, 400, pe.StatusCode)
	assert.Equal(t, pc.CodeInvalidRequest, pe.Code)
	for _, field := range []string{"phone", "address.line1", "address.locality", "address.region", "address.postalcode"} {
		assert.Contains(t, err.Error(), field, "every missing field is named")
	}
	_, err = c.CreateContractor(context.Background(), "k-phone", pc.Contractor{FirstName: "A", LastName: "B", Email: "phone@example.com",
		Phone: "+14155550100", Address: &pc.Address{Line1: "1 Main St", Locality: "Oakland", Region: "CA", PostalCode: "94607", Country: "US"}})
	require.NoError(t, err)
}

func TestStoredServerErrorIsReplayedForItsKey(t *testing.T) {
	sim, c := newSandbox(t, policysim.Config{})
	sim.AddFault(policysim.Fault{PathPrefix: "/api/v1/jobs", Status: 500, Count: 1, Stored: true, Executed: true})
	body := pc.Job{Name: "Stored", Entity: "en_1", CategoryCode: "jc_SOFTWARE", Wage: 7500, WageType: "hourly"}
	_, err := c.CreateJob(context.Background(), "k-stored", body)
	require.Error(t, err)
	_, err = c.CreateJob(context.Background(), "k-stored", body)
	require.Error(t, err, "the stored 500 is replayed for the same key, as 1099Policy does")
	jobs, err := c.ListJobs(context.Background(), pc.ListParams{Limit: 10})
	require.NoError(t, err)
	assert.Len(t, jobs, 1, "the work was done before the answer failed")
	_, err = c.CreateJob(context.Background(), "k-stored-2", body)
	assert.NoError(t, err, "a new key is a new request")
}

func TestExtendAssignment(t *testing.T) {
	sim, c := newSandbox(t, policysim.Config{})
	conID, jobID := fixture(t, c, "extend@example.com")
	_, err := sim.SeedPolicy(pc.Policy{Contractor: conID})
	require.NoError(t, err)
	a, err := c.CreateAssignment(context.Background(), "k-asg-ext", pc.Assignment{Contractor: conID, Job: jobID, EffectiveDate: day(2), EndDate: day(30), CoverageType: []string{"general"}})
	require.NoError(t, err)
	ext, err := c.ExtendAssignment(context.Background(), "k-ext", pc.AssignmentExtend{JobID: jobID, EndDate: day(60)})
	require.NoError(t, err)
	assert.Equal(t, a.ID, ext.ID)
	assert.Equal(t, day(60), ext.EndDate)
	_, err = c.ExtendAssignment(context.Background(), "k-ext-2", pc.AssignmentExtend{JobID: jobID, EndDate: day(10)})
	assert.Error(t, err, "an end date earlier than the current one is refused")
}
