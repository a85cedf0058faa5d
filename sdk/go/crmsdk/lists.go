package crmsdk

import (
	"context"
	"errors"
	"iter"
	"net/http"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
)

// errCursorLoop guards against a server that answers a cursor with the same cursor.
var errCursorLoop = errors.New("crmsdk: the list answered its cursor with the same next_cursor")

// fetchPage requests one page: the first with cursor nil, the next ones with the previous page's
// next_cursor. pin must go with the request: it sends the organization of the iteration.
type fetchPage[T any] func(ctx context.Context, cursor *string, pin client.RequestEditorFn) (items []T, next *string, err error)

// paginate is the iterator over the items of the pages fetch returns; see [ContactsService.All].
func paginate[T any](ctx context.Context, c *Client, fetch fetchPage[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		pin := pinOrganization(c.Organization())
		var cursor *string
		for {
			items, next, err := fetch(ctx, cursor, pin)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range items {
				if !yield(item, nil) {
					return
				}
			}
			if next == nil || *next == "" {
				return
			}
			if cursor != nil && *cursor == *next {
				var zero T
				yield(zero, errCursorLoop)
				return
			}
			cursor = next
		}
	}
}

// pinOrganization returns a request editor that sends org as X-Organization-Id (the transport
// leaves a header set by the request alone); none when org is uuid.Nil.
func pinOrganization(org uuid.UUID) client.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		if org != uuid.Nil {
			req.Header.Set(OrganizationHeader, org.String())
		}
		return nil
	}
}

// copyParams returns a shallow copy of *params (the zero value for nil): the iterator sets the
// copy's cursor, and the caller may reuse their struct once the iterator is made.
func copyParams[P any](params *P) P {
	var p P
	if params != nil {
		p = *params
	}
	return p
}

// cursorOr returns the iteration's cursor, or before the first page the caller's own.
func cursorOr(cursor, callers *string) *string {
	if cursor != nil {
		return cursor
	}
	return callers
}
