// Package paging is the list convention of the API: page (from 1) and page_size in, a page of
// items with the total out.
package paging

import "fmt"

// Defaults of the spec's page and page_size parameters (the generated code does not apply them).
const (
	DefaultPage = 1
	DefaultSize = 20
)

// Request is a validated page number and size (the spec bounds both).
type Request struct {
	Page, Size int32
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

// Limit is the SQL LIMIT.
func (r Request) Limit() int32 { return r.Size }

// Offset is the SQL OFFSET.
func (r Request) Offset() int32 { return (r.Page - 1) * r.Size }

// Page is one page of a list.
type Page[T any] struct {
	Items    []T
	Total    int64
	Page     int32
	PageSize int32
}

// List fetches the page r of a list whose rows carry a window count (count(*) OVER ()); split
// takes a row apart into its item and that count. Past the last page no row carries the count, so
// the same list is asked again for its first row: the list's query stays the one definition of
// what it contains.
func List[R, T any](r Request, fetch func(limit, offset int32) ([]R, error), split func(R) (T, int64)) (Page[T], error) {
	rows, err := fetch(r.Limit(), r.Offset())
	if err != nil {
		return Page[T]{}, err
	}
	out := Page[T]{Items: make([]T, len(rows)), Page: r.Page, PageSize: r.Size}
	for i, row := range rows {
		out.Items[i], out.Total = split(row)
	}
	if len(rows) == 0 && r.Page > 1 {
		first, err := fetch(1, 0)
		if err != nil {
			return Page[T]{}, fmt.Errorf("count: %w", err)
		}
		if len(first) > 0 {
			_, out.Total = split(first[0])
		}
	}
	return out, nil
}
