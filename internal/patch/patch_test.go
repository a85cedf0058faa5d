package patch

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestField_AbsentNullAndValue(t *testing.T) {
	t.Parallel()
	cur := "old"

	var absent Field[string]
	assert.False(t, absent.Given())
	_, ok := absent.Value()
	assert.False(t, ok)
	assert.Equal(t, "old", absent.Or(cur))
	assert.Same(t, &cur, absent.OrPtr(&cur))

	null := Null[string]()
	assert.True(t, null.Given())
	_, ok = null.Value()
	assert.False(t, ok)
	assert.Nil(t, null.OrPtr(&cur))

	set := Set("new")
	assert.True(t, set.Given())
	v, ok := set.Value()
	assert.True(t, ok)
	assert.Equal(t, "new", v)
	assert.Equal(t, "new", set.Or(cur))
	assert.Equal(t, "new", *set.OrPtr(&cur))
	assert.Equal(t, "new", *set.OrPtr(nil))
}

func TestFromPtrAndMap(t *testing.T) {
	t.Parallel()
	assert.False(t, FromPtr[int](nil).Given())
	n := 3
	v, ok := FromPtr(&n).Value()
	assert.True(t, ok)
	assert.Equal(t, 3, v)

	double := func(i int) int { return 2 * i }
	assert.False(t, Map(Field[int]{}, double).Given())
	m := Map(Null[int](), double)
	assert.True(t, m.Given())
	assert.Nil(t, m.OrPtr(&n))
	v, _ = Map(Set(4), double).Value()
	assert.Equal(t, 8, v)
}
