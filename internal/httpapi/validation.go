package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/mail"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// SchemaOptions are the string formats openapi.yaml relies on beyond kin-openapi's own (date,
// date-time, byte), passed to each validation: the request validator's and the tests' contract
// checks alike, with nothing registered process-wide.
func SchemaOptions() []openapi3.SchemaValidationOption {
	return []openapi3.SchemaValidationOption{openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{
		"uuid":  openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562),
		"email": openapi3.NewCallbackValidator(validEmail),
	})}
}

// validEmail accepts a bare address (no display name, no comments) with a dotted domain.
func validEmail(s string) error {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return errors.New("must be a valid email address")
	}
	_, domain, _ := strings.Cut(s, "@")
	if !strings.Contains(domain, ".") || strings.HasSuffix(domain, ".") {
		return errors.New("must be a valid email address")
	}
	return nil
}

var strictJSONOnce sync.Once

// RegisterStrictJSON makes kin-openapi decode application/json bodies with strictJSONBodyDecoder.
// kin-openapi keeps body decoders in a process-wide registry only, so this is the one piece of
// global state the HTTP layer sets; New calls it, and it is safe to call again.
func RegisterStrictJSON() {
	strictJSONOnce.Do(func() { openapi3filter.RegisterBodyDecoder("application/json", strictJSONBodyDecoder) })
}

// strictJSONBodyDecoder is the validator's JSON decoder, made strict: encoding/json's Decoder
// ignores whatever follows the first value and lets the last of duplicate keys win, so
// `{"role":"member","role":"owner"}` or `{...}garbage` would pass as valid. Both are malformed here
// (400 malformed_request), so no other parser in front of the service can read the body differently.
func strictJSONBodyDecoder(body io.Reader, h http.Header, schema *openapi3.SchemaRef, enc openapi3filter.EncodingFn) (any, error) {
	raw, err := io.ReadAll(body)
	if err != nil {
		return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: err}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := checkJSONValue(dec, 0); err != nil {
		return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: err}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: errors.New("data after the JSON value")}
	}
	return openapi3filter.JSONBodyDecoder(bytes.NewReader(raw), h, schema, enc)
}

// maxJSONDepth is encoding/json's own nesting limit.
const maxJSONDepth = 10000

// checkJSONValue reads one JSON value and fails on a duplicate object key at any depth.
func checkJSONValue(dec *json.Decoder, depth int) error {
	if depth > maxJSONDepth {
		return errors.New("JSON nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return err
			}
			k, _ := key.(string)
			if strings.ContainsRune(k, 0) {
				return errNULCharacter
			}
			if seen[k] {
				return errors.New("duplicate object key")
			}
			seen[k] = true
			if err := checkJSONValue(dec, depth+1); err != nil {
				return err
			}
		}
	case json.Delim('['):
		for dec.More() {
			if err := checkJSONValue(dec, depth+1); err != nil {
				return err
			}
		}
	default:
		if str, ok := tok.(string); ok && strings.ContainsRune(str, 0) {
			return errNULCharacter
		}
		return nil
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

// errNULCharacter: PostgreSQL text cannot hold U+0000, so it is refused at the door.
var errNULCharacter = errors.New("strings must not contain the NUL character")
