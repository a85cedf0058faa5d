package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// secretPrefix marks a Standard Webhooks secret; base64 of the key follows it.
const secretPrefix = "whsec_"

// NewSecret is a new endpoint secret: "whsec_" and the base64 of 32 random bytes.
func NewSecret() string {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+: it panics instead)
	return secretPrefix + base64.StdEncoding.EncodeToString(key)
}

var errBadSecret = errors.New("webhooks: a secret is whsec_ and base64")

// Signature is the webhook-signature header of a delivery: "v1," and the base64 HMAC-SHA256,
// keyed with the secret's decoded key, of "{id}.{timestamp}.{body}".
func Signature(secret, id string, at time.Time, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil || !strings.HasPrefix(secret, secretPrefix) || len(key) == 0 {
		return "", errBadSecret
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(at.Unix(), 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}
