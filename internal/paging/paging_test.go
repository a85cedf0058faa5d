package paging

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFromParams_AppliesTheSpecDefaults(t *testing.T) {
	t.Parallel()
	assert.Equal(t, Request{Page: 1, Size: 20}, FromParams(nil, nil))
	p, s := int32(3), int32(50)
	r := FromParams(&p, &s)
	assert.Equal(t, Request{Page: 3, Size: 50}, r)
	assert.Equal(t, int32(100), r.Offset())
}

type row struct {
	v     string
	total int64
}

type call struct {
	limit, offset int32
	after         *Key
}

// list is a sorted list of rows as a keyset list's query reads it: from offset, after a key.
func list(rows []row, calls *[]call) Fetch[row] {
	return func(limit, offset int32, after *Key) ([]row, error) {
		*calls = append(*calls, call{limit, offset, after})
		start := int(offset)
		if after != nil {
			start = len(rows)
			for i, r := range rows {
				if r.v > after.Value {
					start = i
					break
				}
			}
		}
		if start >= len(rows) {
			return nil, nil
		}
		return rows[start:min(start+int(limit), len(rows))], nil
	}
}

var (
	split = func(r row) (string, int64) { return r.v, r.total }
	keyOf = func(v string) Key { return Key{Value: v} }
)

func TestList_TakesTheTotalFromTheRowsOrFromTheFirstRowPastTheEnd(t *testing.T) {
	t.Parallel()
	all := []row{{"a", 3}, {"b", 3}, {"c", 3}}
	var calls []call

	got, err := List(Request{Page: 1, Size: 2}, true, list(all, &calls), split, keyOf)
	require.NoError(t, err)
	assert.Equal(t, Page[string]{Items: []string{"a", "b"}, Total: 3, Page: 1, PageSize: 2, Next: &Key{Value: "b"}}, got)
	assert.Equal(t, []call{{3, 0, nil}}, calls, "a page asks once, for one row more than it holds")

	calls = nil
	got, err = List(Request{Page: 2, Size: 2}, true, list(all, &calls), split, keyOf)
	require.NoError(t, err)
	assert.Equal(t, Page[string]{Items: []string{"c"}, Total: 3, Page: 2, PageSize: 2}, got, "the last page has no next position")
	assert.Equal(t, []call{{3, 2, nil}}, calls, "a page by number is read by offset")

	calls = nil
	got, err = List(Request{Page: 1, Size: 3}, true, list(all, &calls), split, keyOf)
	require.NoError(t, err)
	assert.Nil(t, got.Next, "a page that ends exactly with the list is the last")

	calls = nil
	got, err = List(Request{Page: 1, Size: 2}, true, list(nil, &calls), split, keyOf)
	require.NoError(t, err)
	assert.Equal(t, Page[string]{Items: []string{}, Total: 0, Page: 1, PageSize: 2}, got, "an empty first page is empty")
	assert.Len(t, calls, 1)

	calls = nil
	got, err = List(Request{Page: 9, Size: 2}, true, list(all, &calls), split, keyOf)
	require.NoError(t, err)
	assert.Equal(t, Page[string]{Items: []string{}, Total: 3, Page: 9, PageSize: 2}, got, "past the end the total is still known")
	assert.Equal(t, []call{{3, 16, nil}, {1, 0, nil}}, calls)

	got, err = List(Request{Page: 9, Size: 2}, true, list(nil, &calls), split, keyOf)
	require.NoError(t, err)
	assert.Equal(t, int64(0), got.Total, "past the end of an empty list")

	failing := func(limit, offset int32, _ *Key) ([]row, error) {
		if offset == 0 {
			return nil, errors.New("boom")
		}
		return nil, nil
	}
	_, err = List(Request{Page: 9, Size: 2}, true, failing, split, keyOf)
	assert.Error(t, err)
	_, err = List(Request{Page: 1, Size: 2}, true, failing, split, keyOf)
	assert.Error(t, err)
}

func TestList_ACursorPageIsReadFromItsPositionOnAKeysetListAndByOffsetOtherwise(t *testing.T) {
	t.Parallel()
	all := []row{{"a", 4}, {"b", 4}, {"c", 4}, {"d", 4}}
	var calls []call
	after := &Key{Value: "b"}

	got, err := List(Request{Page: 2, Size: 2, After: after}, true, list(all, &calls), split, keyOf)
	require.NoError(t, err)
	assert.Equal(t, Page[string]{Items: []string{"c", "d"}, Total: 4, Page: 2, PageSize: 2}, got)
	assert.Equal(t, []call{{3, 0, after}}, calls, "a keyset list starts after the position, at offset 0")

	calls = nil
	got, err = List(Request{Page: 2, Size: 2, After: after}, false, list(all, &calls), split, keyOf)
	require.NoError(t, err)
	assert.Equal(t, []string{"c", "d"}, got.Items)
	assert.Equal(t, []call{{3, 2, nil}}, calls, "other lists read the cursor's page by offset")

	calls = nil
	got, err = List(Request{Page: 3, Size: 2, After: &Key{Value: "d"}}, true, list(all, &calls), split, keyOf)
	require.NoError(t, err)
	assert.Equal(t, Page[string]{Items: []string{}, Total: 4, Page: 3, PageSize: 2}, got, "a cursor past the end still gives the total")
}

func TestCursors_RoundTripOnlyInTheirScope(t *testing.T) {
	t.Parallel()
	c := NewCursors([]byte("secret"))
	k := Key{Value: "2026-11-30T10:00:00.123456Z", ID: uuid.MustParse("0193a0c4-7b1e-7c3a-9d51-6f708192a3b4")}
	s := c.Encode("contacts\norg\n/api/v1/contacts\norder=asc", 7, k)

	page, got, err := c.Decode("contacts\norg\n/api/v1/contacts\norder=asc", s)
	require.NoError(t, err)
	assert.Equal(t, int32(7), page)
	assert.Equal(t, k, got)

	for name, tc := range map[string]struct{ scope, cursor string }{
		"another scope":      {"contacts\norg\n/api/v1/contacts\norder=desc", s},
		"another key":        {"contacts\norg\n/api/v1/contacts\norder=asc", NewCursors([]byte("other")).Encode("contacts\norg\n/api/v1/contacts\norder=asc", 7, k)},
		"a flipped byte":     {"contacts\norg\n/api/v1/contacts\norder=asc", flip(s)},
		"not base64":         {"x", "!!!"},
		"too short":          {"x", "AAAA"},
		"empty":              {"x", ""},
		"too long":           {"x", strings.Repeat("A", 2000)},
		"page 1 is no page":  {"x", c.Encode("x", 1, k)},
		"a negative page":    {"x", c.Encode("x", -5, k)},
		"a key not in UTF-8": {"x", c.Encode("x", 2, Key{Value: "\xff"})},
	} {
		_, _, err := c.Decode(tc.scope, tc.cursor)
		assert.ErrorIs(t, err, ErrInvalidCursor, name)
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[3] == 'A' {
		b[3] = 'B'
	} else {
		b[3] = 'A'
	}
	return string(b)
}

func TestKeyArgs_NilIsFromTheStart(t *testing.T) {
	t.Parallel()
	var none *Key
	k, id := none.Args()
	assert.Nil(t, k)
	assert.Nil(t, id)
	pos := &Key{Value: "v", ID: uuid.MustParse("0193a0c4-7b1e-7c3a-9d51-6f708192a3b4")}
	k, id = pos.Args()
	assert.Equal(t, "v", *k)
	assert.Equal(t, pos.ID, *id)
}
