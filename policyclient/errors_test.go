package policyclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
)

// answering is a 1099Policy stand-in that answers every request with status and body; last
// returns the latest request.
func answering(t *testing.T, status int, body string) (c *pc.Client, last func() *http.Request) {
	t.Helper()
	return answeringIn(t, "", status, body)
}

// answeringIn is answering for a client configured with this environment.
func answeringIn(t *testing.T, environment string, status int, body string) (c *pc.Client, last func() *http.Request) {
	t.Helper()
	var mu sync.Mutex
	var latest *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		latest = r.Clone(context.Background())
		mu.Unlock()
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return pc.New(pc.Config{BaseURL: srv.URL + "/", APIKey: "t9k_test_answering", Environment: environment}), func() *http.Request {
		mu.Lock()
		defer mu.Unlock()
		return latest
	}
}

// Every 2xx is a success, whatever its number; the first status outside is an error.
func TestEvery2xxIsASuccess(t *testing.T) {
	for _, status := range []int{200, 201, 202, 299} {
		c, _ := answering(t, status, `{"id":"qt_1","status":"pending"}`)
		q, err := c.GetQuote(context.Background(), "qt_1")
		require.NoError(t, err, "status %d", status)
		assert.Equal(t, "qt_1", q.ID)
	}
	for _, status := range []int{300, 304, 400} {
		c, _ := answering(t, status, `{"id":"qt_1"}`)
		_, err := c.GetQuote(context.Background(), "qt_1")
		pe, ok := pc.AsError(err)
		require.True(t, ok, "status %d: %v", status, err)
		assert.Equal(t, status, pe.StatusCode)
		assert.False(t, pe.Retryable)
	}
	c, _ := answering(t, http.StatusNoContent, "")
	_, err := c.GetQuote(context.Background(), "qt_1")
	assert.NoError(t, err, "an empty 2xx answer decodes to nothing")
}

// The request line and headers the API requires: base URL without a doubled slash, the
// bearer key, the environment (sandbox unless set) and JSON.
func TestRequestHeaders(t *testing.T) {
	c, last := answering(t, 200, `{}`)
	_, err := c.GetPolicy(context.Background(), "pl_1")
	require.NoError(t, err)
	assert.Equal(t, "/api/v1/policies/pl_1", last().RequestURI)
	assert.Equal(t, "Bearer t9k_test_answering", last().Header.Get("Authorization"))
	assert.Equal(t, "sandbox", last().Header.Get(pc.HeaderEnvironment), "the environment defaults to sandbox")
	assert.Equal(t, "application/json", last().Header.Get("Accept"))
	assert.Empty(t, last().Header.Get(pc.HeaderIdempotentKey), "a GET carries no idempotency key")

	prod, last := answeringIn(t, "production", 200, `{}`)
	_, err = prod.CreateInvoice(context.Background(), "k-inv-1", pc.Invoice{Contractor: "cn_1"})
	require.NoError(t, err)
	seen := last().Header
	assert.Equal(t, "production", seen.Get(pc.HeaderEnvironment))
	assert.Equal(t, "k-inv-1", seen.Get(pc.HeaderIdempotentKey))
	assert.Equal(t, "application/json", seen.Get("Content-Type"))
}

// List parameters: only those set are sent (limit=0 is outside the API's 1–100).
func TestListQuery(t *testing.T) {
	c, last := answering(t, 200, `[]`)
	_, err := c.ListJobs(context.Background(), pc.ListParams{})
	require.NoError(t, err)
	assert.Equal(t, "/api/v1/jobs", last().RequestURI, "no parameter, no query string")

	_, err = c.ListQuotes(context.Background(), pc.ListParams{Limit: 5, StartingAfter: "qt_1", EndingBefore: "qt_9"})
	require.NoError(t, err)
	assert.Equal(t, "ending_before=qt_9&limit=5&starting_after=qt_1", last().URL.RawQuery)

	_, err = c.ListAssignments(context.Background(), pc.ListParams{EndingBefore: "an_9"})
	require.NoError(t, err)
	assert.Equal(t, "ending_before=an_9", last().URL.RawQuery)
}

// IsBusiness is a 4xx other than 429: never a 5xx, never a network error.
func TestIsBusinessIsOnly4xx(t *testing.T) {
	for status, want := range map[int]bool{400: true, 404: true, 409: true, 429: false, 500: false, 502: false} {
		c, _ := answering(t, status, `{"message":"x"}`)
		_, err := c.GetQuote(context.Background(), "qt_1")
		assert.Equal(t, want, pc.IsBusiness(err), "status %d", status)
	}
	assert.False(t, pc.IsBusiness(&pc.Error{StatusCode: 500}), "a 5xx is not a business refusal even when marked final")
	assert.False(t, pc.IsBusiness(&pc.Error{StatusCode: 0}))
	assert.False(t, pc.IsBusiness(context.Canceled))
}

// No matching policy is recognised by its code or by its documented message alone.
func TestIsNoMatchingPolicy(t *testing.T) {
	for body, want := range map[string]bool{
		`{"error_code":"no_matching_policy","message":"Assignment refused."}`: true,
		`{"message":"No matching policy found for assignment."}`:              true,
		`{"message":" no matching policy found for assignment. "}`:            true,
		`{"error_code":"invalid_request","message":"job is required"}`:        false,
	} {
		c, _ := answering(t, 400, body)
		_, err := c.CreateAssignment(context.Background(), "k-a", pc.Assignment{})
		assert.Equal(t, want, pc.IsNoMatchingPolicy(err), body)
	}
	assert.False(t, pc.IsNoMatchingPolicy(context.Canceled))
}

// A non-JSON answer is kept as the message, up to 200 characters.
func TestLongPlainAnswerIsTrimmed(t *testing.T) {
	exact := strings.Repeat("e", 200)
	c, _ := answering(t, 502, exact)
	_, err := c.GetQuote(context.Background(), "qt_1")
	pe, _ := pc.AsError(err)
	require.NotNil(t, pe)
	assert.Equal(t, exact, pe.Message, "200 characters are kept whole")

	c, _ = answering(t, 502, exact+"tail")
	_, err = c.GetQuote(context.Background(), "qt_1")
	pe, _ = pc.AsError(err)
	require.NotNil(t, pe)
	assert.Equal(t, exact+"…", pe.Message)
}

func TestTimeUnix(t *testing.T) {
	assert.True(t, pc.Time(0).Unix().IsZero(), "0 is no time")
	// date -u -d @1796083200 -> Tue Dec  1 00:00:00 UTC 2026
	assert.Equal(t, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), pc.Time(1796083200).Unix())
}
