package httpapi

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestETag_IsStrongOpaqueAndNamesOneState(t *testing.T) {
	t.Parallel()
	id := uuid.Must(uuid.NewV7())
	at := time.Date(2026, 11, 30, 12, 0, 0, 123456000, time.UTC)
	tag := etag(id, at)
	assert.Regexp(t, `^"[A-Za-z0-9_-]{22}"$`, tag)
	assert.Equal(t, tag, etag(id, at.In(time.FixedZone("x", 3600))), "the instant counts, not its zone")
	assert.Equal(t, tag, etag(id, at.Add(999*time.Nanosecond)), "microseconds, as stored")
	assert.NotEqual(t, tag, etag(id, at.Add(time.Microsecond)))
	assert.NotEqual(t, tag, etag(uuid.Must(uuid.NewV7()), at))
}

func TestMatchesAny_FollowsRFC9110(t *testing.T) {
	t.Parallel()
	const cur = `"abc"`
	for _, c := range []struct {
		field        string
		strong, weak bool
	}{
		{`"abc"`, true, true},
		{`*`, true, true},
		{` * `, true, true},
		{`W/"abc"`, false, true},
		{`"x", "abc"`, true, true},
		{`"x","abc"`, true, true},
		{`"x" ,W/"abc"`, false, true},
		{`, ,"abc",`, true, true},
		{`"x", W/"abc", "abc"`, true, true},
		{`"ab"`, false, false},
		{`"abc`, false, false},
		{`abc`, false, false},
		{`"x" "abc"`, false, false},
		{`"x", *`, false, false},
		{`w/"abc"`, false, false},
		{``, false, false},
		{`"ABC"`, false, false},
	} {
		assert.Equal(t, c.strong, matchesAny(c.field, cur, false), "strong: %q", c.field)
		assert.Equal(t, c.weak, matchesAny(c.field, cur, true), "weak: %q", c.field)
	}
}

func TestIfMatch_AbsentLetsEverythingThroughAndStaleIsA412WithTheCurrentTag(t *testing.T) {
	t.Parallel()
	assert.Nil(t, ifMatch(nil))
	v := crm.Version{ID: uuid.Must(uuid.NewV7()), UpdatedAt: time.Now()}
	cur := etag(v.ID, v.UpdatedAt)
	assert.NoError(t, ifMatch(&cur)(v))
	stale := `"stale"`
	err := ifMatch(&stale)(v)
	ae, ok := apperr.As(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, "precondition_failed", ae.Code)
	assert.Equal(t, cur, ae.ETag)
	assert.Equal(t, 412, statusOf[ae.Kind])
	assert.True(t, errors.Is(err, apperr.PreconditionFailed("")))
	assert.False(t, notModified(nil, cur))
	assert.True(t, notModified(&cur, cur))
}
