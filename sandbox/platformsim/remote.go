package platformsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coverage-orchestrator/coverage/vendors/remote"
)

// Remote's API as vendors.md gives it: the partner token grant, employments (one and the
// listing), contractor invoices and the webhook-events feed.
func (s *Server) remoteRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /remote"+remote.TokenPath, s.api(remote.Vendor, false, s.remoteToken))
	m.HandleFunc("GET /remote/v1/employments/{id}", s.api(remote.Vendor, true, func(w http.ResponseWriter, r *http.Request) {
		raw, ok := s.get(remote.Vendor, "employments", r.PathValue("id"))
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Employment not found"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]json.RawMessage{"employment": raw}})
	}))
	m.HandleFunc("GET /remote/v1/employments", s.api(remote.Vendor, true, s.remoteEmployments))
	m.HandleFunc("GET /remote/v1/contractor-invoices/{id}", s.api(remote.Vendor, true, func(w http.ResponseWriter, r *http.Request) {
		raw, ok := s.get(remote.Vendor, "contractor-invoices", r.PathValue("id"))
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Contractor invoice not found"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]json.RawMessage{"contractor_invoice": raw}})
	}))
	m.HandleFunc("GET /remote/v1/webhook-events", s.api(remote.Vendor, true, s.remoteWebhookEvents))
}

// remoteToken is the refresh-token grant with the client's HTTP Basic credentials.
func (s *Server) remoteToken(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	want := s.cfg.RemoteClient
	if !ok || want[0] == "" || id != want[0] || secret != want[1] {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "invalid client credentials"})
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("refresh_token") != want[2] {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "invalid_grant"})
		return
	}
	s.mu.Lock()
	s.tokenSeq++
	tok := fmt.Sprintf("eyJhbGciOiJIUzI1NiJ9.remote-%d", s.tokenSeq)
	s.tokens[tok] = true
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
}

func (s *Server) remoteEmployments(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	size, _ := strconv.Atoi(q.Get("page_size"))
	if size < 1 || size > 100 {
		size = 20
	}
	var rows []map[string]any
	for _, e := range s.list(remote.Vendor, "employments", time.Time{}) {
		var full map[string]any
		_ = json.Unmarshal(e.raw, &full)
		if t := q.Get("employment_type"); t != "" && full["type"] != t {
			continue
		}
		row := map[string]any{}
		for _, k := range []string{"id", "short_id", "type", "status", "employment_lifecycle_stage", "employment_model", "full_name", "job_title",
			"personal_email", "work_email", "login_email", "country", "work_address_details", "department"} {
			row[k] = full[k]
		}
		row["external_id"] = nil
		rows = append(rows, row)
	}
	total := max((len(rows)+size-1)/size, 1)
	out := []map[string]any{}
	for i := (page - 1) * size; i < len(rows) && i < page*size; i++ {
		out = append(out, rows[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"employments": out, "current_page": page,
		"total_pages": total, "total_count": len(rows)}})
}

// RemoteDelivery is one entry of Remote's webhook-events feed.
type RemoteDelivery struct {
	ID                    string `json:"id"`
	EventType             string `json:"event_type"`
	CompanyID             string `json:"company_id"`
	FirstTriggeredAt      string `json:"first_triggered_at"`
	LastTriggeredAt       string `json:"last_triggered_at"`
	SuccessfullyDelivered bool   `json:"successfully_delivered"`
}

// RecordRemoteDelivery adds a delivery to the feed (SendWebhook records its own; a test
// records a failed one for a webhook that was lost).
func (s *Server) RecordRemoteDelivery(eventType string, delivered bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.cfg.Now().UTC().Format(time.RFC3339)
	s.remoteFeed = append(s.remoteFeed, RemoteDelivery{ID: fmt.Sprintf("whe_%d", len(s.remoteFeed)+1), EventType: eventType,
		CompanyID: remoteCompany, FirstTriggeredAt: at, LastTriggeredAt: at, SuccessfullyDelivered: delivered})
}

func (s *Server) remoteWebhookEvents(w http.ResponseWriter, r *http.Request) {
	after, _ := time.Parse(time.RFC3339, r.URL.Query().Get("after"))
	s.mu.Lock()
	var rows []RemoteDelivery
	for _, d := range s.remoteFeed {
		if at, _ := time.Parse(time.RFC3339, d.LastTriggeredAt); !at.Before(after) {
			rows = append(rows, d)
		}
	}
	s.mu.Unlock()
	if rows == nil {
		rows = []RemoteDelivery{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"webhook_events": rows, "current_page": 1, "total_pages": 1, "total_count": len(rows)}})
}

// remoteCompany is the examples' company (their client key in the mapping).
const remoteCompany = "acct_77"

// remoteEmployment is an example's employment as GET /v1/employments/{id} answers it: every
// field Remote's Employment type requires (contract test: vendors/remote/contract_test.go).
func remoteEmployment(e Example, first, last string) map[string]any {
	rateType := "monthly"
	if e.Hourly {
		rateType = "hourly"
	}
	var rate any = map[string]any{"amount": map[string]any{"amount": decimal(e.Rate), "currency": map[string]string{"code": "USD"}},
		"pay_frequency": "monthly", "type": rateType}
	if e.Rate == "" {
		rate = nil
	}
	var end any
	if !e.End.IsZero() {
		end = e.End.Format("2006-01-02")
	}
	tasks := map[string]any{}
	for _, k := range []string{"address_details", "administrative_details", "bank_account_details", "billing_address_details", "contract_details",
		"emergency_contact_details", "employment_document_details", "personal_details", "pricing_plan_details"} {
		tasks[k] = map[string]string{"status": "completed"}
	}
	return map[string]any{"id": e.ID, "short_id": strings.ToUpper(e.ID[:min(6, len(e.ID))]), "type": orDefault(e.Type, "contractor"),
		"status": orDefault(e.Status, "active"), "employment_lifecycle_stage": "onboarded", "employment_model": "eor",
		"company_id": orDefault(e.ClientID, remoteCompany), "full_name": first + " " + last,
		// The type makes the emails strings: "" stands for none (the adapter then uses the proxy).
		"personal_email": e.Email, "work_email": "", "login_email": e.Email,
		"job_title": orDefault(e.Category, "Marketing Designer"), "department": nil, "manager_email": nil, "manager_employment_id": nil,
		"country":                 map[string]string{"alpha_2_code": "US", "code": "USA", "name": "United States"},
		"address_details":         map[string]string{"address": "1 Main St", "city": "Oakland", "state": "CA", "postal_code": "94607"},
		"personal_details":        map[string]string{"phone_number": "+1 415 555 0100"},
		"work_address_details":    map[string]any{},
		"billing_address_details": map[string]any{}, "administrative_details": map[string]any{}, "contract_details": map[string]any{},
		"emergency_contact_details": map[string]any{}, "bank_account_details": []any{}, "files": []any{},
		"pricing_plan_details": map[string]string{"frequency": "monthly"}, "onboarding_tasks": tasks,
		"eligible_for_onboarding_cancellation": false,
		"provisional_start_date":               e.Start.Format("2006-01-02"), "expiration_date": end, "termination_date": nil,
		"contractor_rate": rate, "created_at": e.Start.AddDate(0, -1, 0).Format(time.RFC3339), "updated_at": time.Now().UTC().Format(time.RFC3339Nano)}
}

// remoteHook is the flat body of an example's Remote event.
func remoteHook(kind string, e Example, ref string) (map[string]any, error) {
	names := map[string]string{HookStart: "employment.onboarding.completed", HookUpdate: "employment.updated",
		HookEnd: "offboarding.completed", HookCancel: "employment.onboarding.cancelled", HookInvoice: "contractor_invoice.paid_out"}
	name, ok := names[kind]
	if !ok {
		return nil, fmt.Errorf("Remote has no %s event (certificates come through the operator intake route)", kind)
	}
	m := map[string]any{"event_type": name, "company_id": orDefault(e.ClientID, remoteCompany), "employment_id": e.ID}
	if kind == HookInvoice {
		m["contractor_invoice_id"] = ref
	}
	return m, nil
}

// remoteInvoice is a paid-out contractor invoice; amount is integer cents, as Remote sends it.
func remoteInvoice(e Example, id string, cents int64) map[string]any {
	day := e.Start.AddDate(0, 0, 14)
	return map[string]any{"id": id, "employment_id": e.ID, "amount": cents, "currency": "USD", "source_amount": cents, "source_currency": "USD",
		"date": day.Format("2006-01-02"), "due_date": day.AddDate(0, 0, 15).Format("2006-01-02"), "status": "paid_out", "number": "INV-" + strings.ToUpper(id),
		"paid_out_at": day.AddDate(0, 0, 1).Format(time.RFC3339), "items": []map[string]any{{"amount": cents, "description": "Contractor invoice", "type": "manual"}}}
}
