package activities

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/coverage-orchestrator/coverage/config"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/vendors"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name      string
		err       error
		typ       string
		retryable bool
		delay     time.Duration
	}{
		{"duplicate email", &pc.Error{StatusCode: 400, Code: "duplicate_email"}, ErrDuplicateEmail, false, 0},
		{"matching policy", &pc.Error{StatusCode: 400, Code: "contractor_has_matching_policy"}, ErrMatchingPolicy, false, 0},
		{"matching policy, old name", &pc.Error{StatusCode: 400, Code: "contract_has_matching_policy"}, ErrMatchingPolicy, false, 0},
		{"ineligible", &pc.Error{StatusCode: 400, Message: "No matching policy found for assignment."}, ErrNoMatchingPolicy, false, 0},
		{"effective date", &pc.Error{StatusCode: 400, Code: "effective_date_invalid"}, ErrEffectiveDate, false, 0},
		{"started", &pc.Error{StatusCode: 400, Code: "assignment_already_started"}, ErrAssignmentStart, false, 0},
		{"other 4xx", &pc.Error{StatusCode: 403, Code: "forbidden"}, ErrBusiness, false, 0},
		{"404", &pc.Error{StatusCode: 404}, ErrNotFound, false, 0},
		{"429 with Retry-After", &pc.Error{StatusCode: 429, Retryable: true, RetryAfter: 7 * time.Second}, ErrRetryable, true, 7 * time.Second},
		{"500", &pc.Error{StatusCode: 500, Retryable: true}, ErrRetryable, true, 0},
		{"network", &pc.Error{Err: errors.New("connection refused"), Retryable: true}, ErrRetryable, true, 0},
		{"missing mapping", &config.MissingMappingError{Kind: "category", Key: "remote/x"}, ErrMissingMapping, false, 0},
		{"platform 429", &vendors.RetryableError{Err: &vendors.APIError{Status: 429}, RetryAfter: 3 * time.Second}, ErrRetryable, true, 3 * time.Second},
		{"platform 429 asking for centuries", &vendors.RetryableError{Err: &vendors.APIError{Status: 429}, RetryAfter: 1<<63 - 1}, ErrRetryable, true, time.Hour},
		{"1099Policy 503 asking for 2 hours", &pc.Error{StatusCode: 503, Retryable: true, RetryAfter: 2 * time.Hour}, ErrRetryable, true, time.Hour},
		{"platform 400", &vendors.APIError{Status: 400}, ErrBusiness, false, 0},
		{"platform 404", &vendors.NotFoundError{What: "x"}, ErrNotFound, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := classify(tc.err)
			var ae *temporal.ApplicationError
			if !assert.True(t, errors.As(err, &ae)) {
				return
			}
			assert.Equal(t, tc.typ, ae.Type())
			assert.Equal(t, !tc.retryable, ae.NonRetryable())
			assert.Equal(t, tc.delay, ae.NextRetryDelay())
			assert.ErrorIs(t, err, tc.err, "the cause is kept")
		})
	}
	assert.NoError(t, classify(nil))
}

// TestContractorRefusedForMissingFields: the refusal names every missing field and the route
// an operator supplies them through; other contractor errors classify as usual.
func TestContractorRefusedForMissingFields(t *testing.T) {
	refusal := &pc.Error{StatusCode: 400, Code: pc.CodeInvalidRequest, Fields: map[string]string{"phone": "This field is required.",
		"address.line1": "This field is required."}}
	var ae *temporal.ApplicationError
	require.True(t, errors.As(classifyContractor(refusal), &ae))
	assert.Equal(t, ErrBusiness, ae.Type())
	assert.True(t, ae.NonRetryable())
	assert.Equal(t, "1099Policy refused the contractor without address.line1, phone (the platform does not give them): an operator supplies them with "+
		ContractorRoute, ae.Message())
	dup := &pc.Error{StatusCode: 400, Code: pc.CodeDuplicateEmail}
	require.True(t, errors.As(classifyContractor(dup), &ae))
	assert.Equal(t, ErrDuplicateEmail, ae.Type())
}
