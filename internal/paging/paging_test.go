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

func TestOf_TakesTheTotalFromTheRowsOrAsksPastTheEnd(t *testing.T) {
	t.Parallel()
	total := func(r row) int64 { return r.total }
	conv := func(r row) string { return r.v }
	noCount := func() (int64, error) { return 0, errors.New("count must not be asked") }

	got, err := Of(Request{Page: 1, Size: 2}, []row{{"a", 3}, {"b", 3}}, total, conv, noCount)
	require.NoError(t, err)
	assert.Equal(t, Page[string]{Items: []string{"a", "b"}, Total: 3, Page: 1, PageSize: 2}, got)

	got, err = Of(Request{Page: 1, Size: 2}, nil, total, conv, noCount)
	require.NoError(t, err)
	assert.Equal(t, Page[string]{Items: []string{}, Total: 0, Page: 1, PageSize: 2}, got, "an empty first page is empty")

	got, err = Of(Request{Page: 9, Size: 2}, nil, total, conv, func() (int64, error) { return 3, nil })
	require.NoError(t, err)
	assert.Equal(t, int64(3), got.Total, "past the end the total is counted")

	_, err = Of(Request{Page: 9, Size: 2}, nil, total, conv, noCount)
	assert.Error(t, err)
}
