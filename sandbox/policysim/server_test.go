package policysim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// postContractor creates a contractor under an idempotency key and returns the answer.
func postContractor(t *testing.T, url, key, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/api/v1/contractors", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer t9k_test_sim")
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Ten99Policy-Idempotent-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// 1099policy-api.md: the first answer under a key is stored and replayed, a refusal included
// ("other refusals may be stored and replayed"), except a validation refusal (400
// invalid_request), which never started executing. A retry after a refusal needs a new key.
func TestRefusalsAreStoredUnderTheirKey(t *testing.T) {
	sim := New(Config{APIKey: "t9k_test_sim", AcceptMissingContactDetails: true})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	contractor := `{"first_name":"Jordan","last_name":"Cruz","email":"jordan@example.com"}`

	t.Run("an injected refusal replays for its key; a new key is executed", func(t *testing.T) {
		sim.AddFault(Fault{PathPrefix: "/api/v1/contractors", Status: http.StatusBadRequest, Count: 1, Message: "refused once"})
		code, body := postContractor(t, srv.URL, "key-g0", contractor)
		require.Equal(t, http.StatusBadRequest, code, body)
		assert.JSONEq(t, `{"message":"refused once","error_code":"sandbox_fault"}`, body)
		code, again := postContractor(t, srv.URL, "key-g0", contractor)
		assert.Equal(t, http.StatusBadRequest, code, "the fault is spent: only the stored refusal answers 400")
		assert.Equal(t, body, again, "the same refusal, byte for byte")
		code, body = postContractor(t, srv.URL, "key-g1", contractor)
		assert.Equal(t, http.StatusCreated, code, body)
		assert.Equal(t, 1, sim.Counts().ContractorsByEmail["jordan@example.com"], "only the new key created a contractor")
	})

	t.Run("a refusal without a key is answered and kept nowhere", func(t *testing.T) {
		sim.AddFault(Fault{PathPrefix: "/api/v1/contractors", Status: http.StatusConflict, Count: 1})
		code, _ := postContractor(t, srv.URL, "", `{"first_name":"Ada","last_name":"L","email":"ada@example.com"}`)
		assert.Equal(t, http.StatusConflict, code)
		code, body := postContractor(t, srv.URL, "", `{"first_name":"Ada","last_name":"L","email":"ada@example.com"}`)
		assert.Equal(t, http.StatusCreated, code, body)
	})

	t.Run("gateway faults (429, 5xx unless Stored) are not stored", func(t *testing.T) {
		for _, status := range []int{http.StatusTooManyRequests, http.StatusBadGateway, http.StatusUnauthorized} {
			sim.AddFault(Fault{PathPrefix: "/api/v1/contractors", Status: status, Count: 1})
			key := "gw-" + http.StatusText(status)
			email := strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "") + "@example.com"
			payload := `{"first_name":"Gate","last_name":"Way","email":"` + email + `"}`
			code, _ := postContractor(t, srv.URL, key, payload)
			assert.Equal(t, status, code)
			code, body := postContractor(t, srv.URL, key, payload)
			assert.Equal(t, http.StatusCreated, code, "%d: the same key is executed once the fault passed: %s", status, body)
		}
	})

	t.Run("a validation refusal is not stored: the same key goes through once fixed", func(t *testing.T) {
		code, body := postContractor(t, srv.URL, "key-fix", `{"first_name":"Sam",`)
		require.Equal(t, http.StatusBadRequest, code, body)
		assert.Contains(t, body, `"invalid_request"`)
		code, body = postContractor(t, srv.URL, "key-fix", `{"first_name":"Sam","last_name":"Worker","email":"sam@example.com"}`)
		assert.Equal(t, http.StatusCreated, code, body)
	})
}

// The sandbox signs its events as 1099policy-api.md describes. The expectation was computed
// with Python, not with this code:
//
//	python3 -c 'import hmac,hashlib; print(hmac.new(b"whsec_test", b"1700000000."+b"{\"id\":\"ev_1\",\"type\":\"policy.active\"}", hashlib.sha256).hexdigest())'
func TestSignEventKnownAnswer(t *testing.T) {
	got := SignEvent("whsec_test", time.Unix(1700000000, 0), []byte(`{"id":"ev_1","type":"policy.active"}`))
	assert.Equal(t, "t=1700000000,v1=8410b15591de12b96c412b426215a697f2493b617e56f155a553600d3be8c8c5", got)
}
