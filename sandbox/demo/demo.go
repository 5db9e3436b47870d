// Package demo feeds a realistic mix of engagements through the real webhook routes of a
// running stack: all four platforms, first-time and returning contractors, an Upwork contract
// whose contact details an operator supplies, a certificate approved and one flagged, a
// cancellation before the start, a date change, work that started without coverage and a
// parked engagement. `make demo` runs
// it against `make run`; a test runs it against a headless stack.
package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
)

// Config says where the stack is.
type Config struct {
	PlatformSandboxURL string // platform simulators (their /sandbox controls)
	PolicySandboxURL   string // 1099Policy sandbox
	PolicyAPIKey       string
	IngressURL         string // the ingress, for enrollment (JobDiva sends no start webhook)
	OpsToken           string
	Prefix             string // makes the ids unique per run
	Log                func(format string, args ...any)
}

// Engagement is one engagement of the demo and the state it should reach.
type Engagement struct {
	Platform        string
	ID              string
	Want            string // coverage status expected within a minute
	WantCertificate string // certificate status expected, if any
	Story           string
}

// Run seeds the sandboxes and sends the webhooks; it returns the engagements it started.
func Run(ctx context.Context, cfg Config) ([]Engagement, error) {
	d := &runner{cfg: cfg, http: &http.Client{Timeout: 30 * time.Second}}
	if d.cfg.Log == nil {
		d.cfg.Log = func(string, ...any) {}
	}
	policy := pc.New(pc.Config{BaseURL: cfg.PolicySandboxURL, APIKey: cfg.PolicyAPIKey})
	day := func(n int) time.Time { return time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, n) }
	ex := func(id, email string, hourly bool, rate string) platformsim.Example {
		return platformsim.Example{ID: cfg.Prefix + id, ContractorID: cfg.Prefix + "c-" + id, Email: email, Rate: rate, Hourly: hourly,
			Start: day(7), End: day(37)}
	}
	mail := func(name string) string { return cfg.Prefix + name }
	returning := func(email string) error {
		c, err := policy.CreateContractor(ctx, "demo-"+email, pc.Contractor{FirstName: "Sam", LastName: "Rivera", Email: email,
			Phone: "+1 415 555 0142", Address: &pc.Address{Line1: "200 Mission St", Locality: "San Francisco", Region: "CA", PostalCode: "94105", Country: "US"}})
		if err != nil {
			return fmt.Errorf("seed returning contractor: %w", err)
		}
		return d.post(cfg.PolicySandboxURL+"/sandbox/policies", map[string]any{"contractor": c.ID})
	}
	pdf := []byte("%PDF-1.4\n% demo certificate of insurance\n")

	var out []Engagement
	step := func(e Engagement, x platformsim.Example, prepare func() error, hooks ...func() error) error {
		if prepare != nil {
			if err := prepare(); err != nil {
				return err
			}
		}
		if err := d.put(e.Platform, x); err != nil {
			return err
		}
		if body := platformsim.EnrollBody(e.Platform, x); body != nil {
			// JobDiva announces no start by webhook: its starts are enrolled (or polled).
			if err := d.enroll(e.Platform, x.ID, body); err != nil {
				return err
			}
		} else if err := d.hook(e.Platform, platformsim.HookStart, x, "start", ""); err != nil {
			return err
		}
		for _, h := range hooks {
			time.Sleep(1500 * time.Millisecond) // let the engagement reach its first state
			if err := h(); err != nil {
				return err
			}
		}
		d.cfg.Log("%-10s %-28s %s", e.Platform, e.ID, e.Story)
		out = append(out, e)
		return nil
	}

	first := ex("ct-launch", "", false, "5000.00")
	if err := step(Engagement{"remote", first.ID, "INSURED", "", "first-time contractor (proxy email), application completed by the sandbox"}, first, nil); err != nil {
		return out, err
	}
	wmRet := ex("48213", mail("alex@returning.example"), false, "325.00")
	if err := step(Engagement{"workmarket", wmRet.ID, "INSURED", "", "returning contractor: covered by an assignment"}, wmRet,
		func() error { return returning(wmRet.Email) }); err != nil {
		return out, err
	}
	upDetails := ex("9001", "", true, "75.00")
	if err := step(Engagement{"upwork", upDetails.ID, "INSURED", "", "Upwork gives no phone or address: parked in NEEDS_ATTENTION naming them; " +
		"the demo supplied them as an operator (PUT /v1/engagements/upwork/{id}/contractor), then the contractor applied"}, upDetails, nil,
		func() error { return d.supplyContactDetails(ctx, "upwork", upDetails.ID) }); err != nil {
		return out, err
	}
	waiting := ex("ct-wait", mail("ava@manual.example"), false, "4800.00")
	if err := step(Engagement{"remote", waiting.ID, "AWAITING_APPLICATION", "", "first-time contractor who has not applied yet"}, waiting, nil); err != nil {
		return out, err
	}
	jdFirst := ex("pl-45678", "", true, "95.00")
	if err := step(Engagement{"jobdiva", jdFirst.ID, "INSURED", "", "first-time contractor (proxy email), application completed"}, jdFirst, nil); err != nil {
		return out, err
	}
	coiOK := ex("48990", mail("jordan@manual.example"), true, "120.00")
	if err := step(Engagement{"workmarket", coiOK.ID, "INSURED", "APPROVED", "bring-your-own certificate (assignment attachment), approved"}, coiOK, nil,
		func() error {
			if err := d.document("workmarket", coiOK, "doc-"+coiOK.ID, "coi.pdf", pdf); err != nil {
				return err
			}
			return d.hook("workmarket", platformsim.HookCOI, coiOK, "coi", "doc-"+coiOK.ID)
		}); err != nil {
		return out, err
	}
	coiFlag := ex("48999", mail("casey@manual.example"), false, "1,250.50")
	if err := step(Engagement{"workmarket", coiFlag.ID, "AWAITING_APPLICATION", "FLAGGED", "certificate flagged for manual review"}, coiFlag, nil,
		func() error {
			if err := d.document("workmarket", coiFlag, "att-flag-"+coiFlag.ID, "coi-flag.pdf", pdf); err != nil {
				return err
			}
			return d.hook("workmarket", platformsim.HookCOI, coiFlag, "coi", "att-flag-"+coiFlag.ID)
		}); err != nil {
		return out, err
	}
	rmCancel := ex("ct-cancel", mail("riley@returning.example"), false, "2000")
	if err := step(Engagement{"remote", rmCancel.ID, "CANCELED", "", "cancelled before the start date: assignment cancelled"}, rmCancel,
		func() error { return returning(rmCancel.Email) },
		func() error { return d.hook("remote", platformsim.HookCancel, rmCancel, "cancel", "") }); err != nil {
		return out, err
	}
	jdMove := ex("pl-77777", mail("morgan@returning.example"), true, "88.00")
	if err := step(Engagement{"jobdiva", jdMove.ID, "INSURED", "", "dates changed after binding: assignment updated"}, jdMove,
		func() error { return returning(jdMove.Email) },
		func() error {
			jdMove.End = jdMove.End.AddDate(0, 0, 14)
			if err := d.put("jobdiva", jdMove); err != nil {
				return err
			}
			return d.hook("jobdiva", platformsim.HookUpdate, jdMove, "update", "")
		}); err != nil {
		return out, err
	}
	// For the operations console: work that started three days ago without coverage (at risk,
	// and a gap in the coverage ledger), and an Upwork contractor 1099Policy refuses once (a
	// sandbox fault): parked until an operator supplies details or retries.
	late := ex("ct-late", mail("lee@manual.example"), false, "4200.00")
	late.Start = day(-3)
	if err := step(Engagement{"remote", late.ID, "UNPROTECTED", "", "work started three days ago without coverage: a gap in the ledger"}, late, nil); err != nil {
		return out, err
	}
	time.Sleep(2 * time.Second) // the others are past their contractor step: the fault below is the parked one's
	upParked := ex("9003", "", true, "60.00")
	if err := step(Engagement{"upwork", upParked.ID, "NEEDS_ATTENTION", "", "1099Policy refused the contractor: parked for an operator"}, upParked,
		func() error {
			return d.post(cfg.PolicySandboxURL+"/sandbox/faults", map[string]any{"path_prefix": "/api/v1/contractors", "status": 400, "count": 1})
		}); err != nil {
		return out, err
	}
	return out, nil
}

type runner struct {
	cfg  Config
	http *http.Client
}

func (d *runner) post(url string, body any) error {
	b, _ := json.Marshal(body)
	return d.do(http.MethodPost, url, bytes.NewReader(b), "application/json")
}

func (d *runner) do(method, url string, body io.Reader, contentType string) error {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := d.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, data)
	}
	return nil
}

// put stores the example's records through the simulator's control API.
func (d *runner) put(platform string, x platformsim.Example) error {
	local := platformsim.New(platformsim.Config{})
	if err := local.Seed(platform, x); err != nil {
		return err
	}
	return local.Export(func(p, kind, id string, raw json.RawMessage) error {
		return d.do(http.MethodPut, fmt.Sprintf("%s/sandbox/%s/%s/%s", d.cfg.PlatformSandboxURL, p, kind, id), bytes.NewReader(raw), "application/json")
	})
}

func (d *runner) document(platform string, x platformsim.Example, id, name string, pdf []byte) error {
	local := platformsim.New(platformsim.Config{})
	if err := local.Seed(platform, x); err != nil {
		return err
	}
	if err := local.SeedDocument(platform, x, id, name, pdf); err != nil {
		return err
	}
	if err := d.do(http.MethodPut, fmt.Sprintf("%s/sandbox/%s/files/%s", d.cfg.PlatformSandboxURL, platform, id), bytes.NewReader(pdf), "application/pdf"); err != nil {
		return err
	}
	return local.Export(func(p, kind, rid string, raw json.RawMessage) error {
		return d.do(http.MethodPut, fmt.Sprintf("%s/sandbox/%s/%s/%s", d.cfg.PlatformSandboxURL, p, kind, rid), bytes.NewReader(raw), "application/json")
	})
}

// supplyContactDetails waits until the engagement parks for the contact details its platform
// does not give, then supplies them through the operator route, as an operator would.
func (d *runner) supplyContactDetails(ctx context.Context, platform, id string) error {
	path := "/v1/engagements/" + platform + "/" + id
	deadline := time.Now().Add(time.Minute)
	for {
		var st struct {
			CoverageStatus  string `json:"coverage_status"`
			AttentionReason string `json:"attention_reason"`
		}
		if err := d.ops(ctx, http.MethodGet, path, nil, &st); err == nil && st.CoverageStatus == "NEEDS_ATTENTION" {
			d.cfg.Log("%-10s %-28s parked: %s", platform, id, st.AttentionReason)
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s %s did not park for its contact details within a minute", platform, id)
		}
		time.Sleep(500 * time.Millisecond)
	}
	details := map[string]any{"phone": "+1 415 555 0199",
		"address": map[string]string{"line1": "9 Market St", "locality": "San Francisco", "region": "CA", "postalcode": "94103", "country": "US"}}
	if err := d.ops(ctx, http.MethodPut, path+"/contractor", details, nil); err != nil {
		return err
	}
	d.cfg.Log("%-10s %-28s the demo, as an operator, supplied phone and address: PUT %s/contractor", platform, id, path)
	return nil
}

// ops calls the operator API and decodes a 200 answer into out (when given).
func (d *runner) ops(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.cfg.IngressURL+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+d.cfg.OpsToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// enroll starts coverage through the operator API's enrollment route.
func (d *runner) enroll(platform, id string, body map[string]string) error {
	return d.ops(context.Background(), http.MethodPost, "/v1/engagements/"+platform+"/"+id, body, nil)
}

// hook asks the simulator to sign and send a webhook to the ingress.
func (d *runner) hook(platform, kind string, x platformsim.Example, eventID, ref string) error {
	if status := platformsim.EndStatus(platform, kind); status != "" { // the platform's record shows the end first
		x.Status = status
		if err := d.put(platform, x); err != nil {
			return err
		}
	}
	body, err := platformsim.WebhookBody(platform, kind, x, d.cfg.Prefix+eventID+"-"+x.ID, ref, time.Now())
	if err != nil {
		return err
	}
	req, _ := http.NewRequest(http.MethodPost, d.cfg.PlatformSandboxURL+"/sandbox/"+platform+"/webhooks", bytes.NewReader(body))
	resp, err := d.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct {
		Status int             `json:"status"`
		Body   json.RawMessage `json:"body"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Status != http.StatusOK {
		return fmt.Errorf("%s %s webhook for %s: ingress answered %d %s", platform, kind, x.ID, out.Status, out.Body)
	}
	return nil
}
