package config

import (
	"fmt"
	"math"
	"strings"
)

// minSecretLen is the shortest JWT secret accepted: 32 bytes, HS256's key size.
const minSecretLen = 32

// placeholderSecrets are secrets from examples and tutorials, compared without case and
// punctuation ("Change_Me" is "changeme"). The first is the one in .env.example.
var placeholderSecrets = []string{
	"change-me-to-a-long-random-secret", "changeme", "secret", "secretkey", "jwtsecret", "jwtsecretkey",
	"mysecret", "mysecretkey", "supersecret", "supersecretkey", "yoursecret", "yoursecretkey",
	"password", "default", "test", "example", "replaceme", "placeholder", "notasecret",
}

// placeholderWords make any secret that contains them a placeholder someone forgot to replace.
var placeholderWords = []string{"changeme", "replaceme", "yoursecret", "placeholder", "notasecret"}

// weakSecret says why s is not fit to sign tokens, or returns "" when it is. It refuses what is
// obviously not random — placeholders, short values, few distinct characters, a repeated unit, a
// run of consecutive characters, a value whose characters carry too little information — and
// accepts every random secret of 32 characters or more (hex, base64, alphanumeric). It cannot
// prove a secret random; it catches the mistakes people make.
func weakSecret(s string) string {
	norm := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return -1
	}, s)
	for _, p := range placeholderSecrets {
		if norm == strings.ReplaceAll(p, "-", "") {
			return "it is a well-known placeholder"
		}
	}
	for _, w := range placeholderWords {
		if strings.Contains(norm, w) {
			return fmt.Sprintf("it is a placeholder (it contains %q)", w)
		}
	}
	if len(s) < minSecretLen {
		return fmt.Sprintf("it is %d bytes long, at least %d are needed", len(s), minSecretLen)
	}
	counts := map[byte]int{}
	for i := range len(s) {
		counts[s[i]]++
	}
	if len(counts) < 8 {
		return fmt.Sprintf("it has only %d distinct characters", len(counts))
	}
	if p := period(s); p > 0 {
		return fmt.Sprintf("it is the same %d characters repeated", p)
	}
	if sequential(s) {
		return "it is mostly a run of consecutive characters"
	}
	// The information in its characters, as if each were drawn from their observed frequencies:
	// a random 32-character hex string has about 120 bits, never less than 90 in practice.
	bits := 0.0
	for _, n := range counts {
		bits -= float64(n) * math.Log2(float64(n)/float64(len(s)))
	}
	if bits < 80 {
		return fmt.Sprintf("its characters carry about %.0f bits, at least 80 are needed", bits)
	}
	return ""
}

// period is the length of the shortest unit that s repeats (at least twice, the last copy possibly
// cut short), or 0 when it repeats none.
func period(s string) int {
	for p := 1; p <= len(s)/2; p++ {
		if s[p:] == s[:len(s)-p] {
			return p
		}
	}
	return 0
}

// sequential reports whether, for more than half of s, each character follows the one before it by
// the same step ("abcdef", "13579", "zyxw").
func sequential(s string) bool {
	same := 0
	for i := 2; i < len(s); i++ {
		if int(s[i])-int(s[i-1]) == int(s[i-1])-int(s[i-2]) {
			same++
		}
	}
	return same > len(s)/2
}
