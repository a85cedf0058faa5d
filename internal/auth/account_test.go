package auth_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/auth"
	"github.com/minicrm/crm/internal/platform"
	"github.com/minicrm/crm/internal/tenancy"
)

func TestUserAgent_KeepsAPrintableBoundedValue(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		in   string
		want *string
	}{
		"as sent":              {"Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", ptr("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")},
		"none":                 {"", nil},
		"blank":                {" \t ", nil},
		"trimmed":              {"  curl/8.5.0 ", ptr("curl/8.5.0")},
		"control characters":   {"a\x00b\x1fc\x7fd\u0085e", ptr("abcde")},
		"invalid UTF-8":        {"ok\xff\xfe", ptr("ok\uFFFD")},
		"cut to 256 runes":     {strings.Repeat("ж", 300), ptr(strings.Repeat("ж", auth.MaxUserAgentLength))},
		"exactly 256":          {strings.Repeat("a", 256), ptr(strings.Repeat("a", 256))},
		"cut, then trimmed":    {strings.Repeat("a", 255) + "  tail", ptr(strings.Repeat("a", 255))},
		"only control runes":   {"\x01\x02", nil},
		"emoji stay whole":     {strings.Repeat("🙂", 257), ptr(strings.Repeat("🙂", 256))},
		"tabs inside are gone": {"a\tb", ptr("ab")},
	} {
		t.Run(name, func(t *testing.T) {
			got := auth.UserAgent(tc.in)
			if tc.want == nil {
				assert.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			assert.Equal(t, *tc.want, *got)
			assert.True(t, utf8.ValidString(*got))
			assert.LessOrEqual(t, utf8.RuneCountInString(*got), auth.MaxUserAgentLength)
		})
	}
}

func ptr(s string) *string { return &s }

// A session that ends while its password change is under way (between the request's session
// check and the change: a logout-all from another device) changes nothing: 401, and the password
// stays. The service is called directly, past the per-request check, to hold that moment.
func TestChangePassword_ASessionEndedMeanwhileChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := apptest.NewPool(t)
	store := platform.NewDB(pool)
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: apptest.TestSecret, AccessTTL: 15 * time.Minute, RefreshTTL: time.Hour})
	require.NoError(t, err)
	svc := auth.NewService(store, tokens)
	user, _, pair, err := svc.Register(ctx, apptest.UniqueEmail("ada"), "password-ada", "Ada", "Ada's", "Test/1")
	require.NoError(t, err)
	claims, err := tokens.Verify(auth.KindAccess, pair.Access)
	require.NoError(t, err)
	p := tenancy.Principal{UserID: user.ID, SessionID: claims.SessionID}

	require.NoError(t, svc.LogoutAll(ctx, p)) // the session ends after the request's check
	err = svc.ChangePassword(ctx, p, "password-ada", "password-new", "192.0.2.1")
	assert.ErrorIs(t, err, apperr.ErrUnauthorized)
	_, _, err = svc.Login(ctx, user.Email, "password-ada", "192.0.2.1", "")
	assert.NoError(t, err, "the old password still works")
}
