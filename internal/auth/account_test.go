package auth_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicrm/crm/internal/auth"
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
