package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/platform"
)

// statusOf is the one table from domain error kinds to HTTP statuses.
var statusOf = map[apperr.Kind]int{
	apperr.KindInvalid:         http.StatusBadRequest,
	apperr.KindUnauthorized:    http.StatusUnauthorized,
	apperr.KindForbidden:       http.StatusForbidden,
	apperr.KindNotFound:        http.StatusNotFound,
	apperr.KindConflict:        http.StatusConflict,
	apperr.KindTooManyRequests: http.StatusTooManyRequests,
	apperr.KindUnavailable:     http.StatusServiceUnavailable,
	apperr.KindInternal:        http.StatusInternalServerError,
}

// errorHandler renders every error that reaches echo as RFC 9457 problem+json. Domain errors keep
// their code; validator, binder and router errors are translated; anything else is logged and
// answered with a generic 500 that reveals nothing.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, ae := classify(err)
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
			fe := make([]api.FieldError, len(ae.Fields))
			for i, f := range ae.Fields {
				fe[i] = api.FieldError{Field: f.Field, Message: f.Message}
			}
			p.Errors = &fe
		}
		if ae.ExistingID != uuid.Nil {
			p.ExistingId = &ae.ExistingID
		}
		h := c.Response().Header()
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

// classify turns any error into a status and a client-safe *apperr.Error.
func classify(err error) (int, *apperr.Error) {
	if ae, ok := apperr.As(err); ok {
		return statusOf[ae.Kind], ae
	}
	if platform.IsUnavailable(err) {
		return http.StatusServiceUnavailable, apperr.ErrUnavailable
	}
	if platform.IsDataException(err) {
		// A value the validator let through but PostgreSQL cannot store or compare (the input's
		// fault, never the server's): a safety net behind the validation.
		return http.StatusBadRequest, apperr.Invalid("invalid_value", "A value in the request cannot be processed.")
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if he.Internal != nil {
			if ae, ok := apperr.As(he.Internal); ok {
				return statusOf[ae.Kind], ae
			}
			if status, ae, ok := fromValidation(he.Internal); ok {
				return status, ae
			}
		}
		return fromHTTPStatus(he.Code)
	}
	return http.StatusInternalServerError, &apperr.Error{Kind: apperr.KindInternal, Code: "internal_error",
		Message: "An unexpected error occurred."}
}

func fromHTTPStatus(status int) (int, *apperr.Error) {
	switch status {
	case http.StatusNotFound:
		return status, apperr.NotFound("not_found", "No such resource.")
	case http.StatusMethodNotAllowed:
		return status, &apperr.Error{Code: "method_not_allowed", Message: "The method is not allowed on this resource."}
	case http.StatusRequestEntityTooLarge:
		return status, &apperr.Error{Code: "payload_too_large", Message: "The request body is over 1 MiB."}
	case http.StatusUnsupportedMediaType:
		return status, &apperr.Error{Code: "unsupported_media_type", Message: "The request body must be application/json."}
	case http.StatusUnauthorized:
		return status, apperr.ErrUnauthorized
	case http.StatusBadRequest:
		return status, apperr.Invalid("malformed_request", "The request could not be read.")
	case http.StatusServiceUnavailable:
		return status, apperr.ErrUnavailable
	}
	if status >= 400 && status < 500 {
		return status, &apperr.Error{Code: strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_"),
			Message: http.StatusText(status)}
	}
	return http.StatusInternalServerError, &apperr.Error{Code: "internal_error", Message: "An unexpected error occurred."}
}

// fromValidation translates kin-openapi request validation errors into field errors.
func fromValidation(err error) (int, *apperr.Error, bool) {
	var errs []error
	var me openapi3.MultiError
	if errors.As(err, &me) {
		errs = me
	} else {
		errs = []error{err}
	}
	out := &apperr.Error{Kind: apperr.KindInvalid, Code: "validation_failed", Message: "The request does not match the schema."}
	found := false
	for _, e := range errs {
		var re *openapi3filter.RequestError
		if !errors.As(e, &re) {
			continue
		}
		found = true
		var he *echo.HTTPError
		if errors.As(re.Err, &he) && he.Code == http.StatusRequestEntityTooLarge {
			s, ae := fromHTTPStatus(http.StatusRequestEntityTooLarge)
			return s, ae, true
		}
		switch {
		case re.RequestBody != nil && strings.HasPrefix(re.Reason, "header Content-Type has unexpected value"):
			s, ae := fromHTTPStatus(http.StatusUnsupportedMediaType)
			return s, ae, true
		case re.RequestBody != nil && re.Reason == "failed to decode request body":
			return http.StatusBadRequest, apperr.Invalid("malformed_request", "The request body is not valid JSON."), true
		}
		out.Fields = append(out.Fields, fieldErrors(re)...)
	}
	if !found {
		return 0, nil, false
	}
	return http.StatusBadRequest, out, true
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
