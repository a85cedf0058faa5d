// Package httpapi is the HTTP edge of the service: it fills in the generated strict-server
// interface, validates every request against openapi.yaml, authenticates, resolves the tenant,
// and renders errors as problem+json. Handlers only translate; the rules live in the domain.
package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	crmroot "github.com/minicrm/crm"
	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/auth"
	"github.com/minicrm/crm/internal/crm"
	"github.com/minicrm/crm/internal/docs"
	"github.com/minicrm/crm/internal/orgs"
	"github.com/minicrm/crm/internal/tenancy"
	echomw "github.com/oapi-codegen/echo-middleware"
)

var (
	errNoEchoContext = errors.New("validator ran without an echo context")
	errUnknownScheme = errors.New("unknown security scheme in openapi.yaml")
)

// BodyLimit is the largest request body accepted.
const BodyLimit = "1M"

// Deps are what the HTTP layer needs.
type Deps struct {
	Pool   *pgxpool.Pool
	Tokens *auth.Tokens
	Log    *slog.Logger
	// RequestTimeout bounds one request's work; zero means 30 s.
	RequestTimeout time.Duration
}

// Server implements api.StrictServerInterface.
type Server struct {
	pool *pgxpool.Pool
	auth *auth.Service
	orgs *orgs.Service
	crm  *crm.Service
}

var _ api.StrictServerInterface = (*Server)(nil)

func init() {
	// Format checks the spec relies on. kin-openapi registers only date, date-time and byte itself.
	openapi3.DefineStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562))
	openapi3.DefineStringFormatValidator("email", openapi3.NewCallbackValidator(validEmail))
}

// validEmail accepts a bare address (no display name, no comments) with a dotted domain.
func validEmail(s string) error {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return errors.New("must be a valid email address")
	}
	_, domain, _ := strings.Cut(s, "@")
	if !strings.Contains(domain, ".") || strings.HasSuffix(domain, ".") {
		return errors.New("must be a valid email address")
	}
	return nil
}

// New builds the echo application: middleware, validator, handlers.
func New(d Deps) (*echo.Echo, error) {
	spec, err := api.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("load embedded spec: %w", err)
	}
	guards, err := operationGuards(spec)
	if err != nil {
		return nil, err
	}
	if d.RequestTimeout == 0 {
		d.RequestTimeout = 30 * time.Second
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(d.Log)

	e.Use(requestIDMiddleware)
	e.Use(requestLogger(d.Log))
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisablePrintStack: true, LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
		d.Log.ErrorContext(c.Request().Context(), "panic", "request_id", requestID(c), "error", err.Error(), "stack", string(stack))
		return err
	}}))
	e.Use(securityHeaders)
	e.Use(middleware.BodyLimit(BodyLimit))
	e.Use(timeoutContext(d.RequestTimeout))
	e.Use(echomw.OapiRequestValidatorWithOptions(spec, &echomw.Options{
		Options: openapi3filter.Options{
			AuthenticationFunc: authenticate(d.Tokens),
			KeepValidatedValue: true,
			MultiError:         true,
		},
		MultiErrorHandler:     multiErrorHandler,
		SilenceServersWarning: true,
		// Routes echo does not know (and the docs later) are not the validator's business: echo
		// answers them with 404/405 itself.
		Skipper: func(c echo.Context) bool { return !guards.known(c.Request().Method, c.Path()) },
	}))
	e.Use(resolveCaller(tenancy.Resolver{Q: db.New(d.Pool)}))
	e.Use(rejectNUL)

	s := &Server{
		pool: d.Pool,
		auth: auth.NewService(d.Pool, d.Tokens),
		orgs: orgs.NewService(d.Pool),
		crm:  crm.NewService(d.Pool),
	}
	api.RegisterHandlers(e, api.NewStrictHandler(s, []api.StrictMiddlewareFunc{guards.middleware}))

	specJSON, err := api.GetSpecJSON()
	if err != nil {
		return nil, fmt.Errorf("embedded spec as JSON: %w", err)
	}
	docs.Register(e, specJSON, crmroot.OpenAPIYAML)
	return e, nil
}

// multiErrorHandler keeps an authentication or tenant-header failure ahead of schema errors:
// anonymous callers learn nothing about the schema of a protected operation.
func multiErrorHandler(me openapi3.MultiError) *echo.HTTPError {
	for _, err := range me {
		var sre *openapi3filter.SecurityRequirementsError
		if errors.As(err, &sre) {
			for _, inner := range sre.Errors {
				var he *echo.HTTPError
				if errors.As(inner, &he) {
					return he
				}
			}
			return echo.NewHTTPError(401).SetInternal(err)
		}
	}
	return echo.NewHTTPError(400).SetInternal(me)
}
