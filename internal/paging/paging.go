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
// with a cursor, the keyset position the page starts after. Scope names the list and every
// parameter of the request but the page (the cursor's scope): Anchors remembers page positions by
// it; empty, none are remembered.
type Request struct {
	Page, Size int32
	After      *Key
	Scope      string
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
	return listPage(nil, r, keyset, fetch, func(row R) (T, int64, int64) {
		item, total := split(row)
		return item, total, 0
	}, key)
}

// ListAnchored is List for a list whose rows also carry the list's version (split's third
// result), read in the same snapshot as the rows: a keyset list's page requested by number starts
// at its position remembered in a when the version still reads what it read then, and is read by
// offset (remembering the position) otherwise; other lists are List's. view tells apart callers
// who see different rows under one scope (a member who sees only their own records).
func ListAnchored[R, T any](a *Anchors, view string, r Request, keyset bool, fetch Fetch[R], split func(R) (T, int64, int64), key func(T) Key) (Page[T], error) {
	if r.Scope != "" {
		r.Scope += "\n" + view
	}
	return listPage(a, r, keyset, fetch, split, key)
}

func listPage[R, T any](a *Anchors, r Request, keyset bool, fetch Fetch[R], split func(R) (T, int64, int64), key func(T) Key) (Page[T], error) {
	anchored := a != nil && r.Scope != "" && keyset
	rows, pred, err := fetchPage(a, anchored, r, keyset, fetch, split, key)
	if err != nil {
		return Page[T]{}, err
	}
	more := len(rows) > int(r.Size)
	if more {
		rows = rows[:r.Size]
	}
	out := Page[T]{Items: make([]T, len(rows)), Page: r.Page, PageSize: r.Size}
	var version int64
	for i, row := range rows {
		out.Items[i], out.Total, version = split(row)
	}
	if more {
		k := key(out.Items[len(out.Items)-1])
		out.Next = &k
		if anchored {
			a.remember(r.Scope, r.Page+1, k, version)
		}
	}
	if len(rows) == 0 && (r.Page > 1 || r.After != nil) {
		if pred != nil {
			_, out.Total, _ = split(*pred)
			return out, nil
		}
		first, err := fetch(1, 0, nil)
		if err != nil {
			return Page[T]{}, fmt.Errorf("count: %w", err)
		}
		if len(first) > 0 {
			_, out.Total, _ = split(first[0])
		}
	}
	return out, nil
}

// fetchPage reads the rows of page r (one more than its size). Anchored, a page by number is read
// from its remembered position when the version still holds; else by offset, one row earlier, and
// that row (returned as pred) is the position remembered for the page.
func fetchPage[R, T any](a *Anchors, anchored bool, r Request, keyset bool, fetch Fetch[R], split func(R) (T, int64, int64), key func(T) Key) (rows []R, pred *R, err error) {
	if keyset && r.After != nil {
		rows, err = fetch(r.Size+1, 0, r.After)
		return rows, nil, err
	}
	if !anchored || r.Page < 2 {
		rows, err = fetch(r.Size+1, r.Offset(), nil)
		return rows, nil, err
	}
	if at, ok := a.position(r.Scope, r.Page); ok {
		rows, err = fetch(r.Size+1, 0, &at.after)
		if err != nil {
			return nil, nil, err
		}
		if len(rows) > 0 {
			if _, _, v := split(rows[0]); v == at.version {
				return rows, nil, nil
			}
		}
	}
	rows, err = fetch(r.Size+2, r.Offset()-1, nil)
	if err != nil || len(rows) == 0 {
		return nil, nil, err
	}
	item, _, v := split(rows[0])
	a.remember(r.Scope, r.Page, key(item), v)
	return rows[1:], &rows[0], nil
}
