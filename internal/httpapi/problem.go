package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/idempotency"
)

// MaxReportedErrors is the most field errors one problem lists; errors_omitted counts the rest, so
// an answer never grows with the number of mistakes in a request.
const MaxReportedErrors = 20

// maxFieldText bounds a field name or message in a problem: field names can come from the client
// (unknown keys), and the answer must not echo a megabyte back.
const maxFieldText = 200

// clip shortens s to maxFieldText bytes (on a rune boundary), marking the cut with "…".
func clip(s string) string {
	if len(s) <= maxFieldText {
		return s
	}
	cut := maxFieldText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// statusOf is the one table from error kinds to HTTP statuses.
var statusOf = map[apperr.Kind]int{
	apperr.KindInvalid:              http.StatusBadRequest,
	apperr.KindUnauthorized:         http.StatusUnauthorized,
	apperr.KindForbidden:            http.StatusForbidden,
	apperr.KindNotFound:             http.StatusNotFound,
	apperr.KindMethodNotAllowed:     http.StatusMethodNotAllowed,
	apperr.KindConflict:             http.StatusConflict,
	apperr.KindPreconditionFailed:   http.StatusPreconditionFailed,
	apperr.KindTooLarge:             http.StatusRequestEntityTooLarge,
	apperr.KindUnsupportedMediaType: http.StatusUnsupportedMediaType,
	apperr.KindTooManyRequests:      http.StatusTooManyRequests,
	apperr.KindUnavailable:          http.StatusServiceUnavailable,
	apperr.KindInternal:             http.StatusInternalServerError,
	apperr.KindUnprocessable:        http.StatusUnprocessableEntity,
}

// Failures that echo itself detects, as the service names them.
var (
	errNoRoute          = apperr.NotFound("not_found", "No such resource.")
	errMethodNotAllowed = &apperr.Error{Kind: apperr.KindMethodNotAllowed, Code: "method_not_allowed", Message: "The method is not allowed on this resource."}
	errTooLarge         = &apperr.Error{Kind: apperr.KindTooLarge, Code: "payload_too_large", Message: "The request body is over 1 MiB (1,048,576 bytes)."}
	errQueueFull        = &apperr.Error{Kind: apperr.KindUnavailable, Code: "service_unavailable", Message: "More requests are waiting than the service queues; try again shortly.", RetryAfter: 1}
	errTimeout          = &apperr.Error{Kind: apperr.KindUnavailable, Code: "timeout", Message: "The request ran out of time; try again later.", RetryAfter: 5}
	errMediaType        = &apperr.Error{Kind: apperr.KindUnsupportedMediaType, Code: "unsupported_media_type", Message: "The request body must be application/json."}
	errMalformed        = apperr.Invalid("malformed_request", "The request could not be read.")
	errMalformedJSON    = apperr.Invalid("malformed_request", "The request body is not valid JSON.")
)

// errorHandler renders every error that reaches echo as RFC 9457 problem+json. Errors arrive as
// *apperr.Error (made where they happened) or as echo's own; anything else is logged and answered
// with a generic 500 that reveals nothing.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		ae := clientError(err)
		status := statusOf[ae.Kind]
		if status >= 500 {
			log.ErrorContext(c.Request().Context(), "request failed",
				"request_id", requestID(c), "method", c.Request().Method, "route", c.Path(), "error", err.Error())
		}
		p := api.Problem{
			Type:      "about:blank",
			Title:     http.StatusText(status),
			Status:    status,
			Code:      ae.Code,
			Detail:    &ae.Message,
			RequestId: ptr(requestID(c)),
		}
		if len(ae.Fields) > 0 {
			fields, omitted := ae.Fields, ae.Omitted
			if len(fields) > MaxReportedErrors {
				omitted += len(fields) - MaxReportedErrors
				fields = fields[:MaxReportedErrors]
			}
			if omitted > 0 {
				p.ErrorsOmitted = &omitted
			}
			fe := make([]api.FieldError, len(fields))
			for i, f := range fields {
				fe[i] = api.FieldError{Field: clip(f.Field), Message: clip(f.Message), Row: f.Row}
			}
			p.Errors = &fe
		}
		if ae.ExistingID != uuid.Nil {
			p.ExistingId = &ae.ExistingID
		}
		h := c.Response().Header()
		if ae.ETag != "" {
			h.Set("ETag", ae.ETag)
		}
		switch status {
		case http.StatusUnauthorized:
			if c.Request().Header.Get(echo.HeaderAuthorization) != "" {
				h.Set(echo.HeaderWWWAuthenticate, `Bearer error="invalid_token"`)
			} else {
				h.Set(echo.HeaderWWWAuthenticate, "Bearer")
			}
		case http.StatusServiceUnavailable, http.StatusTooManyRequests:
			if ae.RetryAfter > 0 {
				h.Set(echo.HeaderRetryAfter, strconv.Itoa(ae.RetryAfter))
			} else if h.Get(echo.HeaderRetryAfter) == "" {
				h.Set(echo.HeaderRetryAfter, "5")
			}
		}
		h.Set(echo.HeaderContentType, "application/problem+json")
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		_ = c.JSON(status, p)
	}
}

// clientError is what the client is told about err: the *apperr.Error in its chain, echo's own
// failures in the service's words, and internal_error for everything else.
func clientError(err error) *apperr.Error {
	if ae, ok := apperr.As(err); ok {
		return ae
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return fromEcho(he)
	}
	return apperr.ErrInternal.WithCause(err)
}

// fromEcho names a failure that echo detected itself (no route, wrong method, the body limit, a
// body the binder cannot read).
func fromEcho(he *echo.HTTPError) *apperr.Error {
	var e *apperr.Error
	switch he.Code {
	case http.StatusNotFound:
		e = errNoRoute
	case http.StatusMethodNotAllowed:
		e = errMethodNotAllowed
	case http.StatusRequestEntityTooLarge:
		e = errTooLarge
	case http.StatusUnsupportedMediaType:
		e = errMediaType
	case http.StatusUnauthorized:
		e = apperr.ErrUnauthorized
	case http.StatusServiceUnavailable:
		e = apperr.ErrUnavailable
	default:
		if he.Code >= 500 {
			e = apperr.ErrInternal
		} else {
			e = errMalformed
		}
	}
	return e.WithCause(he)
}

// fromValidation translates kin-openapi's request validation errors: the body limit, the media
// type and undecodable JSON have their own codes, everything else is validation_failed with the
// fields at fault.
func fromValidation(me openapi3.MultiError) *apperr.Error {
	out := &apperr.Error{Kind: apperr.KindInvalid, Code: "validation_failed", Message: "The request does not match the schema.", Cause: me}
	for _, e := range me {
		var re *openapi3filter.RequestError
		if !errors.As(e, &re) {
			continue
		}
		if re.Parameter != nil && re.Parameter.In == openapi3.ParameterInHeader && re.Parameter.Name == headerIdempotencyKey {
			return idempotency.ErrInvalidKey.WithCause(me)
		}
		var he *echo.HTTPError
		var shape *bodyShapeError
		switch {
		case errors.As(re.Err, &he) && he.Code == http.StatusRequestEntityTooLarge:
			return errTooLarge.WithCause(me)
		case errors.As(re.Err, &shape):
			return &apperr.Error{Kind: apperr.KindInvalid, Code: "validation_failed", Message: "The request body is larger in shape than any request allows.",
				Fields: []apperr.FieldError{{Field: shape.Field, Message: shape.Message}}, Cause: me}
		case re.RequestBody != nil && strings.HasPrefix(re.Reason, "header Content-Type has unexpected value"):
			return errMediaType.WithCause(me)
		case re.RequestBody != nil && re.Reason == "failed to decode request body":
			return errMalformedJSON.WithCause(me)
		}
		out.Fields = append(out.Fields, fieldErrors(re)...)
	}
	if len(out.Fields) == 0 {
		return errMalformed.WithCause(me)
	}
	return out
}

func fieldErrors(re *openapi3filter.RequestError) []apperr.FieldError {
	prefix := ""
	if re.Parameter != nil {
		prefix = re.Parameter.Name
	}
	var schemaErrs []error
	var me openapi3.MultiError
	if errors.As(re.Err, &me) {
		schemaErrs = me
	} else if re.Err != nil {
		schemaErrs = []error{re.Err}
	}
	var out []apperr.FieldError
	for _, e := range schemaErrs {
		var se *openapi3.SchemaError
		if errors.As(e, &se) {
			field := strings.Join(se.JSONPointer(), ".")
			if m := unsupportedProperty.FindStringSubmatch(se.Reason); m != nil {
				field = strings.TrimPrefix(field+"."+m[1], ".")
			}
			if prefix != "" {
				field = strings.TrimSuffix(prefix+"."+field, ".")
			}
			if field == "" {
				field = "body"
			}
			out = append(out, apperr.FieldError{Field: field, Message: schemaMessage(se)})
			continue
		}
		field := prefix
		if field == "" {
			field = "body"
		}
		msg := "is invalid"
		if errors.Is(e, openapi3filter.ErrInvalidRequired) {
			msg = "is required"
		} else if errors.Is(e, openapi3filter.ErrInvalidEmptyValue) {
			msg = "must not be empty"
		}
		out = append(out, apperr.FieldError{Field: field, Message: msg})
	}
	if len(out) == 0 {
		field := prefix
		if field == "" {
			field = "body"
		}
		out = append(out, apperr.FieldError{Field: field, Message: "is invalid"})
	}
	return out
}

// schemaMessage keeps kin-openapi's reason (which names the rule, e.g. "maximum string length is
// 200") but never echoes the offending value back.
func schemaMessage(se *openapi3.SchemaError) string {
	if unsupportedProperty.MatchString(se.Reason) {
		return "is not a known field"
	}
	if se.Reason != "" {
		return se.Reason
	}
	return "is invalid"
}

var unsupportedProperty = regexp.MustCompile(`^property "([^"]+)" is unsupported$`)

func ptr[T any](v T) *T { return &v }
