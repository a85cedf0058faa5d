package auth

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The rotation's refresh jti is derived from the session and the exchanged jti: the same inputs
// always give the same jti (so racing refreshes of one token get the same refresh token), any other
// input another one.
func TestRefreshJTI_NextIsDeterministicPerSessionAndToken(t *testing.T) {
	t.Parallel()
	sid, other := uuid.New(), uuid.New()
	jti := uuid.NewString()
	next := NextRefreshJTI(sid, jti)
	assert.Equal(t, next, NextRefreshJTI(sid, jti))
	_, err := uuid.Parse(next)
	require.NoError(t, err)
	assert.NotEqual(t, jti, next)
	assert.NotEqual(t, next, NextRefreshJTI(other, jti), "another session")
	assert.NotEqual(t, next, NextRefreshJTI(sid, uuid.NewString()), "another token")
	assert.NotEqual(t, next, NextRefreshJTI(sid, next), "the chain does not loop")
}

func TestRefreshJTI_IssuedTokenCarriesTheGivenJTI(t *testing.T) {
	t.Parallel()
	tokens, err := NewTokens(TokenConfig{Secret: "0123456789abcdef0123456789abcdef", AccessTTL: time.Minute, RefreshTTL: time.Hour})
	require.NoError(t, err)
	user, sid := uuid.New(), uuid.New()
	jti := NextRefreshJTI(sid, uuid.NewString())
	raw, c, err := tokens.issue(KindRefresh, user, sid, jti)
	require.NoError(t, err)
	got, err := tokens.Verify(KindRefresh, raw)
	require.NoError(t, err)
	assert.Equal(t, jti, got.ID)
	assert.Equal(t, c, got)
}
