package paging

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math"
	"unicode/utf8"

	"github.com/google/uuid"
)

// ErrInvalidCursor is returned for a cursor that this service did not issue for this list and
// these parameters, or that was altered.
var ErrInvalidCursor = errors.New("invalid cursor")

// macSize is the length of a cursor's truncated HMAC-SHA256: 128 bits, out of reach of forgery.
const macSize = 16

// maxKeyBytes bounds the sort key a cursor may carry (the longest key is a 200-character name).
const maxKeyBytes = 1024

// Cursors issues and checks the opaque cursors of the lists. A cursor holds the page number it
// leads to and the keyset position of the previous page's last row, signed together with its
// scope: the list, the organization and the request's other parameters, so it is refused
// anywhere else and cannot be edited.
type Cursors struct {
	key []byte
}

// NewCursors derives the cursor key from the service's secret. The derivation gives cursors a key
// of their own, so no cursor is a valid signature of anything else.
func NewCursors(secret []byte) *Cursors {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("crm list cursor v1"))
	return &Cursors{key: m.Sum(nil)}
}

// Encode is the cursor of page in scope, starting after k.
func (c *Cursors) Encode(scope string, page int32, k Key) string {
	b := make([]byte, 4, 4+16+len(k.Value)+macSize)
	binary.BigEndian.PutUint32(b, uint32(max(page, 0))) //nolint:gosec // not negative: max

	b = append(b, k.ID[:]...)
	b = append(b, k.Value...)
	b = append(b, c.mac(scope, b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode checks a cursor against scope and returns its page and position.
func (c *Cursors) Decode(scope, s string) (int32, Key, error) {
	if base64.RawURLEncoding.DecodedLen(len(s)) > 4+16+maxKeyBytes+macSize {
		return 0, Key{}, ErrInvalidCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 4+16+macSize {
		return 0, Key{}, ErrInvalidCursor
	}
	body, sum := b[:len(b)-macSize], b[len(b)-macSize:]
	if !hmac.Equal(sum, c.mac(scope, body)) {
		return 0, Key{}, ErrInvalidCursor
	}
	page := binary.BigEndian.Uint32(body)
	value := body[20:]
	if page < 2 || page > math.MaxInt32 || !utf8.Valid(value) {
		return 0, Key{}, ErrInvalidCursor
	}
	return int32(page), Key{Value: string(value), ID: uuid.UUID(body[4:20])}, nil
}

func (c *Cursors) mac(scope string, body []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write(body)
	return m.Sum(nil)[:macSize]
}
