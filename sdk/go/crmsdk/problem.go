package crmsdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/minicrm/crm/gen/client"
)

// ProblemError is an error answer of the API: the HTTP status and the RFC 9457 problem document
// with its stable Code ("validation_failed", "stage_rollback_forbidden", ...; the list is in
// openapi.yaml). Get it from any error of this package with errors.As, or use [IsProblem].
//
// An error answer that is not a problem document (say, a proxy's HTML page) gets a synthetic
// problem with code "http_<status>" and the start of the body as detail.
type ProblemError struct {
	// Status is the HTTP status code of the answer.
	Status int
	// Problem is the answer's problem document.
	Problem client.Problem
	// Header is the answer's headers (ETag, Retry-After, X-Request-Id, ...); nil when the error
	// was built from a body alone.
	Header http.Header
}

// ETag returns the current entity tag of the object, which a 412 precondition_failed answer
// carries; "" when the answer has none.
func (e *ProblemError) ETag() string { return e.Header.Get(ETagHeader) }

// RetryAfter returns the wait the answer asks for (429, 503, 409 idempotency_key_in_use) and
// whether it has one.
func (e *ProblemError) RetryAfter() (time.Duration, bool) {
	return parseRetryAfter(e.Header.Get("Retry-After"), time.Now())
}

// Is makes errors.Is(err, ErrPreconditionFailed) and the other Err* codes of this package match
// a ProblemError of that code.
func (e *ProblemError) Is(target error) bool {
	c, ok := target.(codeError)
	return ok && string(c) == e.Problem.Code
}

// codeError is the sentinel of a problem code, for errors.Is.
type codeError string

func (c codeError) Error() string { return "crm: " + string(c) }

// Sentinels of the problem codes that call for a particular reaction; errors.Is(err, sentinel)
// matches a [*ProblemError] of that code. Any code can be tested with [IsProblem].
var (
	// ErrPreconditionFailed: If-Match named a stale entity tag; nothing was changed. The
	// ProblemError's ETag is the current tag: read the object again and decide.
	ErrPreconditionFailed error = codeError(CodePreconditionFailed)
	// ErrIdempotencyKeyMismatch: the Idempotency-Key was used for another request. Never retry
	// with it: use a new key for a new request.
	ErrIdempotencyKeyMismatch error = codeError(CodeIdempotencyKeyMismatch)
	// ErrIdempotencyKeyInUse: the first request with this key is still running; retry later with
	// the same key (the Client does, see WithRetry).
	ErrIdempotencyKeyInUse error = codeError(CodeIdempotencyKeyInUse)
	// ErrRateLimited: over the rate limit; see ProblemError.RetryAfter.
	ErrRateLimited error = codeError(CodeRateLimited)
	// ErrNotFound: no such route or object in this organization.
	ErrNotFound error = codeError(CodeNotFound)
)

// ProblemCodes returns every problem code of the contract (the Code* constants), sorted: the
// enum of Problem.code in openapi.yaml when the SDK was generated.
func ProblemCodes() []string { return slices.Clone(problemCodes) }

// Error returns "crm: <status> <code>: <detail, or title when there is no detail>".
func (e *ProblemError) Error() string {
	msg := e.Problem.Title
	if e.Problem.Detail != nil && *e.Problem.Detail != "" {
		msg = *e.Problem.Detail
	}
	return fmt.Sprintf("crm: %d %s: %s", e.Status, e.Problem.Code, msg)
}

// Code returns the problem's stable code, e.g. "email_taken".
func (e *ProblemError) Code() string { return e.Problem.Code }

// FieldErrors returns the field-level errors of a "validation_failed" problem, nil otherwise.
func (e *ProblemError) FieldErrors() []client.FieldError {
	if e.Problem.Errors == nil {
		return nil
	}
	return *e.Problem.Errors
}

// RequestID returns the request id the server logged the failure under, "" when absent.
func (e *ProblemError) RequestID() string {
	if e.Problem.RequestId == nil {
		return ""
	}
	return *e.Problem.RequestId
}

// IsProblem reports whether err is (or wraps) a [*ProblemError] with the given code; with an empty
// code, any ProblemError matches.
func IsProblem(err error, code string) bool {
	var pe *ProblemError
	return errors.As(err, &pe) && (code == "" || pe.Problem.Code == code)
}

func asProblem(err error, pe **ProblemError) bool { return errors.As(err, pe) }

// Response is implemented by every *XxxResponse of the generated client.
type Response interface {
	StatusCode() int
}

// Check returns nil for a 2xx answer and a [*ProblemError] built from body otherwise (with the
// answer's headers when res is a generated response). A 304 Not Modified, the answer to
// [IfNoneMatch], is no error either: see [NotModified].
//
//	res, err := c.GetDealWithResponse(ctx, id)
//	if err == nil { err = crmsdk.Check(res, res.Body) }
//
// [Ok] does the same in one call.
func Check(res Response, body []byte) error {
	if isNil(res) {
		return errors.New("crmsdk: no response")
	}
	status := res.StatusCode()
	if status >= 200 && status < 300 || status == http.StatusNotModified {
		return nil
	}
	pe := newProblemError(status, body)
	pe.Header = headerOf(res)
	return pe
}

// Ok wraps a call of the generated client and turns an error answer into a [*ProblemError], so
// that typical use is two lines:
//
//	res, err := crmsdk.Ok(c.CreateDealWithResponse(ctx, body))
//	if err != nil { return err }
//	deal := res.JSON201
//
// A transport error is returned as it is. The response is returned in every case (nil only
// when the call itself failed).
func Ok[R Response](res R, err error) (R, error) {
	if err != nil {
		return res, err
	}
	return res, Check(res, bodyOf(res))
}

// newProblemError builds the error of a non-2xx answer.
func newProblemError(status int, body []byte) *ProblemError {
	var p client.Problem
	if json.Unmarshal(body, &p) == nil && p.Code != "" {
		if p.Status == 0 {
			p.Status = status
		}
		return &ProblemError{Status: status, Problem: p}
	}
	p = client.Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: fmt.Sprintf("http_%d", status)}
	if p.Title == "" {
		p.Title = fmt.Sprintf("HTTP %d", status)
	}
	if d := strings.TrimSpace(string(body)); d != "" {
		if len(d) > 500 {
			d = strings.ToValidUTF8(d[:500], "") + "…"
		}
		p.Detail = &d
	}
	return &ProblemError{Status: status, Problem: p}
}

// unexpected is the error of a 2xx answer without the document the contract promises.
func unexpected(status int, body []byte) error {
	return fmt.Errorf("crmsdk: unexpected answer %d: %.200s", status, body)
}

// bodyOf returns the Body []byte field of a generated response struct, nil when it has none.
func bodyOf(res any) []byte {
	f, ok := fieldOf(res, "Body")
	if !ok || f.Kind() != reflect.Slice || f.Type().Elem().Kind() != reflect.Uint8 {
		return nil
	}
	return f.Bytes()
}

// fieldOf is the named field of a generated response struct (through pointers and interfaces);
// false when res is nil or not such a struct, or has no such field.
func fieldOf(res any, name string) (reflect.Value, bool) {
	v := reflect.ValueOf(res)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return reflect.Value{}, false
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	f := v.FieldByName(name)
	return f, f.IsValid()
}

// isNil reports whether res is nil or a nil pointer (whose StatusCode method would panic).
func isNil(res Response) bool {
	if res == nil {
		return true
	}
	v := reflect.ValueOf(res)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
