package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.uber.org/zap"

	"github.com/coverage-orchestrator/coverage/engagement"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/jobdiva"
	"github.com/coverage-orchestrator/coverage/vendors/remote"
	"github.com/coverage-orchestrator/coverage/vendors/upwork"
	"github.com/coverage-orchestrator/coverage/vendors/workmarket"
)

// The ingress's parsers of outside input, fuzzed through their routes: webhook bodies (signed
// inside the fuzz function, so they get past the signature check to the parsers) and the
// operator API's bodies (enrollment, backfill, contractor details, certificate intake). Each
// input must be answered 4xx with a message naming what is wrong, or reach Temporal; it never
// panics or answers another 5xx. Temporal here records what it is asked and refuses it
// (answer 503), so what reached it can be checked: a workflow is only ever started under a
// well-formed ID.

// refusingTemporal records the workflow IDs the ingress addresses and refuses every call as
// an unavailable server would. A method the ingress has no business calling is not
// implemented: calling it panics, which the fuzz reports.
type refusingTemporal struct {
	client.Client
	mu      sync.Mutex
	started []string // SignalWithStartWorkflow and ExecuteWorkflow: these create workflows
	reached []string // every workflow ID addressed
}

var errRefused = serviceerror.NewUnavailable("refused by the fuzz test's Temporal")

func (r *refusingTemporal) note(id string, starts bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reached = append(r.reached, id)
	if starts {
		r.started = append(r.started, id)
	}
	return errRefused
}

// take returns and forgets what was recorded.
func (r *refusingTemporal) take() (started, reached []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	started, reached = r.started, r.reached
	r.started, r.reached = nil, nil
	return started, reached
}

func (r *refusingTemporal) SignalWithStartWorkflow(_ context.Context, id, _ string, _ any, _ client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	return nil, r.note(id, true)
}

func (r *refusingTemporal) ExecuteWorkflow(_ context.Context, o client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	return nil, r.note(o.ID, true)
}

func (r *refusingTemporal) SignalWorkflow(_ context.Context, id, _, _ string, _ any) error {
	return r.note(id, false)
}

func (r *refusingTemporal) QueryWorkflow(_ context.Context, id, _, _ string, _ ...any) (converter.EncodedValue, error) {
	return nil, r.note(id, false)
}

func (r *refusingTemporal) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	return nil, r.note(o.WorkflowID, false)
}

func (r *refusingTemporal) DescribeWorkflowExecution(_ context.Context, id, _ string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	return nil, r.note(id, false)
}

func (r *refusingTemporal) ListWorkflow(context.Context, *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	return nil, r.note("(visibility list)", false)
}

// Webhook secrets of the fuzz ingress.
var fuzzSecrets = map[string]string{"remote": "r-fuzz", "workmarket": "wm-fuzz", "upwork": "up-fuzz", "jobdiva": "jd-fuzz", "1099policy": "whsec_fuzz"}

// fuzzIngress is the ingress with every platform enabled (their APIs unreachable), certificate
// intake configured (1099Policy unreachable) and a refusing Temporal.
func fuzzIngress(f *testing.F) (*httptest.Server, *refusingTemporal) {
	temporal := &refusingTemporal{}
	reg := prometheus.NewRegistry()
	dead := "http://127.0.0.1:1"
	s := &Server{Temporal: temporal, TaskQueue: "fuzz", PolicyVerify: pc.Verifier{Secret: fuzzSecrets["1099policy"]}, OpsToken: opsToken,
		Policy: pc.New(pc.Config{BaseURL: dead, APIKey: "t9k_test_fuzz"}), Logger: zap.NewNop(), Registry: reg,
		MetricsHTTP: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Adapters: vendors.Registry{
			"remote":     remote.New(remote.Config{APIURL: dead, Token: "tok", WebhookSecret: fuzzSecrets["remote"]}),
			"workmarket": workmarket.New(workmarket.Config{APIURL: dead, Token: "tok", WebhookSecret: fuzzSecrets["workmarket"]}),
			"upwork":     upwork.New(upwork.Config{APIURL: dead, WebhookSecret: fuzzSecrets["upwork"]}),
			"jobdiva":    jobdiva.New(jobdiva.Config{APIURL: dead, ClientID: "c", Username: "u", Password: "p", WebhookSecret: fuzzSecrets["jobdiva"]}),
		}}
	srv := httptest.NewServer(s.Handler())
	f.Cleanup(srv.Close)
	return srv, temporal
}

// signedHeaders signs body for a webhook route as vendors.md and 1099policy-api.md describe
// the senders' signatures, with the standard library only.
func signedHeaders(route string, body []byte, at time.Time) map[string]string {
	mac256 := func(secret string, parts ...[]byte) string {
		m := hmac.New(sha256.New, []byte(secret))
		for _, p := range parts {
			m.Write(p)
		}
		return hex.EncodeToString(m.Sum(nil))
	}
	switch route {
	case "remote": // X-Remote-Signature = hex HMAC-SHA256(key, raw_body + ":" + timestamp), timestamp in Unix ms
		ts := fmt.Sprint(at.UnixMilli())
		return map[string]string{remote.HeaderTimestamp: ts, remote.HeaderSignature: mac256(fuzzSecrets[route], body, []byte(":"+ts))}
	case "workmarket": // the shared secret itself
		return map[string]string{workmarket.HeaderSecret: fuzzSecrets[route]}
	case "upwork": // sha256=<hex HMAC-SHA256(secret, raw_body)>
		return map[string]string{upwork.HeaderSignature: "sha256=" + mac256(fuzzSecrets[route], body)}
	case "jobdiva": // sha1=<hex HMAC-SHA1(secret, raw_body)>
		m := hmac.New(sha1.New, []byte(fuzzSecrets[route]))
		m.Write(body)
		return map[string]string{jobdiva.HeaderSignature: "sha1=" + hex.EncodeToString(m.Sum(nil))}
	case "1099policy": // t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
		t := fmt.Sprint(at.Unix())
		return map[string]string{pc.HeaderSignature: "t=" + t + ",v1=" + mac256(fuzzSecrets[route], []byte(t+"."), body)}
	}
	return nil
}

// The signer above against the references' known answers (vendors.md), so a fuzz input it
// signs is one the sender would have signed.
func TestFuzzSignerKnownAnswers(t *testing.T) {
	saved := fuzzSecrets
	defer func() { fuzzSecrets = saved }()
	fuzzSecrets = map[string]string{"remote": "wkyzvs764ifdrpct2naqhksmq4", "upwork": "upwork_relay_secret", "jobdiva": "jobdiva"}
	for _, tc := range []struct{ route, body, header, want string }{
		{"remote", `{"event_type":"employment.onboarding.completed","company_id":"9f3c1a2b-4d5e-4f60-8a7b-0c1d2e3f4a5b","employment_id":"2614f814-b08e-4c8e-8c4d-ddbcc4692d99"}`,
			remote.HeaderSignature, "ed5f28c6a629b9931933f822829b30c55bf5f2cc54080f142b45826c8d315438"},
		{"upwork", `{"event":"contract.started","event_id":"evt_01J9","contract_id":"41815410","occurred_at":"2026-11-20T10:00:00Z"}`,
			upwork.HeaderSignature, "sha256=481d59c35d6c91058471113edb41a689a9b16615aef74c96393afca41a0cd95d"},
		{"jobdiva", `{"type":"candidate","operation":"Update","id":"12345","data":[]}`,
			jobdiva.HeaderSignature, "sha1=d993778d5c4171aab887ae3ebe050ef5a3b07915"},
	} {
		got := signedHeaders(tc.route, []byte(tc.body), time.UnixMilli(1700000000000))
		if got[tc.header] != tc.want {
			t.Errorf("%s: %s = %q, vendors.md says %q", tc.route, tc.header, got[tc.header], tc.want)
		}
	}
}

// send posts body to the fuzz ingress and returns the status and the error message, if any.
func send(t *testing.T, method, url, contentType string, body []byte, headers map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("no answer (a panic closes the connection): %v", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(data, &out)
	return resp.StatusCode, out.Error
}

// checkAnswer fails unless the answer is 2xx, 503 (Temporal reached), or a 4xx among allowed
// whose message starts as one of the given ones.
func checkAnswer(t *testing.T, status int, message string, allowed map[int][]string) {
	t.Helper()
	if status == http.StatusServiceUnavailable || (status >= 200 && status < 300) {
		return
	}
	prefixes, ok := allowed[status]
	if !ok {
		t.Fatalf("answered %d %q", status, message)
	}
	for _, p := range prefixes {
		if strings.HasPrefix(message, p) {
			return
		}
	}
	t.Fatalf("answered %d with %q: not a message naming what is wrong (%q)", status, message, prefixes)
}

// checkStarted fails when a workflow was started under an ID that is not the route's kind
// with a non-empty identifier.
func checkStarted(t *testing.T, started []string, wellFormed func(id string) bool) {
	t.Helper()
	for _, id := range started {
		if !wellFormed(id) {
			t.Fatalf("a workflow was started under the malformed ID %q", id)
		}
	}
}

// engagementOf reports whether id is an engagement workflow ID of vendor with a non-empty id.
func engagementOf(vendor string) func(string) bool {
	return func(id string) bool {
		v, eid, ok := engagement.ParseWorkflowID(id)
		return ok && v == vendor && strings.TrimSpace(eid) != ""
	}
}

// FuzzWebhookEntry: a correctly signed body of any shape reaches the platform's or 1099Policy's
// parser: it is answered 200 (ignored, duplicate…), 400 naming what is malformed, or reaches
// Temporal, where only well-formed engagement (or routing) workflows are started. A wrong
// signature is 401, whatever the body.
func FuzzWebhookEntry(f *testing.F) {
	srv, temporal := fuzzIngress(f)
	for _, seed := range []struct{ route, body string }{ // the references' example bodies
		{"remote", `{"event_type":"employment.onboarding.completed","company_id":"9f3c1a2b-4d5e-4f60-8a7b-0c1d2e3f4a5b","employment_id":"2614f814-b08e-4c8e-8c4d-ddbcc4692d99"}`},
		{"remote", `{"event_type":"contract.terminated","employment_id":"2614f814"}`},
		{"workmarket", `{"event":"assignment.accepted","assignment_id":"6029116324","status":"active","resource_id":"${resource_id}","now":"2026-11-20T10:00:00Z"}`},
		{"workmarket", `{"event":"assignment.attachment_added","assignment_id":"6029116324","file_uuid":"5b6f0c1e-9a1d-4b7e-8f00-3c2d1e0f9a8b"}`},
		{"upwork", `{"event":"contract.started","event_id":"evt_01J9","contract_id":"41815410","occurred_at":"2026-11-20T10:00:00Z"}`},
		{"jobdiva", `{"type":"billing","operation":"Update","id":"99001","data":[{"BILLINGID":"99001","STARTID":"778899","DATEUPDATED":"11/21/2026 09:00:00"}]}`},
		{"jobdiva", `{"type":"timesheet","operation":"Insert","id":"5551","data":[{"TIMESHEETID":"5551","STARTID":"778899"}]}`},
		{"jobdiva", `{"type":"candidate","operation":"Update","id":"12345","data":[]}`},
		{"1099policy", `{"id":"ev_1","type":"policy.active","created":1796198400,"data":{"id":"pl_1","quote":"qt_1","contractor":"cn_1","status":"active"}}`},
		{"1099policy", `{"id":"ev_2","type":"application.complete","created":1796198400,"data":{"id":"as_1","quote":"qt_1","custom_metadata":{"engagement_key":"engagement:remote:2614f814"}}}`},
	} {
		f.Add(seed.route, []byte(seed.body), true)
	}
	f.Fuzz(func(t *testing.T, route string, body []byte, signed bool) {
		switch route {
		case "remote", "workmarket", "upwork", "jobdiva", "1099policy":
		default:
			route = "remote"
		}
		headers := signedHeaders(route, body, time.Now())
		if !signed {
			for k := range headers {
				if k != remote.HeaderTimestamp {
					headers[k] = "sha256=" + strings.Repeat("0", 64)
				}
			}
		}
		temporal.take()
		status, message := send(t, http.MethodPost, srv.URL+"/webhooks/"+route, "application/json", body, headers)
		started, _ := temporal.take()
		if !signed {
			if status != http.StatusUnauthorized {
				t.Fatalf("%s answered %d %q to a wrong signature", route, status, message)
			}
			return
		}
		checkAnswer(t, status, message, map[int][]string{
			http.StatusBadRequest:            {"malformed " + route + " webhook: ", "malformed 1099Policy event", "event ", "body "},
			http.StatusRequestEntityTooLarge: {"body is larger than"},
		})
		checkStarted(t, started, func(id string) bool {
			if route == "1099policy" {
				event, ok := strings.CutPrefix(id, engagement.PolicyEventWorkflowID(""))
				return ok && strings.TrimSpace(event) != ""
			}
			return engagementOf(route)(id)
		})
	})
}

// FuzzEnrollBody: the enrollment route's optional body (JobDiva's needs candidate_id and job_id).
func FuzzEnrollBody(f *testing.F) {
	srv, temporal := fuzzIngress(f)
	for _, seed := range []string{`{"candidate_id": "456", "job_id": "123"}`, `{"candidate_id": 456, "job_id": 123}`, `{}`, ``, `[]`, `{"candidate_id":""}`} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, body string, jobDiva bool) {
		vendor := "remote"
		if jobDiva {
			vendor = "jobdiva"
		}
		temporal.take()
		status, message := send(t, http.MethodPost, srv.URL+"/v1/engagements/"+vendor+"/778899", "application/json", []byte(body),
			map[string]string{"Authorization": "Bearer " + opsToken})
		started, reached := temporal.take()
		checkAnswer(t, status, message, map[int][]string{
			http.StatusBadRequest:            {"body must be JSON like ", `field "candidate_id": missing`, `field "job_id": missing`},
			http.StatusRequestEntityTooLarge: {"body is larger than"},
		})
		checkStarted(t, started, engagementOf(vendor))
		if status == http.StatusServiceUnavailable && jobDiva { // accepted: the body named both ids (read here without the product)
			var ids map[string]json.RawMessage
			if json.Unmarshal([]byte(body), &ids) != nil || idIsEmpty(ids["candidate_id"]) || idIsEmpty(ids["job_id"]) {
				t.Fatalf("enrolled %v without candidate_id and job_id: %q", reached, body)
			}
		}
	})
}

// idIsEmpty is true for a missing id, "" (blank), or a JSON value that is neither string nor number.
func idIsEmpty(raw json.RawMessage) bool {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s) == ""
	}
	var n json.Number
	return json.Unmarshal(raw, &n) != nil
}

// FuzzBackfillBody: the backfill route's body {"contract_ids": [...]} (needed for Upwork, which
// lists nothing).
func FuzzBackfillBody(f *testing.F) {
	srv, temporal := fuzzIngress(f)
	for _, seed := range []string{`{"contract_ids": ["41815410"]}`, `{"contract_ids": ["1","../2"]}`, `{"contract_ids": []}`, `{}`, ``, `{"contract_ids": "41815410"}`} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, body string, upworkRoute bool) {
		vendor := "remote"
		if upworkRoute {
			vendor = "upwork"
		}
		temporal.take()
		status, message := send(t, http.MethodPost, srv.URL+"/v1/backfill/"+vendor, "application/json", []byte(body),
			map[string]string{"Authorization": "Bearer " + opsToken, "Idempotency-Key": "bf-fuzz"})
		started, _ := temporal.take()
		checkAnswer(t, status, message, map[int][]string{
			http.StatusBadRequest:            {"body must be JSON like ", `field "contract_ids": `},
			http.StatusRequestEntityTooLarge: {"body is larger than"},
		})
		checkStarted(t, started, func(id string) bool { return id == engagement.BackfillWorkflowID(vendor, "bf-fuzz") })
		if status == http.StatusServiceUnavailable && upworkRoute { // accepted: ids given, none blank
			var got struct {
				ContractIDs []string `json:"contract_ids"`
			}
			if json.Unmarshal([]byte(body), &got) != nil || len(got.ContractIDs) == 0 {
				t.Fatalf("an Upwork backfill accepted without contract ids: %q", body)
			}
			for _, id := range got.ContractIDs {
				if strings.TrimSpace(id) == "" {
					t.Fatalf("an Upwork backfill accepted a blank contract id: %q", body)
				}
			}
		}
	})
}

// FuzzContractorDetailsBody: the details an operator supplies for a contractor.
func FuzzContractorDetailsBody(f *testing.F) {
	srv, temporal := fuzzIngress(f)
	for _, seed := range []string{
		`{"phone": "+1 415 555 0100", "address": {"line1": "1 Main St", "locality": "Oakland", "region": "CA", "postalcode": "94607", "country": "US"}, "email": "sam@example.com"}`,
		`{"phone": "call me"}`, `{"email": "no-at-sign"}`, `{"address": {"region": "California"}}`, `{"nickname": "x"}`, `[]`, ``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		temporal.take()
		status, message := send(t, http.MethodPut, srv.URL+"/v1/engagements/upwork/41815410/contractor", "application/json", []byte(body),
			map[string]string{"Authorization": "Bearer " + opsToken})
		started, reached := temporal.take()
		checkAnswer(t, status, message, map[int][]string{
			http.StatusBadRequest: {"body must be JSON like ", `field "email" is not valid`, `field "phone" is not valid`,
				`field "address.region" is not valid`, `field "address.country" is not valid`},
			http.StatusRequestEntityTooLarge: {"body is larger than"},
		})
		if len(started) > 0 {
			t.Fatalf("contractor details started workflows %v", started)
		}
		if status != http.StatusServiceUnavailable {
			return
		}
		if len(reached) != 1 || reached[0] != engagement.WorkflowID("upwork", "41815410") {
			t.Fatalf("the details went to %v", reached)
		}
		// Accepted: read here without the product, each given field has the shape 1099Policy
		// takes (an address with @, a phone of digits and punctuation, two-letter codes).
		var d map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &d) != nil {
			t.Fatalf("accepted details that are not a JSON object: %q", body)
		}
		text := func(raw json.RawMessage) string { var s string; _ = json.Unmarshal(raw, &s); return s }
		if email := text(d["email"]); email != "" && (!strings.Contains(email, "@") || strings.ContainsAny(email, " \t\r\n")) {
			t.Fatalf("accepted email %q", email)
		}
		if phone := text(d["phone"]); strings.Trim(phone, "+0123456789 ()-.") != "" {
			t.Fatalf("accepted phone %q", phone)
		}
		var address map[string]json.RawMessage
		_ = json.Unmarshal(d["address"], &address)
		for _, code := range []string{"region", "country"} {
			if v := text(address[code]); v != "" && len(v) != 2 {
				t.Fatalf("accepted address.%s %q", code, v)
			}
		}
	})
}

// FuzzCertificateIntakeBody: the multipart body of the certificate intake route (field
// certificate, a PDF; optional note).
func FuzzCertificateIntakeBody(f *testing.F) {
	srv, temporal := fuzzIngress(f)
	const boundary = "fuzzboundary"
	form := func(field, name string, content []byte, note string) []byte {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.SetBoundary(boundary)
		part, _ := mw.CreateFormFile(field, name)
		_, _ = part.Write(content)
		if note != "" {
			_ = mw.WriteField("note", note)
		}
		_ = mw.Close()
		return buf.Bytes()
	}
	f.Add(form("certificate", "coi.pdf", []byte("%PDF-1.4 certificate"), "checked with the carrier"))
	f.Add(form("certificate", "notes.txt", []byte("not a pdf"), ""))
	f.Add(form("file", "coi.pdf", []byte("%PDF-1.4"), ""))
	f.Add([]byte("--" + boundary + "\r\nContent-Disposition: form-data; name=\"certificate\"; filename=\"a.pdf\"\r\n\r\n%PDF"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		temporal.take()
		status, message := send(t, http.MethodPost, srv.URL+"/v1/engagements/remote/2614f814/certificates",
			"multipart/form-data; boundary="+boundary, body, map[string]string{"Authorization": "Bearer " + opsToken})
		started, reached := temporal.take()
		checkAnswer(t, status, message, map[int][]string{
			http.StatusBadRequest:            {`multipart field "certificate" `, `field "certificate" must be a PDF`, "the certificate could not be read"},
			http.StatusRequestEntityTooLarge: {"the certificate is larger than 15 MB"},
		})
		if len(started) > 0 {
			t.Fatalf("a certificate started workflows %v", started)
		}
		if status == http.StatusServiceUnavailable {
			if len(reached) != 1 || reached[0] != engagement.WorkflowID("remote", "2614f814") {
				t.Fatalf("the certificate went to %v", reached)
			}
			if !bytes.Contains(body, []byte("%PDF")) { // read here without the product: a PDF was in it
				t.Fatalf("accepted a certificate without a PDF: %q", body)
			}
		}
	})
}
