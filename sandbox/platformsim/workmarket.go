package platformsim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/workmarket"
)

// WorkMarket's API as vendors.md gives it: the token/secret exchange, access_token on every
// call, {"meta","response"} envelopes, assignments/get, list_updated (25 a page) and the
// attachments of an assignment.
func (s *Server) workmarketRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /workmarket"+workmarket.PathAuthorize, s.api(workmarket.Vendor, false, s.workmarketAuthorize))
	m.HandleFunc("GET /workmarket"+workmarket.PathAssignment, s.workmarketAPI(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := s.get(workmarket.Vendor, "assignments", r.URL.Query().Get("id"))
		if !ok {
			wmError(w, http.StatusNotFound, "assignment.not_found", "Assignment not found")
			return
		}
		wmAnswer(w, raw)
	}))
	m.HandleFunc("GET /workmarket"+workmarket.PathListUpdated, s.workmarketAPI(s.workmarketListUpdated))
	m.HandleFunc("GET /workmarket"+workmarket.PathAttachments, s.workmarketAPI(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := s.get(workmarket.Vendor, wmAttachments, r.URL.Query().Get("id"))
		if !ok {
			raw = json.RawMessage("[]")
		}
		wmAnswer(w, raw)
	}))
	// attachments/get reads only the uuid and answers the attachment with its file base64-encoded.
	m.HandleFunc("GET /workmarket"+workmarket.PathAttachment, s.workmarketAPI(func(w http.ResponseWriter, r *http.Request) {
		uuid := r.URL.Query().Get("uuid")
		s.mu.Lock()
		data, ok := s.files[workmarket.Vendor+"/"+uuid]
		s.mu.Unlock()
		meta, found := s.workmarketAttachment(uuid)
		if !ok || !found {
			wmError(w, http.StatusNotFound, "attachment.not_found", "Attachment not found")
			return
		}
		meta["attachment"] = base64.StdEncoding.EncodeToString(data)
		raw, _ := json.Marshal(meta)
		wmAnswer(w, raw)
	}))
}

// wmAttachments is the record kind holding an assignment's attachment list.
const wmAttachments = "attachments"

// workmarketAPI checks the access_token query parameter (WorkMarket sends no bearer header).
func (s *Server) workmarketAPI(h http.HandlerFunc) http.HandlerFunc {
	return s.api(workmarket.Vendor, false, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		ok := s.tokens[r.URL.Query().Get("access_token")]
		s.mu.Unlock()
		if !ok {
			wmError(w, http.StatusUnauthorized, "auth.invalid_token", "Invalid or missing access_token")
			return
		}
		h(w, r)
	})
}

func (s *Server) workmarketAuthorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token") != s.cfg.Tokens[workmarket.Vendor] ||
		r.PostForm.Get("secret") != s.cfg.WorkMarketSecret || s.cfg.WorkMarketSecret == "" {
		wmError(w, http.StatusUnauthorized, "auth.invalid_credentials", "Invalid token or secret")
		return
	}
	s.mu.Lock()
	s.tokenSeq++
	tok := fmt.Sprintf("wm-access-%d", s.tokenSeq)
	s.tokens[tok] = true
	s.mu.Unlock()
	raw, _ := json.Marshal(map[string]string{"access_token": tok})
	wmAnswer(w, raw)
}

func (s *Server) workmarketListUpdated(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	since, err := strconv.ParseInt(q.Get("modified_since"), 10, 64)
	if err != nil {
		wmError(w, http.StatusBadRequest, "parameter.invalid", "modified_since must be Unix seconds")
		return
	}
	start, _ := strconv.Atoi(q.Get("start"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit > 25 {
		wmError(w, http.StatusBadRequest, "parameter.invalid", "limit may not exceed 25")
		return
	}
	if limit <= 0 {
		limit = 25
	}
	all := s.list(workmarket.Vendor, "assignments", time.Unix(since, 0))
	rows := []map[string]any{}
	for i := start; i < len(all) && i < start+limit; i++ {
		var a map[string]any
		_ = json.Unmarshal(all[i].raw, &a)
		resource, _ := a["active_resource"].(map[string]any)
		modified, ok := a["last_modified_on"]
		if !ok {
			modified = all[i].at.Unix()
		}
		// The row's last_modified_on is the assignment's own, as on the live API.
		rows = append(rows, map[string]any{"id": a["id"], "title": a["title"], "status": a["status"], "modified_status": "Assigned",
			"client": "Acme Retail", "resource_user_number": resource["id"], "last_modified_on": modified})
	}
	raw, _ := json.Marshal(map[string]any{"total_results": len(all), "count": len(rows), "start": start, "limit": limit, "data": rows})
	wmAnswer(w, raw)
}

func wmMeta(status int) map[string]any {
	return map[string]any{"status_code": status, "errors": []any{}, "version": 1, "execution_time": 0.01, "timestamp": time.Now().Unix()}
}

func wmAnswer(w http.ResponseWriter, response json.RawMessage) {
	writeJSON(w, http.StatusOK, map[string]any{"meta": wmMeta(http.StatusOK), "response": response})
}

func wmError(w http.ResponseWriter, status int, code, message string) {
	meta := wmMeta(status)
	meta["errors"] = []map[string]string{{"code": code, "message": message}}
	writeJSON(w, status, map[string]any{"meta": meta, "response": map[string]any{}})
}

// workmarketAssignment is an example's assignment as assignments/get answers it.
func workmarketAssignment(e Example, first, last string) map[string]any {
	pricing := map[string]any{"type": "FLAT FEE", "flat_price": decimal(e.Rate)}
	if e.Hourly {
		pricing = map[string]any{"type": "PER HOUR", "per_hour_price": decimal(e.Rate), "max_number_of_hours": 40.0}
	}
	client, _ := strconv.Atoi(orDefault(e.ClientID, "9"))
	var email any
	if e.Email != "" {
		email = e.Email
	}
	return map[string]any{"id": e.ID, "title": "Install POS", "description": "Install and test 4 terminals",
		"industry": orDefault(e.Category, "Low Voltage"), "status": orDefault(e.Status, "active"), "client": client, "project": 1234,
		"assignment_window_start": e.Start.Unix(), "assignment_window_end": e.End.Unix(), "scheduled_time": nil,
		"time_zone": "America/New_York", "location": map[string]any{"id": 88},
		"active_resource": map[string]any{"id": e.ContractorID, "first_name": first, "last_name": last, "email": email,
			"phone_numbers": []map[string]any{{"phone": "2125550100", "extension": nil, "type": "WORK"}},
			"address":       map[string]any{"address_1": "1 Main St", "address_2": nil, "city": "Brooklyn", "state": "CA", "zip": "11201", "country": "USA"}},
		"pricing": pricing, "invoice_number": nil, "payment": map[string]any{"total_cost": 440.0, "paid_on": nil},
		"last_modified_on": time.Now().Unix()}
}

// workmarketHook is the body of the README's template for an example's event.
func workmarketHook(kind string, e Example, ref string, at time.Time) (map[string]any, error) {
	names := map[string]string{HookStart: workmarket.EventAccepted, HookUpdate: workmarket.EventRescheduled, HookEnd: workmarket.EventCompleted,
		HookCancel: workmarket.EventCancelled, HookCOI: workmarket.EventAttachmentAdded, HookInvoice: workmarket.EventPaid}
	name, ok := names[kind]
	if !ok {
		return nil, fmt.Errorf("WorkMarket has no %s event", kind)
	}
	m := map[string]any{"event": name, "assignment_id": e.ID, "status": orDefault(e.Status, "active"), "resource_id": e.ContractorID,
		"now": at.UTC().Format(time.RFC3339)}
	if kind == HookCOI {
		m["file_uuid"] = orDefault(ref, "${file_uuid}") // unexpanded when the template names no file
	}
	return m, nil
}

// seedWorkmarketAttachment adds an attachment (a PDF) to the assignment's list.
func (s *Server) seedWorkmarketAttachment(e Example, uuid, name string, pdf []byte) error {
	s.PutFile(workmarket.Vendor, uuid, pdf)
	var list []map[string]any
	if raw, ok := s.get(workmarket.Vendor, wmAttachments, e.ID); ok {
		_ = json.Unmarshal(raw, &list)
	}
	list = append(list, map[string]any{"uuid": uuid, "filename": name, "description": "Certificate of insurance", "size": len(pdf)})
	return s.Put(workmarket.Vendor, wmAttachments, e.ID, list)
}

// workmarketAttachment finds an attachment's list entry by its uuid, on any assignment.
func (s *Server) workmarketAttachment(uuid string) (map[string]any, bool) {
	for _, l := range s.list(workmarket.Vendor, wmAttachments, time.Time{}) {
		var list []map[string]any
		_ = json.Unmarshal(l.raw, &list)
		for _, a := range list {
			if a["uuid"] == uuid {
				return a, true
			}
		}
	}
	return nil, false
}

// payWorkmarketAssignment marks the assignment paid with its total cost.
func (s *Server) payWorkmarketAssignment(e Example, invoiceNumber, amount string) error {
	raw, ok := s.get(workmarket.Vendor, "assignments", e.ID)
	if !ok {
		return fmt.Errorf("seed the assignment first")
	}
	cents, err := vendors.Cents(amount)
	if err != nil {
		return err
	}
	var a map[string]any
	_ = json.Unmarshal(raw, &a)
	a["status"] = "paid"
	a["payment"] = map[string]any{"total_cost": json.Number(fmt.Sprintf("%d.%02d", cents/100, cents%100)), "paid_on": time.Now().Unix()}
	if invoiceNumber != "" {
		a["invoice_number"] = invoiceNumber
	}
	return s.Put(workmarket.Vendor, "assignments", e.ID, a)
}
