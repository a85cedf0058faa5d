package apptest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/httpapi"
)

// contractTransport validates every response against openapi.yaml (status code declared, headers
// and body match the schema) and records which (operation, status) pairs the tests produced.
type contractTransport struct {
	t      testing.TB
	next   http.RoundTripper
	router routers.Router
}

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error

	coverageMu sync.Mutex
	coverage   = map[string]map[int]bool{} // operationId -> statuses seen
)

func loadRouter() (routers.Router, error) {
	specOnce.Do(func() {
		var spec *openapi3.T
		spec, specErr = api.GetSpec()
		if specErr != nil {
			return
		}
		// Host-agnostic matching: the test server listens on a random port.
		spec.Servers = openapi3.Servers{{URL: "/"}}
		specRouter, specErr = gorillamux.NewRouter(spec)
	})
	return specRouter, specErr
}

func newContractTransport(t testing.TB) http.RoundTripper {
	r, err := loadRouter()
	if err != nil {
		t.Fatalf("load spec router: %v", err)
	}
	return &contractTransport{t: t, next: http.DefaultTransport, router: r}
}

func (ct *contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := ct.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))

	route, params, ferr := ct.router.FindRoute(req)
	if ferr != nil {
		// Requests to routes outside the spec (unknown paths, wrong methods) have no contract;
		// the tests that send them assert the answer themselves.
		return resp, nil //nolint:nilerr // no contract to check is not a failed round trip
	}
	record(route.Operation.OperationID, resp.StatusCode)
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: vreq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status:  resp.StatusCode,
		Header:  resp.Header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, SchemaValidationOptions: httpapi.SchemaOptions()},
	}
	if verr := openapi3filter.ValidateResponse(context.Background(), in); verr != nil {
		ct.t.Errorf("contract violation: %s %s -> %d: %v\nbody: %s", req.Method, req.URL.Path, resp.StatusCode, verr, truncate(body))
	}
	return resp, nil
}

func record(op string, status int) {
	coverageMu.Lock()
	defer coverageMu.Unlock()
	if coverage[op] == nil {
		coverage[op] = map[int]bool{}
	}
	coverage[op][status] = true
}

// Coverage returns the statuses the tests of this process produced, per operation.
func Coverage() map[string][]int {
	coverageMu.Lock()
	defer coverageMu.Unlock()
	out := map[string][]int{}
	for op, sts := range coverage {
		for s := range sts {
			out[op] = append(out[op], s)
		}
		sort.Ints(out[op])
	}
	return out
}

func truncate(b []byte) string {
	s := string(b)
	if len(s) > 2000 {
		s = s[:2000] + "…"
	}
	return strings.TrimSpace(s)
}

// WriteCoverage appends "operationId status" lines of this test process to path (no-op when path
// is empty), for the coverage gate that compares them with the statuses openapi.yaml documents.
func WriteCoverage(path string) {
	if path == "" {
		return
	}
	var b strings.Builder
	for op, sts := range Coverage() {
		for _, s := range sts {
			fmt.Fprintf(&b, "%s %d\n", op, s)
		}
	}
	// One append per test binary: packages run in parallel and share the file.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600) //nolint:gosec // path from CONTRACT_COVERAGE_FILE
	if err == nil {
		_, err = f.WriteString(b.String())
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "contract coverage:", err)
	}
}
