package httpapi

import (
	"fmt"
	"regexp"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/tenancy"
)

// guard is what the spec says an operation needs before its handler may run.
type guard struct {
	caller bool // a verified, live session
	tenant bool // a resolved membership (organization from the header or the path)
}

// guards is derived from openapi.yaml at start, so authorization fails CLOSED: an operation that
// the spec marks as protected can never reach its handler without a caller (and a membership),
// even if a middleware were misconfigured.
type guards struct {
	byOperation map[string]guard
	routes      map[string]guard // "METHOD /echo/:path" of every operation in the spec
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

func operationGuards(spec *openapi3.T) (*guards, error) {
	g := &guards{byOperation: map[string]guard{}, routes: map[string]guard{}}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				return nil, fmt.Errorf("%s %s has no operationId", method, path)
			}
			sec := spec.Security
			if op.Security != nil {
				sec = *op.Security
			}
			var gd guard
			for _, req := range sec {
				if _, ok := req["bearerAuth"]; ok {
					gd.caller = true
				}
				if _, ok := req["organizationHeader"]; ok {
					gd.tenant = true
				}
			}
			if gd.caller && containsParam(item, op, "organization_id") {
				gd.tenant = true
			}
			g.byOperation[op.OperationID] = gd
			g.routes[method+" "+pathParam.ReplaceAllString(path, ":$1")] = gd
		}
	}
	return g, nil
}

func containsParam(item *openapi3.PathItem, op *openapi3.Operation, name string) bool {
	for _, ps := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		if p := ps.GetByInAndName(openapi3.ParameterInPath, name); p != nil {
			return true
		}
	}
	return false
}

// known reports whether echo routed the request to an operation of the spec (and not to its
// not-found or method-not-allowed handler).
func (g *guards) known(method, echoPath string) bool {
	_, ok := g.routes[method+" "+echoPath]
	return ok
}

// inOrganization reports whether the route's operation acts in an organization (a caller with a
// membership, the organization from the header or the path).
func (g *guards) inOrganization(method, echoPath string) bool {
	gd := g.routes[method+" "+echoPath]
	return gd.caller && gd.tenant
}

func (g *guards) middleware(f api.StrictHandlerFunc, operationID string) api.StrictHandlerFunc {
	gd, ok := g.byOperation[operationID]
	return func(c echo.Context, request any) (any, error) {
		if !ok {
			return nil, fmt.Errorf("operation %q is not in the spec", operationID)
		}
		ctx := c.Request().Context()
		if gd.caller {
			if _, err := tenancy.PrincipalFrom(ctx); err != nil {
				return nil, apperr.ErrUnauthorized
			}
		}
		if gd.tenant {
			if _, err := tenancy.MembershipFrom(ctx); err != nil {
				return nil, apperr.ErrNotAMember
			}
		}
		return f(c, request)
	}
}
