package paging

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFromParams_AppliesTheSpecDefaults(t *testing.T) {
	t.Parallel()
	assert.Equal(t, Request{Page: 1, Size: 20}, FromParams(nil, nil))
	p, s := int32(3), int32(50)
	r := FromParams(&p, &s)
	assert.Equal(t, Request{Page: 3, Size: 50}, r)
	assert.Equal(t, int32(50), r.Limit())
	assert.Equal(t, int32(100), r.Offset())
}

type row struct {
	v     string
	total int64
}

func TestList_TakesTheTotalFromTheRowsOrFromTheFirstRowPastTheEnd(t *testing.T) {
	t.Parallel()
	split := func(r row) (string, int64) { return r.v, r.total }
	all := []row{{"a", 3}, {"b", 3}, {"c", 3}}
	var calls [][2]int32
	fetch := func(rows []row) func(limit, offset int32) ([]row, error) {
		return func(limit, offset int32) ([]row, error) {
			calls = append(calls, [2]int32{limit, offset})
			if int(offset) >= len(rows) {
				return nil, nil
			}
			return rows[offset:min(int(offset+limit), len(rows))], nil
		}
	}

	got, err := List(Request{Page: 1, Size: 2}, fetch(all), split)
	require.NoError(t, err)
	assert.Equal(t, Page[string]{Items: []string{"a", "b"}, Total: 3, Page: 1, PageSize: 2}, got)
	assert.Equal(t, [][2]int32{{2, 0}}, calls, "a page with rows asks once")

	calls = nil
	got, err = List(Request{Page: 1, Size: 2}, fetch(nil), split)
	require.NoError(t, err)
	assert.Equal(t, Page[string]{Items: []string{}, Total: 0, Page: 1, PageSize: 2}, got, "an empty first page is empty")
	assert.Len(t, calls, 1)

	calls = nil
	got, err = List(Request{Page: 9, Size: 2}, fetch(all), split)
	require.NoError(t, err)
	assert.Equal(t, Page[string]{Items: []string{}, Total: 3, Page: 9, PageSize: 2}, got, "past the end the total is still known")
	assert.Equal(t, [][2]int32{{2, 16}, {1, 0}}, calls)

	got, err = List(Request{Page: 9, Size: 2}, fetch(nil), split)
	require.NoError(t, err)
	assert.Equal(t, int64(0), got.Total, "past the end of an empty list")

	failing := func(limit, offset int32) ([]row, error) {
		if offset == 0 {
			return nil, errors.New("boom")
		}
		return nil, nil
	}
	_, err = List(Request{Page: 9, Size: 2}, failing, split)
	assert.Error(t, err)
	_, err = List(Request{Page: 1, Size: 2}, failing, split)
	assert.Error(t, err)
}
