package platformsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

func (s *Server) routes() {
	m := http.NewServeMux()
	// Each platform's API, in the live shapes of vendors.md.
	s.remoteRoutes(m)
	s.workmarketRoutes(m)
	s.upworkRoutes(m)
	s.jobdivaRoutes(m)
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
