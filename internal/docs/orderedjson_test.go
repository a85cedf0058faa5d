package docs

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	spec "github.com/minicrm/crm"
)

// yamlKeys is the order of the keys of the mapping at path in a YAML document.
func yamlKeys(t *testing.T, doc []byte, path ...string) []string {
	t.Helper()
	var root yaml.Node
	require.NoError(t, yaml.Unmarshal(doc, &root))
	n := root.Content[0]
	for _, p := range path {
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == p {
				next = n.Content[i+1]
			}
		}
		require.NotNil(t, next, "no %q in the YAML", p)
		n = next
	}
	var keys []string
	for i := 0; i < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i].Value)
	}
	return keys
}

// jsonKeys is the order of the keys of the object at path in a JSON document.
func jsonKeys(t *testing.T, doc []byte, path ...string) []string {
	t.Helper()
	var raw json.RawMessage = doc
	for _, p := range path {
		var obj map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(raw, &obj))
		require.Contains(t, obj, p)
		raw = obj[p]
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		keys = append(keys, k.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return keys
}

func tagNames(t *testing.T, doc []byte, unmarshal func([]byte, any) error) []string {
	t.Helper()
	var d struct {
		Tags []struct {
			Name string `json:"name" yaml:"name"`
		} `json:"tags" yaml:"tags"`
	}
	require.NoError(t, unmarshal(doc, &d))
	var names []string
	for _, tag := range d.Tags {
		names = append(names, tag.Name)
	}
	return names
}

func servedJSON(t *testing.T) []byte {
	t.Helper()
	e := echo.New()
	require.NoError(t, Register(e, spec.OpenAPIYAML))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, echo.MIMEApplicationJSON, rec.Header().Get(echo.HeaderContentType))
	return rec.Body.Bytes()
}

// The portals read /openapi.json: its top-level sections, tags, paths and each path's operations
// come in the order openapi.yaml has them.
func TestOpenAPIJSON_KeepsTheOrderOfOpenAPIYAML(t *testing.T) {
	got := servedJSON(t)

	assert.Equal(t, yamlKeys(t, spec.OpenAPIYAML), jsonKeys(t, got))
	assert.Equal(t, tagNames(t, spec.OpenAPIYAML, yaml.Unmarshal), tagNames(t, got, json.Unmarshal))
	paths := yamlKeys(t, spec.OpenAPIYAML, "paths")
	require.Greater(t, len(paths), 10)
	assert.Equal(t, paths, jsonKeys(t, got, "paths"))
	for _, p := range paths {
		assert.Equal(t, yamlKeys(t, spec.OpenAPIYAML, "paths", p), jsonKeys(t, got, "paths", p), p)
	}
	assert.Equal(t, yamlKeys(t, spec.OpenAPIYAML, "components", "schemas"), jsonKeys(t, got, "components", "schemas"))
}

// Order aside, /openapi.json is openapi.yaml: an OpenAPI loader reads the same document from both
// (nothing lost or changed in the conversion: numbers, booleans, status-code keys, example dates).
func TestOpenAPIJSON_IsOpenAPIYAML(t *testing.T) {
	load := func(doc []byte) []byte {
		t.Helper()
		d, err := openapi3.NewLoader().LoadFromData(doc)
		require.NoError(t, err)
		b, err := d.MarshalJSON()
		require.NoError(t, err)
		return b
	}
	assert.JSONEq(t, string(load(spec.OpenAPIYAML)), string(load(servedJSON(t))))
}

func TestJSON_Scalars(t *testing.T) {
	got, err := JSON([]byte(`
b: 2
a: {x: 1.5, "y": true, z: null, w: ~}
200: "200"
date: 2026-12-01
when: 2026-12-01T10:00:00Z
s: '<a & b>'
seq: [1, two, {k: v}]
base: &anchor {q: 1}
ref: *anchor
`))
	require.NoError(t, err)
	assert.Equal(t, `{"b":2,"a":{"x":1.5,"y":true,"z":null,"w":null},"200":"200","date":"2026-12-01",`+
		`"when":"2026-12-01T10:00:00Z","s":"<a & b>","seq":[1,"two",{"k":"v"}],"base":{"q":1},"ref":{"q":1}}`,
		string(got))
}

func TestJSON_RefusesWhatJSONCannotSay(t *testing.T) {
	for name, doc := range map[string]string{
		"a merge key":           "a: &x {b: 1}\nc: {<<: *x}\n",
		"a key that is no text": "? [1, 2]\n: x\n",
		"not YAML":              "a: [\n",
	} {
		_, err := JSON([]byte(doc))
		assert.Error(t, err, name)
	}
}
