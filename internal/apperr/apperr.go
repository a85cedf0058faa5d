// Package apperr is the one error type the service speaks: a kind that the HTTP layer maps to a
// status, a stable code that clients switch on, and a message safe to show. Every failure is turned
// into an *Error where it happens (the domain, the database layer, the HTTP edge); anything that is
// still not an *Error when it reaches the client is an internal failure and is never shown.
package apperr

import (
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// Kind classifies an error; the HTTP layer owns the one table that maps kinds to statuses.
type Kind int

// The kinds of failure. Their order means nothing; the zero value is an internal failure.
const (
	KindInternal Kind = iota
	KindInvalid
	KindUnauthorized
	KindForbidden
	KindNotFound
	KindMethodNotAllowed
	KindConflict
	KindPreconditionFailed
	KindTooLarge
	KindUnsupportedMediaType
	KindTooManyRequests
	// KindUnprocessable is a well-formed request that cannot be processed as sent (422).
	KindUnprocessable
	KindUnavailable
)

// FieldError names one invalid field of a request.
type FieldError struct {
	Field   string
	Message string
	// Row is the data row of a CSV import the error is in (0: the header row); nil elsewhere.
	Row *int
}

// Error is a failure a client can act on.
type Error struct {
	Kind    Kind
	Code    string // stable snake_case identifier, listed in openapi.yaml
	Message string // human-readable detail
	Fields  []FieldError
	// Omitted counts further field errors that were found but not kept in Fields.
	Omitted int
	// ExistingID names the object a conflict collided with; uuid.Nil when there is none.
	ExistingID uuid.UUID
	// RetryAfter is the number of seconds a throttled client should wait (429, 503), when known.
	RetryAfter int
	// ETag is the current entity tag of the object a failed precondition (412) was checked on.
	ETag string
	// Cause is the underlying failure, for logs and errors.Is/As; never shown to a client.
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Cause)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap exposes the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Is makes a copy (WithCause) match the sentinel it was made from: same kind and code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && t.Code == e.Code
}

// WithCause returns a copy of e that carries cause, leaving e (often a shared sentinel) untouched.
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.Cause = cause
	return &c
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// HasCode reports whether err carries the given code.
func HasCode(err error, code string) bool {
	e, ok := As(err)
	return ok && e.Code == code
}

// Invalid is a 400 with its own code.
func Invalid(code, msg string) *Error { return &Error{Kind: KindInvalid, Code: code, Message: msg} }

// Validation is a 400 validation_failed naming one field.
func Validation(field, msg string) *Error {
	return &Error{Kind: KindInvalid, Code: "validation_failed", Message: "The request is not valid.",
		Fields: []FieldError{{Field: field, Message: msg}}}
}

// InvalidReference is a 400 for a body id that is not in the organization (unknown or foreign alike).
func InvalidReference(field string) *Error {
	return &Error{Kind: KindInvalid, Code: "invalid_reference",
		Message: "The referenced object does not exist in this organization.",
		Fields:  []FieldError{{Field: field, Message: "not found in this organization"}}}
}

// Unauthorized is a 401.
func Unauthorized(code, msg string) *Error {
	return &Error{Kind: KindUnauthorized, Code: code, Message: msg}
}

// Forbidden is a 403.
func Forbidden(code, msg string) *Error { return &Error{Kind: KindForbidden, Code: code, Message: msg} }

// NotFound is a 404.
func NotFound(code, msg string) *Error { return &Error{Kind: KindNotFound, Code: code, Message: msg} }

// Conflict is a 409.
func Conflict(code, msg string) *Error { return &Error{Kind: KindConflict, Code: code, Message: msg} }

// PreconditionFailed is the 412 precondition_failed of a conditional request (If-Match) whose entity
// tags do not name the object's current state; etag is the current one.
func PreconditionFailed(etag string) *Error {
	return &Error{Kind: KindPreconditionFailed, Code: "precondition_failed",
		Message: "The object changed since it was read; fetch it again and retry.", ETag: etag}
}

// Common errors whose body must be identical wherever they occur (no existence oracle).
var (
	ErrUnauthorized = Unauthorized("unauthorized", "A valid bearer token is required.")
	ErrNotAMember   = Forbidden("not_a_member", "You are not a member of this organization.")
	ErrForbidden    = Forbidden("forbidden", "Your role does not allow this action.")
	ErrNotFound     = NotFound("not_found", "The requested object does not exist.")
	ErrUnavailable  = &Error{Kind: KindUnavailable, Code: "service_unavailable", Message: "The service is temporarily unavailable."}
	ErrInternal     = &Error{Kind: KindInternal, Code: "internal_error", Message: "An unexpected error occurred."}
	ErrInvalidValue = Invalid("invalid_value", "A value in the request cannot be processed.")
)
