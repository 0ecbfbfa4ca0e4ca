package hookstream

import (
	"errors"
	"fmt"
)

// Error codes. handlers maps each to exactly one HTTP status.
const (
	EINVALID       = "invalid"       // 400: malformed request or body
	EUNAUTHORIZED  = "unauthorized"  // 401: missing or wrong credentials
	EFORBIDDEN     = "forbidden"     // 403: role lacks the right, or source IP refused
	ENOTFOUND      = "not_found"     // 404: unknown resource (also another tenant's)
	EMETHOD        = "method"        // 405: method not allowed for this webhook
	ECONFLICT      = "conflict"      // 409: uniqueness, version or replay-bound conflict
	EGONE          = "gone"          // 410: past retention
	ETOOLARGE      = "too_large"     // 413: body over the limit
	EUNSUPPORTED   = "unsupported"   // 415: content type not accepted
	EUNPROCESSABLE = "unprocessable" // 422: validation failed
	ERATELIMIT     = "rate_limited"  // 429: over a rate limit
	EUNAVAILABLE   = "unavailable"   // 503: dependency down, or webhook disabled
	EINTERNAL      = "internal"      // 500: a bug or an unexpected failure
)

// FieldError names one invalid field of a request, for problem+json "errors".
type FieldError struct {
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	// Keyword and InstancePath are set for JSON Schema validation errors.
	Keyword      string `json:"keyword,omitempty"`
	InstancePath string `json:"instancePath,omitempty"`
}

// Error is the application error. Code is one of the E* constants; Message is
// safe to show to the client. Fields lists validation errors.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	// RetryAfter, in seconds, is sent as Retry-After for 429 and 503 when set.
	RetryAfter int
	// Extra is merged into the problem+json body (e.g. the challenge for Slack).
	Extra map[string]any
}

func (e *Error) Error() string {
	return fmt.Sprintf("hookstream error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a validation error (422 by default) naming fields.
func Invalid(code string, message string, fields ...FieldError) *Error {
	return &Error{Code: code, Message: message, Fields: fields}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err: the message of the
// first *Error in its chain, or "internal error".
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// Sentinel errors returned by adapters. Each wraps into an *Error with the
// matching code so handlers need no special cases.
var (
	// ErrNotFound: the resource does not exist or belongs to another tenant.
	ErrNotFound = &Error{Code: ENOTFOUND, Message: "not found"}
	// ErrUnavailable: JetStream did not acknowledge in time or is down.
	ErrUnavailable = &Error{Code: EUNAVAILABLE, Message: "event store unavailable", RetryAfter: 5}
	// ErrStreamFull: the stream refused the message (Discard: New).
	ErrStreamFull = &Error{Code: EUNAVAILABLE, Message: "event store full", RetryAfter: 60}
	// ErrConflict: an optimistic concurrency check failed.
	ErrConflict = &Error{Code: ECONFLICT, Message: "conflict"}
)
