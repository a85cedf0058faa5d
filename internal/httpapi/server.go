// Package httpapi is the HTTP edge of the service: it fills in the generated strict-server
// interface, validates every request against openapi.yaml, authenticates, resolves the tenant,
// and renders errors as problem+json. Handlers only translate; the rules live in the domain, and
// the services come ready-made from the caller (cmd/crm wires them).
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/minicrm/crm"
	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/auth"
	"github.com/minicrm/crm/internal/crm"
	"github.com/minicrm/crm/internal/docs"
	"github.com/minicrm/crm/internal/idempotency"
	"github.com/minicrm/crm/internal/orgs"
	"github.com/minicrm/crm/internal/paging"
	"github.com/minicrm/crm/internal/platform"
	"github.com/minicrm/crm/internal/telemetry"
	"github.com/minicrm/crm/internal/tenancy"
	"github.com/minicrm/crm/internal/webhooks"
	echomw "github.com/oapi-codegen/echo-middleware"
	"go.opentelemetry.io/otel/trace"
)

// BodyLimit is the largest request body accepted: 1 MiB, 1,048,576 bytes ("1M" would be decimal,
// 1,000,000 bytes, in echo's notation).
const BodyLimit = "1MiB"

// DefaultRequestTimeout bounds a request's work when Deps.RequestTimeout is zero. It stays below the
// server's write timeout (30 s in cmd/crm), so a request that runs out of time still gets its 503.
const DefaultRequestTimeout = 25 * time.Second

// Pinger answers whether the database is reachable (the readiness probe).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps are the services the HTTP layer serves.
type Deps struct {
	Auth *auth.Service
	Orgs *orgs.Service
	CRM  *crm.Service
	// Webhooks are the organization's webhook subscriptions and deliveries (required).
	Webhooks *webhooks.Service
	Callers  tenancy.Resolver // sessions and memberships, checked on every authenticated request
	Ready    Pinger
	Log      *slog.Logger
	// RequestTimeout bounds one request's work; past it the answer is 503 timeout. Zero means
	// DefaultRequestTimeout. It must be below the HTTP server's write timeout.
	RequestTimeout time.Duration
	// TrustedProxies are the proxies (TRUSTED_PROXIES) whose X-Forwarded-For entries name the client
	// address; empty: the client address is the socket peer, and forwarding headers are ignored.
	TrustedProxies []*net.IPNet
	// CORSAllowedOrigins are the browser origins (scheme://host[:port]) allowed to call the API
	// cross-origin; empty: no CORS headers at all, browsers keep other origins out.
	CORSAllowedOrigins []string
	// Limits are the rate limits and the per-organization concurrency bound of /api/v1.
	Limits Limits
	// Cursors signs and checks the lists' cursors (required).
	Cursors *paging.Cursors
	// DB is the database the idempotency keys are kept in, and whose request transactions the
	// services join (required).
	DB *platform.DB
	// Metrics counts and times every request (nil: no metrics).
	Metrics *telemetry.Metrics
	// TracerProvider traces every request (nil: no tracing, and no cost).
	TracerProvider trace.TracerProvider
}

// Services are the Deps that follow from the store: the domain services over it, the CRM's changes
// emitting their events to hooks as the API renders the records, the callers resolved and the
// readiness and request transactions on it. cmd/crm and the tests wire the same graph through it
// and add the rest (log, limits, cursors, telemetry).
func Services(store *platform.DB, authSvc *auth.Service, hooks *webhooks.Service) Deps {
	return Deps{
		Auth:     authSvc,
		Orgs:     orgs.NewService(store),
		CRM:      crm.NewService(store).WithEvents(hooks, Renderer{}),
		Webhooks: hooks,
		Callers:  tenancy.Resolver{Q: store.Queries()},
		Ready:    store,
		DB:       store,
	}
}

// Server implements api.StrictServerInterface.
type Server struct {
	ready Pinger
	auth  *auth.Service
	orgs  *orgs.Service
	crm   *crm.Service
	// webhooks are the subscriptions and their deliveries.
	webhooks *webhooks.Service
	// cursors signs and checks the lists' cursors.
	cursors *paging.Cursors
}

var _ api.StrictServerInterface = (*Server)(nil)

// New builds the echo application: middleware, validator, handlers.
func New(d Deps) (*echo.Echo, error) {
	RegisterStrictJSON()
	RegisterCSVBody()
	openAPI, err := api.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("load embedded spec: %w", err)
	}
	guards, err := operationGuards(openAPI)
	if err != nil {
		return nil, err
	}
	if d.Cursors == nil {
		return nil, errors.New("httpapi: Deps.Cursors is required")
	}
	if d.DB == nil {
		return nil, errors.New("httpapi: Deps.DB is required")
	}
	if d.Webhooks == nil {
		return nil, errors.New("httpapi: Deps.Webhooks is required")
	}
	if d.RequestTimeout == 0 {
		d.RequestTimeout = DefaultRequestTimeout
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(d.Log)
	e.IPExtractor = ipExtractor(d.TrustedProxies)

	e.Use(requestIDMiddleware)
	// Outside the logger, which hands errors to the error handler: the span and the metrics then
	// see the status the client got.
	if d.TracerProvider != nil {
		e.Use(telemetry.EchoMiddleware(d.TracerProvider))
	}
	if d.Metrics != nil {
		e.Use(d.Metrics.Middleware())
	}
	e.Use(requestLogger(d.Log))
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisablePrintStack: true, LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
		d.Log.ErrorContext(c.Request().Context(), "panic", "request_id", requestID(c), "error", err.Error(), "stack", string(stack))
		return err
	}}))
	e.Use(securityHeaders)
	if len(d.CORSAllowedOrigins) > 0 {
		e.Use(cors(d.CORSAllowedOrigins))
	}
	// Rate limits count each /api/v1 request once (see ratelimit.go): edge before the body is read,
	// so an anonymous flood costs nothing; tenant once the session and the membership are known.
	limits := newLimiter(d.Auth.Tokens(), guards, d.Limits)
	e.Use(limits.edge)
	e.Use(bodyLimits)
	e.Use(requestContext(d.RequestTimeout))
	e.Use(limits.queue)
	e.Use(echomw.OapiRequestValidatorWithOptions(openAPI, &echomw.Options{
		Options: openapi3filter.Options{
			AuthenticationFunc:      authenticate(d.Auth.Tokens()),
			KeepValidatedValue:      true,
			MultiError:              true,
			SchemaValidationOptions: SchemaOptions(),
		},
		MultiErrorHandler: multiErrorHandler,
		// The multi-error handler already made the failure an *apperr.Error: pass it on as itself.
		ErrorHandler: func(_ echo.Context, he *echo.HTTPError) error {
			if ae, ok := apperr.As(he); ok {
				return ae
			}
			return fromEcho(he)
		},
		SilenceServersWarning: true,
		// Routes echo does not know (and the docs later) are not the validator's business: echo
		// answers them with 404/405 itself.
		Skipper: func(c echo.Context) bool { return !guards.known(c.Request().Method, c.Path()) },
	}))
	e.Use(resolveCaller(d.Callers))
	e.Use(limits.tenant)
	e.Use(rejectNUL)
	// Past every check: a key is taken only for a request that reaches its handler.
	e.Use(idempotencyKeys(idempotency.NewStore(d.DB)))

	s := &Server{ready: d.Ready, auth: d.Auth, orgs: d.Orgs, crm: d.CRM, webhooks: d.Webhooks, cursors: d.Cursors}
	api.RegisterHandlers(e, api.NewStrictHandler(s, []api.StrictMiddlewareFunc{listScopes(openAPI), guards.middleware}))

	if err := docs.Register(e, spec.OpenAPIYAML); err != nil {
		return nil, err
	}
	return e, nil
}

// multiErrorHandler turns the validator's findings into one *apperr.Error. An authentication or
// tenant-header failure comes first: anonymous callers learn nothing about the schema of a
// protected operation.
func multiErrorHandler(me openapi3.MultiError) *echo.HTTPError {
	ae := validatorError(me)
	return echo.NewHTTPError(statusOf[ae.Kind]).SetInternal(ae)
}

func validatorError(me openapi3.MultiError) *apperr.Error {
	for _, err := range me {
		var sre *openapi3filter.SecurityRequirementsError
		if errors.As(err, &sre) {
			for _, inner := range sre.Errors {
				if ae, ok := apperr.As(inner); ok {
					return ae
				}
			}
			// kin-openapi reads the body for the security check too: when the body limit ended
			// that read, the body is at fault, not the credentials (413, not 401).
			var he *echo.HTTPError
			if errors.As(sre, &he) && he.Code == http.StatusRequestEntityTooLarge {
				break
			}
			return apperr.ErrUnauthorized.WithCause(err)
		}
	}
	return fromValidation(me)
}
