package activities

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/coverage-orchestrator/coverage/config"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/redact"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// Error types the workflow branches on (ApplicationError.Type()). All but ErrRetryable are
// non-retryable: retrying cannot change a business answer.
const (
	ErrDuplicateEmail   = "DuplicateEmail"
	ErrMatchingPolicy   = "MatchingPolicy"   // quote refused: the contractor already holds a matching policy
	ErrNoMatchingPolicy = "NoMatchingPolicy" // assignment refused or ineligible
	ErrEffectiveDate    = "EffectiveDateInvalid"
	ErrAssignmentStart  = "AssignmentAlreadyStarted"
	ErrMissingMapping   = "MissingMapping"
	ErrNotFound         = "NotFound"
	ErrBusiness         = "BusinessError" // any other 4xx with error_code
	ErrRetryable        = "Retryable"
)

// classify turns a client error into a Temporal error: business refusals are non-retryable
// with a typed name; transient failures are retryable, honouring Retry-After. Its text is
// redacted first (redact.Error): the SDK logs it and the workflow may show it as a reason.
func classify(err error) error {
	if err == nil {
		return nil
	}
	err = redact.Error(err)
	var mm *config.MissingMappingError
	if errors.As(err, &mm) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrMissingMapping, err)
	}
	var nf *vendors.NotFoundError
	if errors.As(err, &nf) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrNotFound, err)
	}
	var vr *vendors.RetryableError
	if errors.As(err, &vr) {
		return retryable(err, vr.RetryAfter)
	}
	// checked after RetryableError, which may wrap an APIError (429, 5xx)
	var va *vendors.APIError
	if errors.As(err, &va) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrBusiness, err)
	}
	pe, ok := pc.AsError(err)
	if !ok {
		return err // unknown: let the retry policy decide (retryable by default)
	}
	if pe.Retryable {
		return retryable(err, pe.RetryAfter)
	}
	typ := ErrBusiness
	switch {
	case pc.IsDuplicateEmail(err):
		typ = ErrDuplicateEmail
	case pc.IsMatchingPolicy(err):
		typ = ErrMatchingPolicy
	case pc.IsNoMatchingPolicy(err):
		typ = ErrNoMatchingPolicy
	case pc.IsEffectiveDateInvalid(err):
		typ = ErrEffectiveDate
	case pe.Code == pc.CodeAssignmentStarted:
		typ = ErrAssignmentStart
	case pc.IsNotFound(err):
		typ = ErrNotFound
	}
	return temporal.NewNonRetryableApplicationError(err.Error(), typ, err)
}

// ContractorRoute is where an operator supplies what a platform does not give (SPEC §7).
const ContractorRoute = "PUT /v1/engagements/{vendor}/{id}/contractor"

// classifyContractor is classify for a contractor create or update: a validation refusal
// naming fields (1099Policy requires phone and a full address; Upwork gives neither) says
// plainly which fields are missing and how an operator supplies them.
func classifyContractor(err error) error {
	pe, ok := pc.AsError(err)
	if !ok || pe.Retryable || pe.Code != pc.CodeInvalidRequest || len(pe.Fields) == 0 {
		return classify(err)
	}
	fields := slices.Sorted(maps.Keys(pe.Fields))
	msg := "1099Policy refused the contractor without " + strings.Join(fields, ", ") +
		" (the platform does not give them): an operator supplies them with " + ContractorRoute
	return temporal.NewNonRetryableApplicationError(msg, ErrBusiness, err)
}

func retryable(err error, after time.Duration) error {
	return temporal.NewApplicationErrorWithOptions(err.Error(), ErrRetryable, temporal.ApplicationErrorOptions{
		Cause: err, NextRetryDelay: min(after, MaxServerRetryDelay),
	})
}

// MaxServerRetryDelay caps the wait a server asks for (Retry-After, a rate-limit reset): a
// garbled or hostile "Retry-After: 1e300" must not park an activity for centuries.
const MaxServerRetryDelay = time.Hour

// ErrorType returns the typed name of an activity error ("" when it has none).
func ErrorType(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Type()
	}
	return ""
}
