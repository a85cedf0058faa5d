package apptest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/google/uuid"
)

// Request is a raw request: what the generated client cannot send (malformed JSON or ids, wrong
// media types, odd headers). App.Do still sends it through the contract-checking transport.
type Request struct {
	Method string // default GET
	Path   string // below App.URL, query included
	Body   []byte // nil sends no body
	// ContentType defaults to application/json when there is a body.
	ContentType string
	Token       string    // sent as "Authorization: Bearer <Token>" unless empty
	Org         uuid.UUID // sent as X-Organization-Id unless uuid.Nil
	// Header lines are added after the ones above, keys as written (not canonicalised), so a
	// request may carry a header twice or under a name in another case.
	Header http.Header
	// Chunked hides the body's length: it goes out with Transfer-Encoding: chunked.
	Chunked bool
}

// Do sends r and returns the answer with its body read.
func (a *App) Do(t testing.TB, r Request) (*http.Response, []byte) {
	t.Helper()
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
		if r.Chunked {
			body = io.MultiReader(body) // not a *bytes.Reader: the length is unknown
		}
		if r.ContentType == "" {
			r.ContentType = "application/json"
		}
	}
	req, err := http.NewRequestWithContext(t.Context(), r.Method, a.URL+r.Path, body)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	if r.Org != uuid.Nil {
		req.Header.Set("X-Organization-Id", r.Org.String())
	}
	for name, values := range r.Header {
		req.Header[name] = append(req.Header[name], values...)
	}
	res, err := a.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	defer func() { _ = res.Body.Close() }() // read to the end below; nothing to report
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read the answer: %v", r.Method, r.Path, err)
	}
	return res, b
}

// JSON marshals v for a Request body.
func JSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return b
}

// Ptr returns a pointer to v, for the optional fields of request bodies and parameters.
func Ptr[T any](v T) *T { return &v }
