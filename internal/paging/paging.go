// Package paging is the list convention of the API: a page (from 1) and a page_size in, or a
// cursor taken from the previous page; a page of items with the total and the next cursor out.
package paging

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Defaults of the spec's page and page_size parameters (the generated code does not apply them).
const (
	DefaultPage = 1
	DefaultSize = 20
)

// Key is a keyset position: the sort key of a page's last row, as text in the form its list's
// query casts back, and the row's id, which breaks ties.
type Key struct {
	Value string
	ID    uuid.UUID
}

// Args are a list query's keyset parameters (after_key, after_id): both NULL, from the start, for
// a nil position.
func (k *Key) Args() (*string, *uuid.UUID) {
	if k == nil {
		return nil, nil
	}
	return &k.Value, &k.ID
}

// TimeKey is a timestamp as a keyset key: exact to the microsecond PostgreSQL stores, in a form it
// casts back to timestamptz.
func TimeKey(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Request is a validated page number and size (the spec bounds both) and, when the request came
// with a cursor, the keyset position the page starts after.
type Request struct {
	Page, Size int32
	After      *Key
}

// FromParams applies the defaults to the optional query parameters.
func FromParams(page, size *int32) Request {
	r := Request{Page: DefaultPage, Size: DefaultSize}
	if page != nil {
		r.Page = *page
	}
	if size != nil {
		r.Size = *size
	}
	return r
}

// Offset is the SQL OFFSET of the page when it is found by its number.
func (r Request) Offset() int32 { return (r.Page - 1) * r.Size }

// Page is one page of a list. Next is the position after its last item, nil on the last page.
type Page[T any] struct {
	Items    []T
	Total    int64
	Page     int32
	PageSize int32
	Next     *Key
}

// Fetch runs one query of a list: at most limit rows, from offset, after the keyset position
// (nil: from the start).
type Fetch[R any] func(limit, offset int32, after *Key) ([]R, error)

// List fetches the page r of a list whose rows carry the list's total; split takes a row apart
// into its item and that total, key gives an item's keyset position.
//
// A keyset list (keyset true) reads a page requested by cursor from its position, whatever its
// depth; other lists, and every page requested by number, are read by offset. One row more than
// the page is asked for: it says whether a next page exists. Past the last page no row carries
// the total, so the list is asked again for its first row: the list's query stays the one
// definition of what it contains.
func List[R, T any](r Request, keyset bool, fetch Fetch[R], split func(R) (T, int64), key func(T) Key) (Page[T], error) {
	offset, after := r.Offset(), (*Key)(nil)
	if keyset && r.After != nil {
		offset, after = 0, r.After
	}
	rows, err := fetch(r.Size+1, offset, after)
	if err != nil {
		return Page[T]{}, err
	}
	more := len(rows) > int(r.Size)
	if more {
		rows = rows[:r.Size]
	}
	out := Page[T]{Items: make([]T, len(rows)), Page: r.Page, PageSize: r.Size}
	for i, row := range rows {
		out.Items[i], out.Total = split(row)
	}
	if more {
		k := key(out.Items[len(out.Items)-1])
		out.Next = &k
	}
	if len(rows) == 0 && (r.Page > 1 || r.After != nil) {
		first, err := fetch(1, 0, nil)
		if err != nil {
			return Page[T]{}, fmt.Errorf("count: %w", err)
		}
		if len(first) > 0 {
			_, out.Total = split(first[0])
		}
	}
	return out, nil
}
