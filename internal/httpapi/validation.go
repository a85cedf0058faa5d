package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/minicrm/crm/internal/crm"
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

// validEmail is crm.ValidEmail: the one rule of an email, for the API's bodies and the CSV import.
func validEmail(s string) error { return crm.ValidEmail(s) }

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
// It also bounds the body's shape before anything is built from it (see maxJSONMembers): a body of
// 90,000 unknown keys is one small validation error, not 90,000 of them.
func strictJSONBodyDecoder(body io.Reader, h http.Header, schema *openapi3.SchemaRef, enc openapi3filter.EncodingFn) (any, error) {
	raw, err := readBody(body)
	if err != nil {
		return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: err}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	chk := jsonChecker{dec: dec}
	if err := chk.value(0); err != nil {
		return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: err}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: errors.New("data after the JSON value")}
	}
	return openapi3filter.JSONBodyDecoder(bytes.NewReader(raw), h, schema, enc)
}

// readBody reads all of body, in one allocation when its length is known (kin-openapi hands the
// decoder a *bytes.Reader over the body it already read).
func readBody(body io.Reader) ([]byte, error) {
	if r, ok := body.(interface{ Len() int }); ok {
		buf := make([]byte, r.Len())
		_, err := io.ReadFull(body, buf)
		return buf, err
	}
	return io.ReadAll(body)
}

// maxJSONDepth bounds nesting (400 malformed_request past it): no request schema nests more than
// three levels, and encoding/json's own limit (10,000) would let a body trip maxJSONValues first.
const maxJSONDepth = 100

// Bounds on a body's shape, far above what any request schema of openapi.yaml allows (its largest
// request object has about a dozen properties and no request body holds an array) and low enough
// that the validator and the error renderer never work on more than a few hundred things: without
// them a 1 MiB body of unknown keys made the validator build ~91,000 errors (122 MB allocated, a
// 4.6 MB answer, 0.8 s per request).
const (
	maxJSONMembers = 100    // members of one object
	maxJSONValues  = 10_000 // values in the whole body, keys not counted
)

// bodyShapeError is a body that is valid JSON but larger in shape than any request schema allows:
// 400 validation_failed naming the object at fault.
type bodyShapeError struct {
	Field   string // dotted path of the object ("body" for the top level)
	Message string
}

func (e *bodyShapeError) Error() string { return e.Field + " " + e.Message }

// jsonChecker reads one JSON value token by token: it fails on a duplicate object key at any
// depth, on NUL characters, and past the shape bounds, before anything is decoded.
type jsonChecker struct {
	dec    *json.Decoder
	values int
	path   []string
}

func (c *jsonChecker) field() string {
	if len(c.path) == 0 {
		return "body"
	}
	return strings.Join(c.path, ".")
}

func (c *jsonChecker) value(depth int) error {
	if depth > maxJSONDepth {
		return errors.New("JSON nested too deeply")
	}
	if c.values++; c.values > maxJSONValues {
		return &bodyShapeError{Field: "body", Message: fmt.Sprintf("must not hold more than %d values", maxJSONValues)}
	}
	tok, err := c.dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for c.dec.More() {
			if len(seen) == maxJSONMembers {
				return &bodyShapeError{Field: c.field(), Message: fmt.Sprintf("must not have more than %d members", maxJSONMembers)}
			}
			key, err := c.dec.Token()
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
			c.path = append(c.path, k)
			err = c.value(depth + 1)
			c.path = c.path[:len(c.path)-1]
			if err != nil {
				return err
			}
		}
	case json.Delim('['):
		for i := 0; c.dec.More(); i++ {
			c.path = append(c.path, strconv.Itoa(i))
			err := c.value(depth + 1)
			c.path = c.path[:len(c.path)-1]
			if err != nil {
				return err
			}
		}
	default:
		if str, ok := tok.(string); ok && strings.ContainsRune(str, 0) {
			return errNULCharacter
		}
		return nil
	}
	_, err = c.dec.Token() // the closing delimiter
	return err
}

// errNULCharacter: PostgreSQL text cannot hold U+0000, so it is refused at the door.
var errNULCharacter = errors.New("strings must not contain the NUL character")
