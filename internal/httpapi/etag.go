package httpapi

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/crm"
)

// Conditional requests (RFC 9110, section 13) on contacts, deals and tasks.
//
// An object's entity tag is strong and opaque: the first 128 bits of SHA-256 over its id and its
// updated_at in microseconds (what PostgreSQL stores), base64url, quoted, e.g.
// "3q2-7wAAAAB8Y5xJ0aBq1w". Every UPDATE of queries/ moves updated_at strictly forward, so every
// change gives a new tag, and a PATCH that changes nothing writes nothing and keeps it. The answer
// is a function of the row alone, so the same tag always stands for the same bytes.

// etag is the entity tag of the state of object id last changed at updatedAt.
func etag(id uuid.UUID, updatedAt time.Time) string {
	var b [24]byte
	copy(b[:16], id[:])
	binary.BigEndian.PutUint64(b[16:], uint64(updatedAt.UnixMicro())) //nolint:gosec // a bit pattern, not a quantity
	sum := sha256.Sum256(b[:])
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}

// ifMatch is the precondition of an If-Match header (nil when there is none): the object's current
// entity tag must be one of the listed ones by strong comparison, or the header is "*" (any
// existing object; a missing one is answered 404 before the precondition is asked). Otherwise the
// answer is 412 precondition_failed carrying the current ETag.
func ifMatch(header *string) crm.Precondition {
	if header == nil {
		return nil
	}
	h := *header
	return func(v crm.Version) error {
		cur := etag(v.ID, v.UpdatedAt)
		if matchesAny(h, cur, false) {
			return nil
		}
		return apperr.PreconditionFailed(cur)
	}
}

// notModified reports whether a GET with this If-None-Match header (nil: none) is answered 304 for
// an object whose entity tag is cur: "*", or a listed tag equal to cur by weak comparison.
func notModified(header *string, cur string) bool {
	return header != nil && matchesAny(*header, cur, true)
}

// matchesAny reports whether the field value of If-Match or If-None-Match (RFC 9110: "*" or a
// comma-separated list of entity tags) names cur, a strong tag. Under strong comparison a weak
// tag (W/"...") never matches; under weak comparison it matches its opaque tag. A malformed list
// matches no further than its last well-formed tag.
func matchesAny(field, cur string, weak bool) bool {
	s := strings.TrimSpace(field)
	if s == "*" {
		return true
	}
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return false
		}
		isWeak := strings.HasPrefix(s, "W/")
		if isWeak {
			s = s[2:]
		}
		if !strings.HasPrefix(s, `"`) {
			return false
		}
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return false
		}
		tag := s[:end+2]
		if tag == cur && (weak || !isWeak) {
			return true
		}
		s = s[end+2:]
		if s = strings.TrimLeft(s, " \t"); s != "" && s[0] != ',' {
			return false
		}
	}
}
