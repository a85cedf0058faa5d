package auth

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// compactJWS is the token shape isCompactJWS accepts, as a regexp: the reference it is held to.
var compactJWS = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`)

// compactShapes are spellings around the edges of the compact JWS shape.
var compactShapes = []string{
	"", ".", "..", "...", "a.b.c", "a.b.c.", ".a.b.c", "a..b.c", "a.b", "a.b.c.d", "a.b.", ".b.c", "a..c",
	"abc", "A-_.z9.0_-", "a.b.c\n", "\na.b.c", "a.b.c ", " a.b.c", "a.b.c=", "a=.b.c", "a.b+c.d", "a.b/.c",
	"a.b.c\x00", "a.b.\u00e9", "a.\xff.c", "Zz09-_.Zz09-_.Zz09-_",
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo",
}

func TestIsCompactJWSIsTheRegexp(t *testing.T) {
	tk := newTestTokens(t, "HS256", nil)
	access, _, err := tk.Issue(KindAccess, uuid.New(), uuid.New())
	if err != nil {
		t.Fatal(err)
	}
	shapes := append([]string{access, access + ".", strings.ToUpper(access), strings.Replace(access, ".", "..", 1)}, compactShapes...)
	for b := range 256 { // every byte, alone and inside each segment
		c := string([]byte{byte(b)})
		shapes = append(shapes, c, c+".b.c", "a."+c+".c", "a.b."+c, "a"+c+"b.c.d")
	}
	for _, s := range shapes {
		if got, want := isCompactJWS(s), compactJWS.MatchString(s); got != want {
			t.Errorf("isCompactJWS(%q) = %v, the regexp says %v", s, got, want)
		}
	}
}

// FuzzIsCompactJWS holds isCompactJWS equal to the compactJWS regexp on any input.
func FuzzIsCompactJWS(f *testing.F) {
	for _, s := range compactShapes {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isCompactJWS(s), compactJWS.MatchString(s); got != want {
			t.Fatalf("isCompactJWS(%q) = %v, the regexp says %v", s, got, want)
		}
	})
}
