package httpapi

import (
	"context"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/paging"
	"github.com/minicrm/crm/internal/tenancy"
)

var errInvalidCursor = apperr.Invalid("invalid_cursor",
	"The cursor was not issued for this list with these parameters, or was altered.")

// listScopeKey holds a list request's cursor scope in its context.
type listScopeKey struct{}

// listScopes gives the requests of the operations that take a cursor (by the spec) their cursor
// scope: the operation, the organization, the path and every query parameter but page and cursor.
// A cursor is signed with its scope, so it is valid only for the list, the organization and the
// parameters it was issued for.
func listScopes(spec *openapi3.T) api.StrictMiddlewareFunc {
	lists := map[string]bool{}
	for _, item := range spec.Paths.Map() {
		for _, op := range item.Operations() {
			if op.Parameters.GetByInAndName(openapi3.ParameterInQuery, "cursor") != nil {
				lists[op.OperationID] = true
			}
		}
	}
	return func(f api.StrictHandlerFunc, operationID string) api.StrictHandlerFunc {
		if !lists[operationID] {
			return f
		}
		return func(c echo.Context, request any) (any, error) {
			r := c.Request()
			q := r.URL.Query()
			q.Del("page")
			q.Del("cursor")
			org := ""
			if m, err := tenancy.MembershipFrom(r.Context()); err == nil {
				org = m.OrganizationID.String()
			}
			scope := strings.Join([]string{operationID, org, r.URL.Path, q.Encode()}, "\n")
			c.SetRequest(r.WithContext(context.WithValue(r.Context(), listScopeKey{}, scope)))
			return f(c, request)
		}
	}
}

func listScope(ctx context.Context) string {
	s, _ := ctx.Value(listScopeKey{}).(string)
	return s
}

// pageRequest is the page a list request asks for: by number, or the page after the one whose
// next_cursor came back as cursor; its scope is the cursor's. A cursor names its page itself: page is ignored with it (the
// validator fills in page's default, so its absence cannot be told apart).
func (s *Server) pageRequest(ctx context.Context, page, size *int32, cursor *string) (paging.Request, error) {
	r := paging.FromParams(page, size)
	r.Scope = listScope(ctx)
	if cursor == nil {
		return r, nil
	}
	n, after, err := s.cursors.Decode(listScope(ctx), *cursor)
	if err != nil {
		return r, errInvalidCursor
	}
	r.Page, r.After = n, &after
	return r, nil
}

// nextCursor is the next_cursor of a page: nil on the last page.
func nextCursor[T any](s *Server, ctx context.Context, p paging.Page[T]) *string {
	if p.Next == nil {
		return nil
	}
	c := s.cursors.Encode(listScope(ctx), p.Page+1, *p.Next)
	return &c
}

// itemsOf converts a page's items into the API's.
func itemsOf[T, A any](items []T, conv func(T) A) []A {
	out := make([]A, len(items))
	for i, it := range items {
		out[i] = conv(it)
	}
	return out
}
