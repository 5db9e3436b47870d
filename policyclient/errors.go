package policyclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/coverage-orchestrator/coverage/redact"
)

// Error codes and messages the workflow branches on.
const (
	CodeDuplicateEmail         = "duplicate_email"
	CodeInvalidRequest         = "invalid_request" // validation; message names the field
	CodeContractorHasPolicy    = "contractor_has_matching_policy"
	CodeContractHasPolicy      = "contract_has_matching_policy" // older spelling of the same rule
	CodeEffectiveDateInvalid   = "effective_date_invalid"
	CodeEndDateInvalid         = "end_date_invalid"
	CodeNoMatchingPolicy       = "no_matching_policy"
	MessageNoMatchingPolicy    = "No matching policy found for assignment."
	CodeAssignmentStarted      = "assignment_already_started"
	CodeInvalidCertificateFile = "invalid_certificate_file"
)

// Error is every failure of a 1099Policy call: an HTTP answer other than 2xx, or a network error
// (StatusCode 0). Retryable says whether the same call may succeed later (network, 429, 5xx).
type Error struct {
	StatusCode int
	Code       string            // error_code, when the API sent one
	Message    string            // message, or the field messages joined
	Fields     map[string]string // message as an object: field -> text
	RetryAfter time.Duration     // from Retry-After on 429/503
	Retryable  bool
	Method     string
	Path       string
	Err        error // the network error, when StatusCode is 0
}

// Error says method, path, status and the API's message, redacted (a message may quote the
// contractor's email); never the query string.
func (e *Error) Error() string { return redact.Text(e.text()) }

func (e *Error) text() string {
	if e.StatusCode == 0 {
		return fmt.Sprintf("1099policy %s %s: %v", e.Method, e.Path, e.Err)
	}
	s := fmt.Sprintf("1099policy %s %s: %d", e.Method, e.Path, e.StatusCode)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// AsError returns the *Error inside err, if any.
func AsError(err error) (*Error, bool) {
	var pe *Error
	ok := errors.As(err, &pe)
	return pe, ok
}

// IsRetryable reports whether err is a transient failure (network, 429, 5xx).
func IsRetryable(err error) bool {
	pe, ok := AsError(err)
	return ok && pe.Retryable
}

func hasCode(err error, codes ...string) bool {
	pe, ok := AsError(err)
	if !ok {
		return false
	}
	for _, c := range codes {
		if pe.Code == c {
			return true
		}
	}
	return false
}

// IsDuplicateEmail: a contractor with this email already exists.
func IsDuplicateEmail(err error) bool { return hasCode(err, CodeDuplicateEmail) }

// IsMatchingPolicy: the contractor already holds a matching policy (both spellings).
func IsMatchingPolicy(err error) bool {
	return hasCode(err, CodeContractorHasPolicy, CodeContractHasPolicy)
}

// IsNoMatchingPolicy: an assignment was refused because the contractor holds no matching policy.
func IsNoMatchingPolicy(err error) bool {
	pe, ok := AsError(err)
	return ok && (pe.Code == CodeNoMatchingPolicy ||
		strings.EqualFold(strings.TrimSpace(pe.Message), MessageNoMatchingPolicy))
}

// IsEffectiveDateInvalid: the effective date is in the past or otherwise refused.
func IsEffectiveDateInvalid(err error) bool { return hasCode(err, CodeEffectiveDateInvalid) }

// IsNotFound: the object does not exist.
func IsNotFound(err error) bool {
	pe, ok := AsError(err)
	return ok && pe.StatusCode == http.StatusNotFound
}

// IsBusiness reports a refusal that retrying cannot fix (4xx other than 429).
func IsBusiness(err error) bool {
	pe, ok := AsError(err)
	return ok && pe.StatusCode >= 400 && pe.StatusCode < 500 && !pe.Retryable
}

// errorFromResponse builds the Error for a non-2xx answer.
func errorFromResponse(method, path string, status int, header http.Header, body []byte) *Error {
	e := &Error{StatusCode: status, Method: method, Path: path}
	e.Retryable = status == http.StatusTooManyRequests || status >= 500
	e.RetryAfter = ParseRetryAfter(header.Get("Retry-After"), time.Now())
	var raw struct {
		Message   json.RawMessage `json:"message"`
		ErrorCode string          `json:"error_code"`
	}
	if json.Unmarshal(body, &raw) != nil {
		e.Message = strings.TrimSpace(truncate(string(body), 200))
		return e
	}
	e.Code = raw.ErrorCode
	var msg string
	if json.Unmarshal(raw.Message, &msg) == nil {
		e.Message = msg
		return e
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw.Message, &fields) == nil {
		e.Fields = make(map[string]string, len(fields))
		keys := make([]string, 0, len(fields))
		for k, v := range fields {
			var s string
			if json.Unmarshal(v, &s) != nil {
				s = string(v)
			}
			e.Fields[k] = s
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+": "+e.Fields[k])
		}
		e.Message = strings.Join(parts, "; ")
	}
	return e
}

// ParseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date (RFC 9110). The
// platform clients read theirs with it too.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		if secs >= float64(math.MaxInt64)/float64(time.Second) { // more than a Duration holds ("1e300", "Inf")
			return math.MaxInt64
		}
		return time.Duration(secs * float64(time.Second))
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
