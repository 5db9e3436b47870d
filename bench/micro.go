// Package bench measures the service on this machine: ingress throughput and latency, end to
// end throughput, cost per engagement, scale, and micro benchmarks. `make bench` runs it and
// writes BENCHMARKS.md; nothing here asserts a speed.
package bench

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/payloadcodec"
	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/jobdiva"
	"github.com/coverage-orchestrator/coverage/vendors/remote"
	"github.com/coverage-orchestrator/coverage/vendors/upwork"
	"github.com/coverage-orchestrator/coverage/vendors/workmarket"
)

// Micro is one micro benchmark: webhook verification and parsing, or mapping, per platform.
type Micro struct {
	Name string
	Fn   func(b *testing.B)
}

const secret = "bench-secret"

var at = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func verifyParse(a vendors.Adapter, h http.Header, body []byte) func(b *testing.B) {
	return func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if err := a.VerifyWebhook(h, body); err != nil {
				b.Fatal(err)
			}
			if _, err := a.ParseWebhook(h, body); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func mapping[T any](raw string, fn func(T) error) func(b *testing.B) {
	return func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v T
			if err := json.Unmarshal([]byte(raw), &v); err != nil {
				b.Fatal(err)
			}
			if err := fn(v); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// Micros lists the micro benchmarks (also run by `go test -bench . ./bench`).
func Micros() []Micro {
	remoteBody := []byte(`{"event_type":"employment.onboarding.completed","company_id":"9f3c1a2b-4d5e-4f60-8a7b-0c1d2e3f4a5b","employment_id":"2614f814-b08e-4c8e-8c4d-ddbcc4692d99"}`)
	sig, ts := remote.Sign(secret, remoteBody, at)
	rh := http.Header{}
	rh.Set(remote.HeaderSignature, sig)
	rh.Set(remote.HeaderTimestamp, ts)
	wmBody := []byte(`{"event":"assignment.accepted","assignment_id":"6029116324","status":"active","resource_id":"98765432","now":"2026-11-20T10:00:00Z"}`)
	wh := http.Header{}
	wh.Set(workmarket.HeaderSecret, secret)
	upBody := []byte(`{"event":"contract.started","event_id":"evt_01J9","contract_id":"41815410","occurred_at":"2026-11-20T10:00:00Z"}`)
	uh := http.Header{}
	uh.Set(upwork.HeaderSignature, upwork.Sign(secret, upBody))
	jdBody := []byte(`{"type":"billing","operation":"Update","id":"99001","data":[{"BILLINGID":"99001","STARTID":"778899","DATEUPDATED":"11/21/2026 09:00:00"}]}`)
	jh := http.Header{}
	jh.Set(jobdiva.HeaderSignature, jobdiva.Sign(secret, jdBody))

	return []Micro{
		{"VerifyParse/remote", verifyParse(remote.New(remote.Config{WebhookSecret: secret, Now: func() time.Time { return at }}), rh, remoteBody)},
		{"VerifyParse/workmarket", verifyParse(workmarket.New(workmarket.Config{WebhookSecret: secret}), wh, wmBody)},
		{"VerifyParse/upwork", verifyParse(upwork.New(upwork.Config{WebhookSecret: secret}), uh, upBody)},
		{"VerifyParse/jobdiva", verifyParse(jobdiva.New(jobdiva.Config{WebhookSecret: secret}), jh, jdBody)},
		{"Map/remote", mapping(`{"id":"2614f814-b08e-4c8e-8c4d-ddbcc4692d99","type":"contractor","status":"active","employment_lifecycle_stage":"onboarded","company_id":"9f3c1a2b-4d5e-4f60-8a7b-0c1d2e3f4a5b","full_name":"Ada Lovelace","personal_email":"ada@example.com","work_email":null,"login_email":"ada@example.com","job_title":"Data Engineer","department":null,"country":{"alpha_2_code":"US","code":"USA","name":"United States"},"address_details":{"address":"1 Main St","city":"Oakland","state":"CA","postal_code":"94607"},"personal_details":{"phone_number":"+1 415 555 0100"},"provisional_start_date":"2026-12-01","expiration_date":"2026-12-31","termination_date":null,"contractor_rate":{"amount":{"amount":85.5,"currency":{"code":"USD"}},"pay_frequency":"monthly","type":"hourly"},"created_at":"2026-11-01T09:00:00Z","updated_at":"2026-11-20T10:00:00Z"}`,
			func(m remote.Employment) error { _, err := remote.Map(m); return err })},
		{"Map/workmarket", mapping(`{"id":"6029116324","title":"Install POS","description":"Install and test 4 terminals","industry":"Technology","status":"active","client":5317,"project":1234,"assignment_window_start":1796374800,"assignment_window_end":1796403600,"scheduled_time":null,"time_zone":"America/New_York","location":{"id":"88"},"active_resource":{"id":"98765432","first_name":"Sam","last_name":"Worker","email":"sam@example.com","phone_numbers":[{"phone":"2125550100","extension":null,"type":"WORK"}],"address":{"address_1":"1 Main St","address_2":null,"city":"Brooklyn","state":"NY","zip":"11201","country":"USA"}},"pricing":{"type":"PER HOUR","per_hour_price":50.0,"max_number_of_hours":8.0},"invoice_number":null,"payment":{"total_cost":440.0,"paid_on":null},"last_modified_on":1796198400}`,
			func(asg workmarket.Assignment) error { _, err := workmarket.Map(asg, at); return err })},
		{"Map/upwork", mapping(`{"id":"41815410","title":"Frontend Developer","status":"ACTIVE","kind":"DIRECT_CONTRACT","deliveryModel":"TALENT_MARKETPLACE","startDate":"2026-12-01","endDate":"2027-02-28","modifyDate":"2026-11-20T10:00:00Z","freelancer":{"id":"~01abc2def3","firstName":"Ava","lastName":"Nguyen"},"clientOrganization":{"id":"1387654321098765","name":"Acme"},"terms":{"hourlyTerms":[{"id":"98765","hourlyRate":{"rawValue":"75.00","currency":"USD"},"startDate":"2026-12-01","endDate":null}],"fixedPriceTerms":[]}}`,
			func(c upwork.Contract) error { _, err := upwork.Map(c, at); return err })},
		{"Map/jobdiva", mapping(`{"start":{"id":778899,"job id":123,"candidate id":456,"candidate name":"Sam Worker","candidate email":"sam@example.com","start date":"2026-12-01T00:00:00.000+00:00","end date":"2027-02-28T00:00:00.000+00:00","position type":"Contract","final bill rate":95.0,"bill rate currency/unit":"USD/Hour","agreed pay rate":70.0,"pay rate currency/unit":"USD/Hour","is internal":false},"candidate":{"CANDIDATEID":"456","FIRSTNAME":"Sam","LASTNAME":"Worker","EMAIL":"sam@example.com","PHONE":"212-555-0100","ADDRESS1":"1 Main St","CITY":"Brooklyn","STATE":"NY","ZIPCODE":"11201","COUNTRY":"US"},"job":{"JOBID":"123","TITLE":"Contract Data Analyst","DESCRIPTION":"Reporting migration","CATEGORY":"Data Analytics","COMPANYID":"3001","STATE":"NY"}}`,
			func(p struct {
				Start     jobdiva.Start     `json:"start"`
				Candidate jobdiva.Candidate `json:"candidate"`
				Job       jobdiva.Job       `json:"job"`
			}) error {
				_, err := jobdiva.Map(p.Start, p.Candidate, p.Job)
				return err
			})},
		{"Codec/encode+decode", codecRoundTrip},
	}
}

// codecRoundTrip is the payload codec's cost on one contractor-sized payload: AES-256-GCM
// encryption on write plus decryption on read (SPEC §6), JSON conversion included.
func codecRoundTrip(b *testing.B) {
	keys, err := payloadcodec.ParseKeys("bench:" + base64.StdEncoding.EncodeToString([]byte("bench-key-0123456789abcdef012345")))
	if err != nil {
		b.Fatal(err)
	}
	dc := payloadcodec.DataConverter(keys)
	value := map[string]any{"first_name": "Jordan", "last_name": "Cruz", "email": "jordan@example.com", "phone": "415-555-0100",
		"address": map[string]string{"line1": "1 Main St", "locality": "Oakland", "region": "CA", "postalcode": "94601", "country": "US"}}
	b.ReportAllocs()
	for b.Loop() {
		p, err := dc.ToPayload(value)
		if err != nil {
			b.Fatal(err)
		}
		var out map[string]any
		if err := dc.FromPayload(p, &out); err != nil {
			b.Fatal(err)
		}
	}
}
