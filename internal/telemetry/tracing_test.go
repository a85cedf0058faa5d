package telemetry_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/platform"
	"github.com/minicrm/crm/internal/telemetry"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// syncBuffer is a log sink the server's goroutines write to while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) lines() []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

func attr(s sdktrace.ReadOnlySpan, key string) (string, bool) {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.String(), true
		}
	}
	return "", false
}

func TestTracing_RequestSpanCarriesRouteStatusOrganizationWithSQLChildrenAndLogTraceID(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	cfg, err := platform.PoolConfig(apptest.NewDatabaseURL(t), platform.PoolOptions{Tracer: telemetry.PgxTracer(tp)})
	require.NoError(t, err)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	logs := &syncBuffer{}
	h, _, err := apptest.NewHandler(pool, apptest.Options{TracerProvider: tp, Log: slog.New(slog.NewJSONHandler(logs, nil))})
	require.NoError(t, err)
	api := httptest.NewServer(h)
	t.Cleanup(api.Close)

	token, org := register(t, api.URL)
	// The caller's trace goes on: the request's span joins the trace of its traceparent.
	const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	require.Equal(t, http.StatusOK, call(t, http.MethodGet, api.URL+"/api/v1/contacts", nil, nil,
		"Authorization", "Bearer "+token, "X-Organization-Id", org.String(),
		"traceparent", "00-"+callerTrace+"-00f067aa0ba902b7-01"))

	var server sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.SpanKind() == trace.SpanKindServer && s.Name() == "GET /api/v1/contacts" {
			server = s
		}
	}
	require.NotNil(t, server, "a server span named by the route template")
	assert.Equal(t, callerTrace, server.SpanContext().TraceID().String())
	route, _ := attr(server, "http.route")
	assert.Equal(t, "/api/v1/contacts", route)
	status, _ := attr(server, "http.response.status_code")
	assert.Equal(t, "200", status)
	orgAttr, _ := attr(server, string(telemetry.OrganizationKey))
	assert.Equal(t, org.String(), orgAttr)

	// Every span under the request's, SQL statements among them.
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		byID[s.SpanContext().SpanID()] = s
	}
	under := func(s sdktrace.ReadOnlySpan) bool {
		for p := s.Parent(); p.IsValid(); {
			if p.SpanID() == server.SpanContext().SpanID() {
				return true
			}
			parent, ok := byID[p.SpanID()]
			if !ok {
				return false
			}
			p = parent.Parent()
		}
		return false
	}
	var statements []string
	for _, s := range rec.Ended() {
		if q, ok := attr(s, "db.query.text"); ok && under(s) {
			statements = append(statements, q)
			assert.Equal(t, trace.SpanKindClient, s.SpanKind())
		}
	}
	assert.NotEmpty(t, statements, "the request's SQL statements are spans under its span")

	var logged bool
	for _, l := range logs.lines() {
		if l["msg"] == "request" && l["route"] == "/api/v1/contacts" {
			logged = true
			assert.Equal(t, callerTrace, l["trace_id"])
		}
	}
	assert.True(t, logged, "the request's log line")
}

func TestTracing_OffWithoutAnEndpoint(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	tp, stop, err := telemetry.StartTracing(context.Background(), "test", slog.Default())
	require.NoError(t, err)
	assert.Nil(t, tp)
	assert.NoError(t, stop(context.Background()))
	assert.False(t, telemetry.TracingEnabled())

	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
	t.Setenv("OTEL_SDK_DISABLED", "true")
	assert.False(t, telemetry.TracingEnabled(), "OTEL_SDK_DISABLED wins")
}

func TestTracing_ExportsToTheOTLPEndpoint(t *testing.T) {
	var (
		mu   sync.Mutex
		got  []*coltracepb.ExportTraceServiceRequest
		path string
	)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := &coltracepb.ExportTraceServiceRequest{}
		if err := proto.Unmarshal(body, req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got, path = append(got, req), r.URL.Path
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(nil)
	}))
	t.Cleanup(collector.Close)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_SDK_DISABLED", "")
	t.Setenv("OTEL_SERVICE_NAME", "")
	prev, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	t.Cleanup(func() { otel.SetTracerProvider(prev); otel.SetTextMapPropagator(prevProp) })

	tp, stop, err := telemetry.StartTracing(context.Background(), "v9.9.9", slog.Default())
	require.NoError(t, err)
	require.NotNil(t, tp)
	_, span := otel.Tracer("test").Start(context.Background(), "exported")
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, stop(ctx))

	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, got)
	assert.Equal(t, "/v1/traces", path)
	rs := got[0].GetResourceSpans()[0]
	res := map[string]string{}
	for _, kv := range rs.GetResource().GetAttributes() {
		res[kv.GetKey()] = kv.GetValue().GetStringValue()
	}
	assert.Equal(t, "crm", res["service.name"])
	assert.Equal(t, "v9.9.9", res["service.version"])
	assert.Equal(t, "exported", rs.GetScopeSpans()[0].GetSpans()[0].GetName())
}
