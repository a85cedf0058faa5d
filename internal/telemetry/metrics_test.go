package telemetry_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/telemetry"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scrape reads the metrics server like Prometheus does and parses the text format.
func scrape(t *testing.T, addr string) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(raw)))
	require.NoError(t, err)
	return families, string(raw)
}

// sample finds the series of family with exactly labels, or nil.
func sample(f *dto.MetricFamily, labels map[string]string) *dto.Metric {
	if f == nil {
		return nil
	}
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		ok := true
		for _, l := range m.GetLabel() {
			if labels[l.GetName()] != l.GetValue() {
				ok = false
			}
		}
		if ok {
			return m
		}
	}
	return nil
}

func TestMetrics_ScrapeShowsRequestsByRouteTemplatePoolAndRuntime(t *testing.T) {
	t.Parallel()
	pool := apptest.NewPool(t)
	m := telemetry.NewMetrics()
	require.NoError(t, m.RegisterPool("api", pool))
	h, _, err := apptest.NewHandler(pool, apptest.Options{Metrics: m})
	require.NoError(t, err)
	api := httptest.NewServer(h)
	t.Cleanup(api.Close)
	srv, err := telemetry.ListenMetrics("127.0.0.1:0", m, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })

	token, org := register(t, api.URL)
	auth := []string{"Authorization", "Bearer " + token, "X-Organization-Id", org.String()}
	require.Equal(t, http.StatusOK, call(t, http.MethodGet, api.URL+"/healthz", nil, nil))
	require.Equal(t, http.StatusOK, call(t, http.MethodGet, api.URL+"/healthz", nil, nil))
	require.Equal(t, http.StatusOK, call(t, http.MethodGet, api.URL+"/api/v1/contacts", nil, nil, auth...))
	// Two different ids, one series: the label is the route template. The domain's "not found"
	// is counted as the 404 the client got.
	for range 2 {
		require.Equal(t, http.StatusNotFound,
			call(t, http.MethodGet, api.URL+"/api/v1/contacts/"+uuid.NewString(), nil, nil, auth...))
	}
	require.Equal(t, http.StatusUnauthorized, call(t, http.MethodGet, api.URL+"/api/v1/contacts", nil, nil))
	require.Equal(t, http.StatusNotFound, call(t, http.MethodGet, api.URL+"/no/such/path/4711", nil, nil))

	families, text := scrape(t, srv.Addr())
	requests := families["http_requests_total"]
	require.NotNil(t, requests, text)
	count := func(route, method, status string) float64 {
		s := sample(requests, map[string]string{"route": route, "method": method, "status": status})
		if s == nil {
			return 0
		}
		return s.GetCounter().GetValue()
	}
	assert.Equal(t, 1.0, count("/api/v1/auth/register", "POST", "201"))
	assert.Equal(t, 2.0, count("/healthz", "GET", "200"))
	assert.Equal(t, 1.0, count("/api/v1/contacts", "GET", "200"))
	assert.Equal(t, 1.0, count("/api/v1/contacts", "GET", "401"))
	assert.Equal(t, 2.0, count("/api/v1/contacts/:contact_id", "GET", "404"))
	assert.Equal(t, 1.0, count("unmatched", "GET", "404"))
	assert.NotContains(t, text, "4711", "a raw URL must never become a label")

	hist := sample(families["http_request_duration_seconds"], map[string]string{"route": "/healthz", "method": "GET", "status": "200"})
	require.NotNil(t, hist)
	assert.Equal(t, uint64(2), hist.GetHistogram().GetSampleCount())
	assert.Positive(t, hist.GetHistogram().GetSampleSum())
	assert.NotEmpty(t, hist.GetHistogram().GetBucket())

	inFlight := families["http_requests_in_flight"]
	require.NotNil(t, inFlight)
	assert.Equal(t, 0.0, inFlight.GetMetric()[0].GetGauge().GetValue())

	for _, name := range []string{"db_pool_acquired_conns", "db_pool_idle_conns", "db_pool_total_conns",
		"db_pool_max_conns", "db_pool_acquire_count_total", "db_pool_acquire_duration_seconds_total"} {
		require.NotNil(t, sample(families[name], map[string]string{"pool": "api"}), name)
	}
	assert.Equal(t, float64(pool.Stat().MaxConns()), sample(families["db_pool_max_conns"], map[string]string{"pool": "api"}).GetGauge().GetValue())
	assert.Positive(t, sample(families["db_pool_acquire_count_total"], map[string]string{"pool": "api"}).GetCounter().GetValue())
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_cpu_seconds_total", "process_resident_memory_bytes"} {
		assert.Contains(t, families, name)
	}
}

func TestMetrics_InFlightCountsRequestsUnderWay(t *testing.T) {
	t.Parallel()
	m := telemetry.NewMetrics()
	e := echo.New()
	e.Use(m.Middleware())
	entered, release := make(chan struct{}), make(chan struct{})
	e.GET("/slow", func(c echo.Context) error {
		entered <- struct{}{}
		<-release
		return c.NoContent(http.StatusNoContent)
	})
	api := httptest.NewServer(e)
	t.Cleanup(api.Close)
	srv, err := telemetry.ListenMetrics("127.0.0.1:0", m, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })

	done := make(chan int, 2)
	for range 2 {
		go func() {
			resp, err := http.Get(api.URL + "/slow")
			if err != nil {
				done <- 0
				return
			}
			_ = resp.Body.Close()
			done <- resp.StatusCode
		}()
	}
	<-entered
	<-entered
	families, _ := scrape(t, srv.Addr())
	assert.Equal(t, 2.0, families["http_requests_in_flight"].GetMetric()[0].GetGauge().GetValue())
	close(release)
	for range 2 {
		assert.Equal(t, http.StatusNoContent, <-done)
	}
	families, _ = scrape(t, srv.Addr())
	assert.Equal(t, 0.0, families["http_requests_in_flight"].GetMetric()[0].GetGauge().GetValue())
}

func TestMetricsServer_ServesOnlyMetricsAndStops(t *testing.T) {
	t.Parallel()
	srv, err := telemetry.ListenMetrics("127.0.0.1:0", telemetry.NewMetrics(), nil)
	require.NoError(t, err)
	resp, err := http.Get("http://" + srv.Addr() + "/api/v1/contacts")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, srv.Shutdown(ctx))
	_, err = http.Get("http://" + srv.Addr() + "/metrics")
	assert.Error(t, err, "the listener is closed after Shutdown")
}

// BenchmarkMetricsMiddleware measures what the middleware adds to a request: compare
// /with to /without (same echo, same handler).
func BenchmarkMetricsMiddleware(b *testing.B) {
	for _, withMetrics := range []bool{false, true} {
		name := "without"
		if withMetrics {
			name = "with"
		}
		b.Run(name, func(b *testing.B) {
			e := echo.New()
			if withMetrics {
				e.Use(telemetry.NewMetrics().Middleware())
			}
			e.GET("/api/v1/contacts/:contact_id", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
			req := httptest.NewRequest(http.MethodGet, "/api/v1/contacts/01a22e51-57d7-7c03-83fe-a68875711373", nil)
			b.ReportAllocs()
			for b.Loop() {
				e.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
