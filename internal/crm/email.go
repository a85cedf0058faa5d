package crm

import (
	"errors"
	"net/mail"
	"strings"
)

var errInvalidEmail = errors.New("must be a valid email address")

// ValidEmail accepts a bare address (no display name, no comments) with a dotted domain: the
// "email" format of openapi.yaml (the request validator uses it) and the rule of an imported
// contact's email.
func ValidEmail(s string) error {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return errInvalidEmail
	}
	_, domain, _ := strings.Cut(s, "@")
	if !strings.Contains(domain, ".") || strings.HasSuffix(domain, ".") {
		return errInvalidEmail
	}
	return nil
}
