package paging

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// versioned is a list whose rows carry its total and version, as the anchored lists' queries do.
type versioned struct {
	rows    []string
	version int64
}

func (l *versioned) fetch(calls *[]call) Fetch[row] {
	return func(limit, offset int32, after *Key) ([]row, error) {
		var all []row
		for _, v := range l.rows {
			all = append(all, row{v, int64(len(l.rows))})
		}
		return list(all, calls)(limit, offset, after)
	}
}

func (l *versioned) split(r row) (string, int64, int64) { return r.v, r.total, l.version }

func letters(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("r%03d", i+1)
	}
	return out
}

func TestListAnchored_ReadsARememberedPageFromItsPositionWhileTheVersionHolds(t *testing.T) {
	t.Parallel()
	l := &versioned{rows: letters(10), version: 7}
	a := NewAnchors(16)
	r := Request{Page: 3, Size: 2, Scope: "contacts"}
	var calls []call

	first, err := ListAnchored(a, "", r, true, l.fetch(&calls), l.split, keyOf)
	require.NoError(t, err)
	assert.Equal(t, Page[string]{Items: []string{"r005", "r006"}, Total: 10, Page: 3, PageSize: 2, Next: &Key{Value: "r006"}}, first)
	assert.Equal(t, []call{{4, 3, nil}}, calls, "the first time by offset, from the row before the page")

	calls = nil
	again, err := ListAnchored(a, "", r, true, l.fetch(&calls), l.split, keyOf)
	require.NoError(t, err)
	assert.Equal(t, first, again)
	assert.Equal(t, []call{{3, 0, &Key{Value: "r004"}}}, calls, "then from the remembered position, no offset")

	calls = nil
	next, err := ListAnchored(a, "", Request{Page: 4, Size: 2, Scope: "contacts"}, true, l.fetch(&calls), l.split, keyOf)
	require.NoError(t, err)
	assert.Equal(t, []string{"r007", "r008"}, next.Items)
	assert.Equal(t, []call{{3, 0, &Key{Value: "r006"}}}, calls, "the next page starts where the last one ended")
}

func TestListAnchored_AMovedVersionReadsThePageByOffsetAgain(t *testing.T) {
	t.Parallel()
	l := &versioned{rows: letters(10), version: 1}
	a := NewAnchors(16)
	r := Request{Page: 2, Size: 3, Scope: "contacts"}
	var calls []call
	_, err := ListAnchored(a, "", r, true, l.fetch(&calls), l.split, keyOf)
	require.NoError(t, err)

	// A row sorting first arrives: page 2 now starts one row earlier.
	l.rows = append([]string{"r000"}, l.rows...)
	l.version++
	calls = nil
	got, err := ListAnchored(a, "", r, true, l.fetch(&calls), l.split, keyOf)
	require.NoError(t, err)
	assert.Equal(t, []string{"r003", "r004", "r005"}, got.Items)
	assert.Equal(t, int64(11), got.Total)
	assert.Equal(t, []call{{4, 0, &Key{Value: "r003"}}, {5, 2, nil}}, calls, "the stale position is tried, its version refused, the offset read")

	calls = nil
	_, err = ListAnchored(a, "", r, true, l.fetch(&calls), l.split, keyOf)
	require.NoError(t, err)
	assert.Equal(t, []call{{4, 0, &Key{Value: "r002"}}}, calls, "and the new position is remembered")
}

func TestListAnchored_PositionsAreKeptApartByScopeAndView(t *testing.T) {
	t.Parallel()
	l := &versioned{rows: letters(10), version: 1}
	a := NewAnchors(16)
	var calls []call
	_, err := ListAnchored(a, "owner-a", Request{Page: 2, Size: 2, Scope: "contacts"}, true, l.fetch(&calls), l.split, keyOf)
	require.NoError(t, err)

	for _, c := range []struct {
		view  string
		scope string
	}{{"owner-b", "contacts"}, {"owner-a", "contacts?order=desc"}, {"owner-a", ""}} {
		calls = nil
		_, err = ListAnchored(a, c.view, Request{Page: 2, Size: 2, Scope: c.scope}, true, l.fetch(&calls), l.split, keyOf)
		require.NoError(t, err)
		assert.Equal(t, []call{{limitFor(c.scope, 2), offsetFor(c.scope, 2), nil}}, calls, "view %q scope %q", c.view, c.scope)
	}
}

// limitFor and offsetFor are what a page-2 request of size 2 asks for by offset: one row earlier when
// its position is to be remembered (a scope), else the page and one row.
func limitFor(scope string, size int32) int32 {
	if scope == "" {
		return size + 1
	}
	return size + 2
}

func offsetFor(scope string, size int32) int32 {
	if scope == "" {
		return size
	}
	return size - 1
}

func TestListAnchored_PastTheEndTakesTheTotalFromTheRowBefore(t *testing.T) {
	t.Parallel()
	l := &versioned{rows: letters(4), version: 1}
	var calls []call
	got, err := ListAnchored(NewAnchors(4), "", Request{Page: 3, Size: 2, Scope: "contacts"}, true, l.fetch(&calls), l.split, keyOf)
	require.NoError(t, err)
	assert.Equal(t, Page[string]{Items: []string{}, Total: 4, Page: 3, PageSize: 2}, got)
	assert.Equal(t, []call{{4, 3, nil}}, calls, "the row before the page carries the total: no second query")
}

func TestAnchors_ForgetTheLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	a := NewAnchors(2)
	a.remember("s", 2, Key{Value: "a"}, 1)
	a.remember("s", 3, Key{Value: "b"}, 1)
	_, _ = a.position("s", 2)
	a.remember("s", 4, Key{Value: "c"}, 1)
	_, ok := a.position("s", 3)
	assert.False(t, ok)
	_, ok = a.position("s", 2)
	assert.True(t, ok)
}
