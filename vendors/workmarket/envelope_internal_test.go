package workmarket

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// TestUnwrapEnvelopes: vendors.md "WorkMarket": every answer is {"meta","response"}; a
// meta.status_code other than 200 is the error it names (404 not found, 429 and 5xx retried,
// other codes refused with the errors' codes and messages).
func TestUnwrapEnvelopes(t *testing.T) {
	var out struct {
		AccessToken string `json:"access_token"`
	}
	auth, err := os.ReadFile(filepath.Join("testdata", "authorization.json"))
	require.NoError(t, err)
	require.NoError(t, unwrap("auth", auth, &out))
	assert.Equal(t, "6f1c2a9e0b7d4e3f", out.AccessToken)
	require.NoError(t, unwrap("x", []byte(`{"response":{"access_token":"no-meta"}}`), &out), "no meta: status 0 is not an error")
	assert.Equal(t, "no-meta", out.AccessToken)
	require.NoError(t, unwrap("x", []byte(`{"meta":{"status_code":200},"response":{"x":1}}`), nil), "nothing to decode into")

	notFound, err := os.ReadFile(filepath.Join("testdata", "not_found.json"))
	require.NoError(t, err)
	var nf *vendors.NotFoundError
	require.ErrorAs(t, unwrap("/api/v1/assignments/get", notFound, &out), &nf)
	assert.Equal(t, "not found: /api/v1/assignments/get", nf.Error())

	var re *vendors.RetryableError
	var ae *vendors.APIError
	for _, code := range []int{429, 500, 503} {
		err := unwrap("p", []byte(`{"meta":{"status_code":`+strconv.Itoa(code)+`,"errors":[{"code":"busy","message":"later"}]},"response":{}}`), &out)
		require.ErrorAs(t, err, &re, "%d", code)
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, code, ae.Status)
		assert.Equal(t, "busy later; ", ae.Body)
	}
	for _, code := range []int{400, 401, 403, 499, 201} {
		err := unwrap("p", []byte(`{"meta":{"status_code":`+strconv.Itoa(code)+`,"errors":[{"code":"a","message":"b"},{"code":"c","message":"d"}]},"response":{}}`), &out)
		require.ErrorAs(t, err, &ae, "%d", code)
		assert.False(t, errors.As(err, &re), "%d is not retried", code)
		assert.Equal(t, code, ae.Status)
		assert.Equal(t, "a b; c d; ", ae.Body)
	}
	err = unwrap("p", []byte(`<html>`), &out)
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 200, ae.Status)
	assert.Contains(t, ae.Body, "undecodable answer")
	err = unwrap("p", []byte(`{"meta":{"status_code":200},"response":[1]}`), &out)
	require.ErrorAs(t, err, &ae)
	assert.Contains(t, ae.Body, "undecodable response")
}

func itoa(n int) string {
	return string(rune('0'+n/100)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10))
}

// FuzzUnwrap: any answer body: no panic; an error is an APIError, a NotFoundError or a
// RetryableError (of an APIError); success only for a meta status of 200 or none.
func FuzzUnwrap(f *testing.F) {
	for _, name := range []string{"assignment.json", "authorization.json", "attachments.json", "attachment.json", "list_updated.json", "not_found.json"} {
		b, _ := os.ReadFile(filepath.Join("testdata", name))
		f.Add(b)
	}
	f.Add([]byte(`{"meta":{"status_code":429,"errors":null},"response":null}`))
	f.Add([]byte(`{"meta":{"status_code":"200"}}`))
	f.Add([]byte(`{"meta":{"status_code":1e3}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out map[string]any
		err := unwrap("p", data, &out)
		if err == nil {
			return
		}
		var ae *vendors.APIError
		var nf *vendors.NotFoundError
		var re *vendors.RetryableError
		switch {
		case errors.As(err, &re):
			if !errors.As(re.Err, &ae) || (ae.Status != 429 && ae.Status < 500) {
				t.Fatalf("retryable without a 429 or 5xx: %v", err)
			}
		case errors.As(err, &nf), errors.As(err, &ae):
		default:
			t.Fatalf("refused with %T %v", err, err)
		}
	})
}
