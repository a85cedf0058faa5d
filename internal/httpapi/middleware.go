package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/auth"
	"github.com/minicrm/crm/internal/telemetry"
	"github.com/minicrm/crm/internal/tenancy"
	echomw "github.com/oapi-codegen/echo-middleware"
)

const (
	headerOrganization = "X-Organization-Id"
	ctxPrincipal       = "crm.principal"
	ctxOrganization    = "crm.organization"
	ctxOrgForLog       = "crm.organization_log"
)

var (
	requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
	// Only the canonical 36-character form: alternate spellings that uuid.Parse would accept
	// ("{...}", "urn:uuid:...", 32 hex digits) are rejected rather than reinterpreted.
	canonicalUUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

	errOrgHeaderRequired = apperr.Invalid("organization_header_required", "The X-Organization-Id header is required.")
	errOrgHeaderInvalid  = apperr.Invalid("invalid_organization_header", "X-Organization-Id must be one organization id (a UUID).")
)

// requestIDMiddleware accepts a well-formed X-Request-Id or makes one, and echoes it.
func requestIDMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !requestIDPattern.MatchString(id) {
			id = uuid.NewString()
		}
		c.Request().Header.Set(echo.HeaderXRequestID, id)
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		return next(c)
	}
}

func requestID(c echo.Context) string { return c.Response().Header().Get(echo.HeaderXRequestID) }

// securityHeaders marks every answer nosniff and keeps authenticated data out of shared caches.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if strings.HasPrefix(c.Request().URL.Path, "/api/") {
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// requestLogger writes one structured line per request.
func requestLogger(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogMethod: true, LogRoutePath: true, LogLatency: true, LogRequestID: true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			attrs := []slog.Attr{
				slog.String("request_id", requestID(c)),
				slog.String("method", v.Method),
				slog.String("route", v.RoutePath),
				slog.Int("status", v.Status),
				slog.Float64("duration_ms", float64(v.Latency.Microseconds())/1000),
			}
			ctx := c.Request().Context()
			if org, ok := c.Get(ctxOrgForLog).(uuid.UUID); ok {
				attrs = append(attrs, slog.String("organization_id", org.String()))
				telemetry.AnnotateRequest(ctx, org)
			}
			if id := telemetry.TraceID(ctx); id != "" {
				attrs = append(attrs, slog.String("trace_id", id))
			}
			log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
			return nil
		},
	})
}

// authenticate is the validator's AuthenticationFunc: the spec decides which operations need
// which scheme. It only verifies what the request carries (an access token through the token
// service's verified-token cache, Tokens.VerifyCached, which accepts a token exactly as long as
// Verify would); the session and membership are checked against the database after validation,
// in resolveCaller, on every request. Its errors are *apperr.Error, which
// validatorError puts ahead of any schema error.
func authenticate(tokens *auth.Tokens) openapi3filter.AuthenticationFunc {
	return func(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
		c := echomw.GetEchoContext(ctx)
		if c == nil {
			return apperr.ErrInternal.WithCause(errors.New("validator ran without an echo context"))
		}
		req := in.RequestValidationInput.Request
		switch in.SecuritySchemeName {
		case "bearerAuth":
			raw, ok := bearerToken(req.Header.Values(echo.HeaderAuthorization))
			if !ok {
				return apperr.ErrUnauthorized
			}
			claims, err := tokens.VerifyCached(auth.KindAccess, raw)
			if err != nil {
				return apperr.ErrUnauthorized.WithCause(err)
			}
			c.Set(ctxPrincipal, tenancy.Principal{UserID: claims.UserID, SessionID: claims.SessionID})
			return nil
		case "organizationHeader":
			values := req.Header.Values(headerOrganization)
			// Absent is "required"; present but empty or blank is a malformed value like any other.
			if len(values) == 0 {
				return errOrgHeaderRequired
			}
			if len(values) > 1 || !canonicalUUID.MatchString(values[0]) {
				return errOrgHeaderInvalid
			}
			c.Set(ctxOrganization, uuid.MustParse(values[0]))
			return nil
		}
		return apperr.ErrInternal.WithCause(fmt.Errorf("unknown security scheme %q in openapi.yaml", in.SecuritySchemeName))
	}
}

func bearerToken(values []string) (string, bool) {
	if len(values) != 1 {
		return "", false
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// resolveCaller runs after validation. For an authenticated request it checks in the database that
// the session is alive and, when the request acts in an organization (header or path), resolves the
// caller's role in it, in the same query. Principal and membership go into the request context,
// where the strict handlers can see them.
func resolveCaller(res tenancy.Resolver) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p, ok := c.Get(ctxPrincipal).(tenancy.Principal)
			if !ok {
				return next(c)
			}
			ctx := tenancy.WithPrincipal(c.Request().Context(), p)
			orgID, hasOrg := c.Get(ctxOrganization).(uuid.UUID)
			if !hasOrg {
				if raw := c.Param("organization_id"); raw != "" {
					id, err := uuid.Parse(raw)
					if err != nil {
						return apperr.Validation("organization_id", "must be a UUID")
					}
					orgID, hasOrg = id, true
				}
			}
			if hasOrg {
				c.Set(ctxOrgForLog, orgID)
				m, err := res.Membership(ctx, p, orgID)
				if err != nil {
					return err
				}
				ctx = tenancy.WithMembership(ctx, m)
			} else if err := res.Session(ctx, p); err != nil {
				return err
			}
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}

// rejectNUL refuses query parameters that hold U+0000, which no PostgreSQL text value can.
func rejectNUL(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		for name, values := range c.QueryParams() {
			for _, v := range values {
				if strings.ContainsRune(v, 0) {
					return apperr.Validation(name, "must not contain the NUL character")
				}
			}
		}
		return next(c)
	}
}

// errRequestTimeout is the cause of a request's own deadline: it tells the request running out of
// time apart from a client that went away.
var errRequestTimeout = errors.New("request timeout")

// requestContext gives the request the context its handlers see — its deadline, the client's
// address (for the login throttle) and User-Agent (kept with sessions), in one copy of the
// request — and bounds the work the request may cause. When the request's own deadline has passed
// and the handler failed — a query cut short, a pool or lock wait given up, or whatever the
// interruption turned into (500, 503) — the answer is 503 timeout with Retry-After, written while
// the connection can still take it (the deadline is below the server's write timeout). An answer
// the handler already gave, or a client error it found in time, stands.
func requestContext(d time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx, cancel := context.WithTimeoutCause(c.Request().Context(), d, errRequestTimeout)
			defer cancel()
			c.SetRequest(c.Request().WithContext(withClient(ctx, c.RealIP(), c.Request().UserAgent())))
			err := next(c)
			if err == nil || !errors.Is(context.Cause(ctx), errRequestTimeout) {
				return err
			}
			if ae, ok := apperr.As(err); ok && statusOf[ae.Kind] < 500 && !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			return errTimeout.WithCause(err)
		}
	}
}

// The request headers of the API a browser may send cross-origin, and the answer headers its
// scripts may read.
var (
	corsAllowHeaders = []string{echo.HeaderAuthorization, headerOrganization, echo.HeaderContentType,
		"Idempotency-Key", "If-Match", "If-None-Match", echo.HeaderXRequestID}
	corsExposeHeaders = []string{echo.HeaderXRequestID, "RateLimit", "RateLimit-Policy", echo.HeaderRetryAfter,
		"ETag", echo.HeaderLocation, echo.HeaderWWWAuthenticate}
)

// cors lets the listed origins (exact scheme://host[:port], no wildcards) call the service from a
// browser. Tokens travel in the Authorization header, never in cookies, so credentials stay off.
// Preflights are answered here, before the body limit, the validator and authentication.
func cors(origins []string) echo.MiddlewareFunc {
	return middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOriginFunc: func(origin string) (bool, error) { return slices.Contains(origins, origin), nil },
		AllowMethods:    []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPatch, http.MethodDelete},
		AllowHeaders:    corsAllowHeaders,
		ExposeHeaders:   corsExposeHeaders,
		MaxAge:          600,
	})
}
