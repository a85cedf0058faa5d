package webhooks

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Standard Webhooks specification's published test vector.
func TestSignature_MatchesThePublishedVector(t *testing.T) {
	t.Parallel()
	got, err := Signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	require.NoError(t, err)
	assert.Equal(t, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", got)
}

// A receiver using the scheme's own library accepts what we sign, and refuses it altered.
func TestSignature_VerifiesWithTheStandardLibrary(t *testing.T) {
	t.Parallel()
	secret := NewSecret()
	body := []byte(`{"type":"deal.updated"}`)
	now := time.Now()
	sig, err := Signature(secret, "evt_1", now, body)
	require.NoError(t, err)
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	h := http.Header{}
	h.Set("webhook-id", "evt_1")
	h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set("webhook-signature", sig)
	assert.NoError(t, wh.Verify(body, h))
	assert.Error(t, wh.Verify([]byte(`{"type":"deal.deleted"}`), h))
}

func TestNewSecret_Is32RandomBytes(t *testing.T) {
	t.Parallel()
	a, b := NewSecret(), NewSecret()
	assert.NotEqual(t, a, b)
	require.True(t, strings.HasPrefix(a, "whsec_"))
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "whsec_"))
	require.NoError(t, err)
	assert.Len(t, key, 32)
	_, err = Signature("not-a-secret", "x", time.Now(), nil)
	assert.Error(t, err)
}
