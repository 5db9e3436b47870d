package platformsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/jobdiva"
	"github.com/coverage-orchestrator/coverage/vendors/upwork"
)

func (s *Server) routes() {
	m := http.NewServeMux()
	record := func(platform, kind string) http.HandlerFunc {
		return s.api(platform, true, func(w http.ResponseWriter, r *http.Request) {
			if raw, ok := s.get(platform, kind, r.PathValue("id")); ok {
				writeJSON(w, http.StatusOK, raw)
				return
			}
			notFound(w, kind+" "+r.PathValue("id"))
		})
	}
	file := func(platform string) http.HandlerFunc {
		return s.api(platform, true, func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			data, ok := s.files[platform+"/"+r.PathValue("id")]
			s.mu.Unlock()
			if !ok {
				notFound(w, "file "+r.PathValue("id"))
				return
			}
			w.Header().Set("Content-Type", "application/pdf")
			w.Write(data)
		})
	}

	s.remoteRoutes(m)

	s.workmarketRoutes(m)

	// Upwork
	m.HandleFunc("POST /upwork/graphql", s.api(upwork.Vendor, true, s.upworkGraphQL))
	m.HandleFunc("GET /upwork/files/{id}", file(upwork.Vendor))

	// JobDiva
	m.HandleFunc("GET /jobdiva/apiv2/authenticate", s.api(jobdiva.Vendor, false, s.jobdivaAuthenticate))
	m.HandleFunc("GET /jobdiva/apiv2/candidates/{id}", record(jobdiva.Vendor, "candidates"))
	m.HandleFunc("GET /jobdiva/apiv2/jobs/{id}", record(jobdiva.Vendor, "jobs"))
	m.HandleFunc("GET /jobdiva/apiv2/placements/{id}", record(jobdiva.Vendor, "placements"))
	m.HandleFunc("GET /jobdiva/apiv2/timesheets/{id}", record(jobdiva.Vendor, "timesheets"))
	m.HandleFunc("GET /jobdiva/apiv2/attachments/{id}", file(jobdiva.Vendor))
	m.HandleFunc("POST /jobdiva/apiv2/placements/search", s.api(jobdiva.Vendor, true, s.jobdivaSearch))

	// Controls (no auth): seed records and files, send webhooks, faults, reset.
	m.HandleFunc("PUT /sandbox/{platform}/files/{id}", s.putFileHandler)
	m.HandleFunc("PUT /sandbox/{platform}/{kind}/{id}", s.putHandler)
	m.HandleFunc("POST /sandbox/{platform}/webhooks", s.webhookHandler)
	m.HandleFunc("POST /sandbox/{platform}/faults", s.faultHandler)
	m.HandleFunc("POST /sandbox/jobdiva/expire-tokens", func(w http.ResponseWriter, _ *http.Request) {
		s.ExpireJobDivaTokens()
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("POST /sandbox/reset", func(w http.ResponseWriter, _ *http.Request) { s.Reset(); w.WriteHeader(http.StatusNoContent) })
	m.HandleFunc("GET /sandbox/requests", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Requests()) })
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	s.mux = m
}

func (s *Server) upworkGraphQL(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be a GraphQL request"})
		return
	}
	s.mu.Lock()
	fail := s.gqlErrs > 0
	if fail {
		s.gqlErrs--
	}
	s.mu.Unlock()
	if fail {
		writeJSON(w, http.StatusOK, map[string]any{"data": nil, "errors": []map[string]string{{"message": "Internal server error (sandbox injected)"}}})
		return
	}
	id, _ := req.Variables["id"].(string)
	gqlNotFound := func(what string) {
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{what: nil},
			"errors": []map[string]string{{"message": what + " " + id + " not found"}}})
	}
	switch {
	case strings.Contains(req.Query, "contractList("):
		since, _ := time.Parse(time.RFC3339, fmt.Sprint(req.Variables["modifiedSince"]))
		offset := int(toFloat(req.Variables["offset"]))
		limit := int(toFloat(req.Variables["limit"]))
		if limit <= 0 {
			limit = 100
		}
		all := s.list(upwork.Vendor, "contracts", since)
		contracts := []map[string]string{}
		for i := offset; i < len(all) && i < offset+limit; i++ {
			contracts = append(contracts, map[string]string{"id": all[i].id, "status": field(all[i].raw, "status"),
				"modifyDate": all[i].at.Format(time.RFC3339)})
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"contractList": map[string]any{"contracts": contracts, "total": len(all)}}})
	case strings.Contains(req.Query, "freelancer("):
		raw, ok := s.get(upwork.Vendor, "freelancers", id)
		if !ok {
			gqlNotFound("freelancer")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]json.RawMessage{"freelancer": raw}})
	case strings.Contains(req.Query, "contract("):
		raw, ok := s.get(upwork.Vendor, "contracts", id)
		if !ok {
			gqlNotFound("contract")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]json.RawMessage{"contract": raw}})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"errors": []map[string]string{{"message": "unsupported query"}}})
	}
}

func toFloat(v any) float64 {
	f, _ := v.(float64)
	return f
}

func (s *Server) jobdivaAuthenticate(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	login := s.cfg.JobDivaLogin
	if q.Get("clientid") != login[0] || q.Get("username") != login[1] || q.Get("password") != login[2] {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid credentials"})
		return
	}
	s.mu.Lock()
	s.tokenSeq++
	tok := fmt.Sprintf("jd_token_%d", s.tokenSeq)
	s.tokens[tok] = true
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprint(w, tok)
}

func (s *Server) jobdivaSearch(w http.ResponseWriter, r *http.Request) {
	var req struct {
		UpdatedSince string `json:"updatedSince"`
		Offset       int    `json:"offset"`
		Limit        int    `json:"limit"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad search body"})
		return
	}
	since, err := jobdiva.ParseTime(req.UpdatedSince)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "updatedSince must be MM/dd/yyyy HH:mm:ss"})
		return
	}
	if req.Limit <= 0 || req.Limit > 100 {
		req.Limit = 100
	}
	all := s.list(jobdiva.Vendor, "placements", since)
	data := []json.RawMessage{}
	for i := req.Offset; i < len(all) && i < req.Offset+req.Limit; i++ {
		var p map[string]any
		_ = json.Unmarshal(all[i].raw, &p)
		p["dateUpdated"] = all[i].at.Format(vendors.LayoutJobDiva)
		b, _ := json.Marshal(p)
		data = append(data, b)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "total": len(all)})
}

func (s *Server) putHandler(w http.ResponseWriter, r *http.Request) {
	var v json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be JSON"})
		return
	}
	if err := s.Put(r.PathValue("platform"), r.PathValue("kind"), r.PathValue("id"), v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) putFileHandler(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(io.LimitReader(r.Body, 20<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	s.PutFile(r.PathValue("platform"), r.PathValue("id"), data)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) webhookHandler(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 2<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	status, resp, err := s.SendWebhook(r.Context(), r.PathValue("platform"), body)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": status, "body": json.RawMessage(orNull(resp))})
}

func orNull(b []byte) []byte {
	if json.Valid(b) {
		return b
	}
	q, _ := json.Marshal(string(b))
	return q
}

func (s *Server) faultHandler(w http.ResponseWriter, r *http.Request) {
	var f struct {
		Status     int `json:"status"`
		RetryAfter int `json:"retry_after_seconds"`
		Count      int `json:"count"`
	}
	if err := json.NewDecoder(r.Body).Decode(&f); err != nil || f.Status < 400 || f.Count <= 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `body must be {"status": 429, "retry_after_seconds": 1, "count": 3}`})
		return
	}
	s.AddFault(r.PathValue("platform"), f.Status, f.RetryAfter, f.Count)
	w.WriteHeader(http.StatusNoContent)
}
