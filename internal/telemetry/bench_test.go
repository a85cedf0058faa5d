package telemetry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/platform"
	"github.com/minicrm/crm/internal/telemetry"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// BenchmarkRequestPath is one authenticated list request (token, validation, membership query,
// page query, JSON) through the real service on PostgreSQL, served in process, as the service
// runs it with no telemetry, with metrics, and with metrics and tracing (every span recorded, then
// dropped: the cost of the instrumentation without an exporter's). Numbers are reported, never
// asserted: go test -run '^$' -bench RequestPath -benchmem ./internal/telemetry
func BenchmarkRequestPath(b *testing.B) {
	url := apptest.NewDatabaseURL(b)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	variants := []struct {
		name string
		opts func() (apptest.Options, platform.PoolOptions)
	}{
		{"plain", func() (apptest.Options, platform.PoolOptions) { return apptest.Options{}, platform.PoolOptions{} }},
		{"metrics", func() (apptest.Options, platform.PoolOptions) {
			return apptest.Options{Metrics: telemetry.NewMetrics()}, platform.PoolOptions{}
		}},
		{"metrics+tracing", func() (apptest.Options, platform.PoolOptions) {
			return apptest.Options{Metrics: telemetry.NewMetrics(), TracerProvider: tp}, platform.PoolOptions{Tracer: telemetry.PgxTracer(tp)}
		}},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			o, po := v.opts()
			cfg, err := platform.PoolConfig(url, po)
			if err != nil {
				b.Fatal(err)
			}
			pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer pool.Close()
			h, _, err := apptest.NewHandler(pool, o)
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			token, org := register(b, srv.URL)
			req := httptest.NewRequest(http.MethodGet, "/api/v1/contacts", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("X-Organization-Id", org.String())
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req.Clone(context.Background()))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
