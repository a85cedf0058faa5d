// Package telemetry is what operators watch the service with: Prometheus metrics (served on a
// listen address of their own, never on the API's) and OpenTelemetry traces (exported only when
// OTEL_EXPORTER_OTLP_ENDPOINT is set).
package telemetry

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the service's own Prometheus registry (never the process-global default one, so two
// services in one test binary cannot collide) with the HTTP metrics the middleware records.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

// NewMetrics registers the HTTP metrics and the Go runtime and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests answered, by route template, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time from the request's routing to its answer, by route template, method and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "status"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "http_requests_in_flight",
			Help: "HTTP requests being worked on now.",
		}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.inFlight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where further collectors (the database pools) go.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// unmatchedRoute is the route label of requests no route matched: the raw path would give an
// attacker one new series per URL.
const unmatchedRoute = "unmatched"

// statusText holds the decimal form of every status code, so labelling a request allocates nothing.
var statusText = func() (s [600]string) {
	for i := range s {
		s[i] = strconv.Itoa(i)
	}
	return s
}()

// Middleware counts and times every request under its route template (echo's c.Path()). It must
// run outside the request logger, which hands a returned error to the error handler: only then is
// the status the one the client got (a domain error becomes 404, not 500).
func (m *Metrics) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			m.inFlight.Inc()
			defer m.inFlight.Dec() // a panic that escapes (net/http survives it) must not leave it counted
			err := next(c)
			status := c.Response().Status
			if err != nil && !c.Response().Committed {
				status = http.StatusInternalServerError
				var he *echo.HTTPError
				if errors.As(err, &he) {
					status = he.Code
				}
			}
			route := c.Path()
			if route == "" || route == "/*" {
				route = unmatchedRoute
			}
			code := "other"
			if status >= 0 && status < len(statusText) {
				code = statusText[status]
			}
			method := c.Request().Method
			if !knownMethod(method) {
				method = "other" // any token is a valid method: keep them out of the labels too
			}
			m.requests.WithLabelValues(route, method, code).Inc()
			m.duration.WithLabelValues(route, method, code).Observe(time.Since(start).Seconds())
			return err
		}
	}
}

func knownMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return true
	}
	return false
}

// MetricsServer serves /metrics on a listen address of its own (METRICS_ADDR).
type MetricsServer struct {
	srv *http.Server
	ln  net.Listener
}

// ListenMetrics listens on addr and serves m's registry at /metrics there until Shutdown; a
// failure of the server is logged on log (nil: slog's default).
func ListenMetrics(addr string, m *Metrics, log *slog.Logger) (*MetricsServer, error) {
	if log == nil {
		log = slog.Default()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	s := &MetricsServer{ln: ln, srv: &http.Server{
		Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second,
	}}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "error", err.Error())
		}
	}()
	return s, nil
}

// Addr is the address the server listens on (the port chosen when METRICS_ADDR ends in :0).
func (s *MetricsServer) Addr() string { return s.ln.Addr().String() }

// Shutdown stops the server, letting a scrape under way finish.
func (s *MetricsServer) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }
