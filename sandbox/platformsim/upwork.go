package platformsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coverage-orchestrator/coverage/vendors/upwork"
)

// Upwork record kinds: contracts (contractDetails) and users (userDetails, the freelancer's
// location; none is seeded by default, as a client token may not read it).
const (
	UpworkContracts = "contracts"
	UpworkUsers     = "users"
)

// UpworkTokenPath is the simulator's token endpoint (UPWORK_TOKEN_URL = <sandbox>/upwork + it).
const UpworkTokenPath = "/oauth2/token"

// Upwork's API as vendors.md gives it: the refresh-token grant (which rotates the refresh
// token), and GraphQL with variables: contractDetails(id), contractList(ids), errors[].
func (s *Server) upworkRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /upwork"+UpworkTokenPath, s.api(upwork.Vendor, false, s.upworkToken))
	m.HandleFunc("POST /upwork/graphql", s.api(upwork.Vendor, false, s.upworkGraphQL))
}

// upworkToken answers the grant and rotates the refresh token; the previous one stays valid
// (vendors.md assumption 14), so replicas refreshing together do not lock each other out.
func (s *Server) upworkToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	f := r.PostForm
	want := s.cfg.UpworkClient
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Get("grant_type") != "refresh_token" || f.Get("client_id") != want[0] || f.Get("client_secret") != want[1] ||
		!(f.Get("refresh_token") == want[2] || s.upworkRefresh[f.Get("refresh_token")]) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	s.tokenSeq++
	access, refresh := fmt.Sprintf("oauth2v2_access_%d", s.tokenSeq), fmt.Sprintf("oauth2v2_refresh_%d", s.tokenSeq)
	s.tokens[access] = true
	s.upworkRefresh[refresh] = true
	s.upworkGrants++
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "refresh_token": refresh, "token_type": "Bearer", "expires_in": 86400})
}

// UpworkGrants counts the refresh-token grants answered.
func (s *Server) UpworkGrants() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.upworkGrants
}

func (s *Server) upworkGraphQL(w http.ResponseWriter, r *http.Request) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	authorized := s.tokens[tok] || (tok != "" && tok == s.cfg.Tokens[upwork.Vendor])
	fail := s.gqlErrs > 0
	if fail && authorized {
		s.gqlErrs--
	}
	s.mu.Unlock()
	switch {
	case !authorized:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "invalid or expired token"})
		return
	case r.Header.Get(upwork.HeaderTenant) == "":
		writeJSON(w, http.StatusOK, map[string]any{"data": nil, "errors": []map[string]any{{"message": "X-Upwork-API-TenantId is required",
			"extensions": map[string]string{"code": "BAD_REQUEST"}}}})
		return
	}
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "body must be a GraphQL request"})
		return
	}
	if fail { // an error beside partial data: the client must not use the data
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"contractDetails": map[string]string{"id": "partial"}},
			"errors": []map[string]any{{"message": "Internal server error (sandbox injected)", "extensions": map[string]string{"code": "INTERNAL"}}}})
		return
	}
	// As a GraphQL server: an operation the schema refuses is answered 200 with errors[] and
	// no data, before anything runs.
	op, errs := ValidateUpworkOperation(req.Query, req.Variables)
	if len(errs) > 0 {
		writeJSON(w, http.StatusOK, map[string]any{"errors": errs})
		return
	}
	data, errors := map[string]json.RawMessage{}, []map[string]any{}
	for _, f := range collectFields(op.SelectionSet) {
		args := f.ArgumentMap(req.Variables)
		var value json.RawMessage
		switch f.Name {
		case "contractList":
			ids, _ := args["ids"].([]any)
			contracts := []json.RawMessage{}
			for _, id := range ids {
				if raw, ok := s.get(upwork.Vendor, UpworkContracts, fmt.Sprint(id)); ok { // unknown ids are left out
					contracts = append(contracts, raw)
				}
			}
			value, _ = json.Marshal(map[string]any{"contracts": contracts})
		case "contractDetails", "userDetails":
			kind, what := UpworkContracts, "Contract"
			if f.Name == "userDetails" {
				kind, what = UpworkUsers, "User"
			}
			id := fmt.Sprint(args["id"])
			raw, ok := s.get(upwork.Vendor, kind, id)
			if !ok {
				errors = append(errors, map[string]any{"message": what + " " + id + " not found", "path": []string{f.Alias},
					"extensions": map[string]string{"code": "NOT_FOUND"}})
				value = json.RawMessage("null")
				break
			}
			value = raw
		default:
			errors = append(errors, map[string]any{"message": "the sandbox does not serve " + f.Name, "path": []string{f.Alias},
				"extensions": map[string]string{"code": "BAD_REQUEST"}})
			value = json.RawMessage("null")
		}
		data[f.Alias] = project(value, f.SelectionSet)
	}
	if len(errors) > 0 {
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "errors": errors})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

// upworkContract is an example's contract as contractDetails answers it.
func upworkContract(e Example, first, last string) map[string]any {
	var end any
	if !e.End.IsZero() {
		end = e.End.Format("2006-01-02")
	}
	hourly, fixed := []any{}, []any{}
	if e.Hourly {
		hourly = append(hourly, map[string]any{"id": "ht-" + e.ID, "hourlyRate": map[string]string{"rawValue": rawValue(e.Rate), "currency": "USD"},
			"startDate": e.Start.Format("2006-01-02"), "endDate": nil})
	} else {
		fixed = append(fixed, map[string]any{"id": "ft-" + e.ID, "fixedAmount": map[string]string{"rawValue": rawValue(e.Rate), "currency": "USD"},
			"startDate": e.Start.Format("2006-01-02"), "endDate": end})
	}
	return map[string]any{"id": e.ID, "title": orDefault(e.Category, "Web Development"), "status": orDefault(e.Status, "ACTIVE"),
		"kind": orDefault(e.Type, "DIRECT_CONTRACT"), "deliveryModel": "TALENT_MARKETPLACE", "startDate": e.Start.Format("2006-01-02"), "endDate": end,
		"modifyDate":         time.Now().UTC().Format(time.RFC3339Nano),
		"freelancer":         map[string]any{"id": e.ContractorID, "rid": "r" + e.ContractorID, "name": first + " " + last[:1] + ".", "firstName": first, "lastName": last},
		"clientOrganization": map[string]string{"id": orDefault(e.ClientID, "acct_5"), "name": "Acme"},
		"terms":              map[string]any{"hourlyTerms": hourly, "fixedPriceTerms": fixed}}
}

// rawValue is a rate as Upwork's decimal string ("1,250.50" -> "1250.50").
func rawValue(rate string) string {
	if d, ok := decimal(rate).(json.Number); ok {
		return string(d)
	}
	return rate
}

// upworkRelay is the relay route's body for an example's event.
func upworkRelay(kind string, e Example, eventID string, at time.Time) (map[string]any, error) {
	names := map[string]string{HookStart: upwork.EventStarted, HookUpdate: upwork.EventUpdated, HookEnd: upwork.EventEnded, HookCancel: upwork.EventEnded}
	name, ok := names[kind]
	if !ok {
		return nil, fmt.Errorf("the Upwork relay has no %s event", kind)
	}
	return map[string]any{"event": name, "event_id": eventID, "contract_id": e.ID, "occurred_at": at.UTC().Format(time.RFC3339)}, nil
}
