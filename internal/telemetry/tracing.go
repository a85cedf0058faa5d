package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/exaring/otelpgx"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	// Deprecated upstream in favour of labstack's echo-opentelemetry, whose echo v4 module the
	// module proxy refused here (wave-2 stack notes); v0.71 works with echo v4.
	"go.opentelemetry.io/contrib/instrumentation/github.com/labstack/echo/otelecho" //nolint:staticcheck // see above
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// ServiceName is the service.name of the traces unless OTEL_SERVICE_NAME says otherwise.
const ServiceName = "crm"

// TracingEnabled reports whether the standard OpenTelemetry variables ask for traces: an OTLP
// endpoint is named (OTEL_EXPORTER_OTLP_ENDPOINT, or its traces-only form) and the SDK is not
// switched off (OTEL_SDK_DISABLED=true).
func TracingEnabled() bool {
	if strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// StartTracing builds the tracer provider that exports to the OTLP/HTTP endpoint of the standard
// OTEL_* variables (endpoint, headers, timeout, sampler, resource attributes: the exporter and the
// SDK read them), and makes it and the W3C trace-context propagator the process's globals. When
// TracingEnabled is false it returns a nil provider and a no-op shutdown: nothing is traced and the
// request path pays nothing. Export failures are logged on log, never fatal.
func StartTracing(ctx context.Context, version string, log *slog.Logger) (*sdktrace.TracerProvider, func(context.Context) error, error) {
	if !TracingEnabled() {
		return nil, func(context.Context) error { return nil }, nil
	}
	proto := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	if proto != "" && proto != "http/protobuf" {
		return nil, nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%s is not supported: the service exports "+
			"OTLP over HTTP (http/protobuf, usually port 4318)", proto)
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	// Our name and version first, then the SDK's own attributes and OTEL_SERVICE_NAME /
	// OTEL_RESOURCE_ATTRIBUTES, which win.
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", ServiceName), attribute.String("service.version", version)),
		resource.WithTelemetrySDK(), resource.WithFromEnv())
	if err != nil {
		return nil, nil, fmt.Errorf("trace resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	// Otherwise an unreachable collector is a plain-text line from the standard logger.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("opentelemetry", "error", err.Error())
	}))
	return tp, tp.Shutdown, nil
}

// EchoMiddleware starts a server span per request (otelecho: named "METHOD /route/template", with
// the route and the status) on tp, continuing the caller's trace from its traceparent header.
func EchoMiddleware(tp trace.TracerProvider) echo.MiddlewareFunc {
	return otelecho.Middleware(ServiceName, otelecho.WithTracerProvider(tp),
		otelecho.WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})))
}

// PgxTracer makes a span per SQL statement (and per pool acquire and connect) under the request's
// span (otelpgx). The statement is recorded; its arguments never are.
func PgxTracer(tp trace.TracerProvider) pgx.QueryTracer {
	return otelpgx.NewTracer(otelpgx.WithTracerProvider(tp))
}

// OrganizationKey is the attribute naming the organization a request acts in.
const OrganizationKey = attribute.Key("crm.organization_id")

// AnnotateRequest adds what only the application knows to the request's span: the organization.
// It costs nothing when the request is not traced.
func AnnotateRequest(ctx context.Context, org uuid.UUID) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(OrganizationKey.String(org.String()))
	}
}

// TraceID is the trace the request belongs to, for its log line; "" when it is not traced.
func TraceID(ctx context.Context) string {
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		return sc.TraceID().String()
	}
	return ""
}
