package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCamel(t *testing.T) {
	for in, want := range map[string]string{
		"not_found":           "NotFound",
		"not_a_member":        "NotAMember",
		"invalid_webhook_url": "InvalidWebhookURL",
		"http_503":            "HTTP503",
		"timeout":             "Timeout",
	} {
		assert.Equal(t, want, camel(in), in)
	}
}

// TestClientModels: models, parameters and enums are re-exported; the client's machinery, the
// per-operation responses, bodies and headers and the problem responses are not.
func TestClientModels(t *testing.T) {
	src := `package client

import "net/http"

// Deal defines model for Deal.
type Deal struct{ Title string }

// DealStatus The state of a deal.
type DealStatus string

const (
	DealStatusNew DealStatus = "new"
	DealStatusWon DealStatus = "won"
)

// ListDealsParams defines parameters for ListDeals.
type ListDealsParams struct{ Page *int32 }

// Problem An RFC 9457 problem document.
type Problem struct{ Code string }

// NotFound An RFC 9457 problem document.
type NotFound = Problem

type CreateDealJSONRequestBody = Deal

type GetDealResponse200Headers struct{ ETag string }

type GetDealResponse struct {
	Body         []byte
	HTTPResponse *http.Response
}

type RequestEditorFn func(*http.Request) error

type Client struct{ Server string }

const unrelated = 1
`
	path := filepath.Join(t.TempDir(), "client.gen.go")
	require.NoError(t, os.WriteFile(path, []byte(src), 0o600))
	types, consts, err := clientModels(path)
	require.NoError(t, err)
	assert.Equal(t, []string{"Deal", "DealStatus", "ListDealsParams", "Problem"}, types)
	assert.Equal(t, []string{"DealStatusNew", "DealStatusWon"}, consts)
}
