package httpapi

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/auth"
	echomw "github.com/oapi-codegen/echo-middleware"
)

// The request validator of New, isolated from the network and the database. Run with
//
//	go test -run '^$' -bench 'Validate|FindRoute' -count 10 ./internal/httpapi
//
// and compare runs with benchstat.

const benchContactBody = `{"name":"Charles Babbage","email":"charles@example.com","phone":"+44 20 7946 0000",` +
	`"company":"Difference Engines","notes":"Met at the Royal Society."}`

type validatorBench struct {
	router routers.Router
	tokens *auth.Tokens
	access string
	org    string
}

func newValidatorBench(b *testing.B) *validatorBench {
	b.Helper()
	RegisterStrictJSON()
	spec, err := api.GetSpec()
	if err != nil {
		b.Fatal(err)
	}
	router, err := gorillamux.NewRouter(spec) // what echomw.OapiRequestValidatorWithOptions builds
	if err != nil {
		b.Fatal(err)
	}
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: "bench-secret-bench-secret-bench-secret-01",
		AccessTTL: time.Hour, RefreshTTL: 24 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	access, _, err := tokens.Issue(auth.KindAccess, uuid.New(), uuid.New())
	if err != nil {
		b.Fatal(err)
	}
	return &validatorBench{router: router, tokens: tokens, access: access, org: uuid.NewString()}
}

// options are New's validator options with the given authentication function.
func benchValidatorOptions(authn openapi3filter.AuthenticationFunc) *echomw.Options {
	return &echomw.Options{Options: openapi3filter.Options{
		AuthenticationFunc:      authn,
		KeepValidatedValue:      true,
		MultiError:              true,
		SchemaValidationOptions: SchemaOptions(),
	}, MultiErrorHandler: multiErrorHandler}
}

func noAuthentication(context.Context, *openapi3filter.AuthenticationInput) error { return nil }

func (vb *validatorBench) request(method, target, body string) *http.Request {
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, target, nil)
	} else {
		req = httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+vb.access)
	req.Header.Set(headerOrganization, vb.org)
	return req
}

var benchValidatorCases = []struct{ name, method, target, body string }{
	{"list-contacts", http.MethodGet, "/api/v1/contacts?page=2&page_size=20", ""},
	{"create-contact", http.MethodPost, "/api/v1/contacts", benchContactBody},
}

// BenchmarkFindRoute is the gorillamux route lookup the validator makes per request.
func BenchmarkFindRoute(b *testing.B) {
	vb := newValidatorBench(b)
	for _, tc := range benchValidatorCases {
		b.Run(tc.name, func(b *testing.B) {
			req := vb.request(tc.method, tc.target, "")
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := vb.router.FindRoute(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkValidateRequest is openapi3filter.ValidateRequest on a route found beforehand, with
// the service's options and a no-op authentication: parameters, security requirements and
// the body (decoded by strictJSONBodyDecoder) only.
func BenchmarkValidateRequest(b *testing.B) {
	vb := newValidatorBench(b)
	opts := benchValidatorOptions(noAuthentication)
	for _, tc := range benchValidatorCases {
		b.Run(tc.name, func(b *testing.B) {
			probe := vb.request(tc.method, tc.target, "")
			route, params, err := vb.router.FindRoute(probe)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				req := vb.request(tc.method, tc.target, tc.body)
				in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: &opts.Options}
				if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkValidateRequestFromContext is the validator middleware's whole work per request, as New
// configures it: route lookup, validation, and the real authenticate (JWT verification and the
// organization header). The request construction is measured too ("request-only" is its cost).
func BenchmarkValidateRequestFromContext(b *testing.B) {
	vb := newValidatorBench(b)
	e := echo.New()
	for _, authn := range []struct {
		name string
		fn   openapi3filter.AuthenticationFunc
	}{{"noauth", noAuthentication}, {"authenticate", authenticate(vb.tokens)}} {
		opts := benchValidatorOptions(authn.fn)
		for _, tc := range benchValidatorCases {
			b.Run(authn.name+"/"+tc.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					req := vb.request(tc.method, tc.target, tc.body)
					c := e.NewContext(req, nil)
					if he := echomw.ValidateRequestFromContext(c, vb.router, opts); he != nil {
						b.Fatal(he)
					}
				}
			})
		}
	}
	for _, tc := range benchValidatorCases {
		b.Run("request-only/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := vb.request(tc.method, tc.target, tc.body)
				_ = e.NewContext(req, nil)
			}
		})
	}
}

// BenchmarkTokenCacheHit is what a verified-token cache costs on a hit, for comparison with
// BenchmarkValidateRequestFromContext/authenticate, which verifies the JWT in full on every
// request: "VerifyCached" is the token service's verified-token cache (which authenticate and the
// rate limiter use), "sha256" the hash of the token it computes first.
func BenchmarkTokenCacheHit(b *testing.B) {
	vb := newValidatorBench(b)
	b.Run("VerifyCached", func(b *testing.B) {
		if _, err := vb.tokens.VerifyCached(auth.KindAccess, vb.access); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := vb.tokens.VerifyCached(auth.KindAccess, vb.access); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sha256", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			benchDigest = sha256.Sum256([]byte(vb.access))
		}
	})
}

var benchDigest [sha256.Size]byte
