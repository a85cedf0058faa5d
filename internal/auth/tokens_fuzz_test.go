package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// FuzzVerify: whatever arrives as a bearer or refresh token, Verify answers without panicking,
// accepts only tokens signed with the service's key in their one canonical spelling, never one
// kind as the other, and reads back the claims it wrote. (Each fuzz worker issues its own tokens,
// so acceptance is judged by these properties, not by a list of issued tokens.) The seeds run as a normal test; `go test -fuzz FuzzVerify ./internal/auth`
// explores further.
func FuzzVerify(f *testing.F) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	tk, err := NewTokens(TokenConfig{Secret: testHSSecret, AccessTTL: 15 * time.Minute, RefreshTTL: time.Hour,
		Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	user := uuid.MustParse("0193a0c4-7b1e-7c3a-9d51-5e6f708192a3")
	session := uuid.MustParse("0193a0c4-7b1e-7c3a-9d51-5e6f708192a4")
	access, _, err := tk.Issue(KindAccess, user, session)
	if err != nil {
		f.Fatal(err)
	}
	refresh, _, err := tk.Issue(KindRefresh, user, session)
	if err != nil {
		f.Fatal(err)
	}
	for raw, kind := range map[string]string{access: KindAccess, refresh: KindRefresh} {
		if _, err := tk.Verify(kind, raw); err != nil {
			f.Fatalf("issued %s token refused: %v", kind, err)
		}
	}
	for _, seed := range []string{
		access, refresh, "", ".", "..", "a.b.c", access + " ", " " + access, access + "=",
		strings.ToUpper(access), access[:len(access)-2], strings.Replace(access, ".", "..", 1),
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", strings.Repeat("A", 5000),
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		accepted := 0
		for _, kind := range []string{KindAccess, KindRefresh} {
			claims, err := tk.Verify(kind, raw)
			if err != nil {
				continue
			}
			accepted++
			if claims.UserID != user || claims.SessionID != session {
				t.Fatalf("%s accepted claims it did not write: %+v", kind, claims)
			}
			if !compactJWS.MatchString(raw) || len(raw) > maxTokenLength {
				t.Fatalf("%s accepted a non-canonical spelling: %q", kind, raw)
			}
		}
		if accepted > 1 {
			t.Fatalf("one token accepted as both kinds: %q", raw)
		}
	})
}
