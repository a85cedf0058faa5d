// Package codesamples writes the code samples of the documentation portal: for every operation of
// openapi.yaml, the same call with curl, the TypeScript SDK and the Go SDK, as the operation's
// x-codeSamples (ReDoc shows them beside it). The samples are generated from the spec (paths,
// parameters, security, request examples) and from the SDKs' methods; two check files hold every
// SDK sample, so that `tsc` type-checks the TypeScript ones and the Go compiler the Go ones
// (cmd/codesamples writes all of it; `make generate` runs it).
package codesamples

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Operation is what the samples need of one operation of the spec.
type Operation struct {
	ID     string
	Method string // GET, POST, …
	Path   string
	// PathParams are the names of the path's parameters, in the order of the path.
	PathParams []string
	Bearer     bool // sends Authorization: Bearer
	OrgHeader  bool // sends X-Organization-Id
	// BodyType is the media type of the request body ("" without one); Body its example and
	// BodySchema its schema (a $ref resolved by the callers that need it).
	BodyType   string
	Body       *yaml.Node
	BodySchema *yaml.Node
}

// Spec is the parsed document: its operations in the document's order, and its components for
// resolving $refs.
type Spec struct {
	Root       *yaml.Node // the document's top mapping
	Operations []Operation
}

var methods = []string{"get", "put", "post", "patch", "delete"}

// Parse reads the operations of an OpenAPI document.
func Parse(doc []byte) (*Spec, error) {
	var file yaml.Node
	if err := yaml.Unmarshal(doc, &file); err != nil {
		return nil, err
	}
	if len(file.Content) != 1 || file.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a YAML mapping")
	}
	s := &Spec{Root: file.Content[0]}
	globalSec := get(s.Root, "security")
	paths := get(s.Root, "paths")
	if paths == nil {
		return nil, fmt.Errorf("no paths")
	}
	for i := 0; i+1 < len(paths.Content); i += 2 {
		path, item := paths.Content[i].Value, s.deref(paths.Content[i+1])
		for j := 0; j+1 < len(item.Content); j += 2 {
			method := item.Content[j].Value
			if !contains(methods, method) {
				continue
			}
			op := item.Content[j+1]
			id := get(op, "operationId")
			if id == nil {
				return nil, fmt.Errorf("%s %s has no operationId", method, path)
			}
			o := Operation{ID: id.Value, Method: strings.ToUpper(method), Path: path, PathParams: pathParams(path)}
			sec := get(op, "security")
			if sec == nil {
				sec = globalSec
			}
			if sec != nil {
				for _, req := range sec.Content {
					o.Bearer = o.Bearer || get(req, "bearerAuth") != nil
					o.OrgHeader = o.OrgHeader || get(req, "organizationHeader") != nil
				}
			}
			if rb := get(op, "requestBody"); rb != nil {
				content := get(s.deref(rb), "content")
				if content != nil && len(content.Content) >= 2 {
					o.BodyType = content.Content[0].Value
					media := content.Content[1]
					o.BodySchema = get(media, "schema")
					o.Body = get(media, "example")
					if o.Body == nil {
						if exs := get(media, "examples"); exs != nil && len(exs.Content) >= 2 {
							o.Body = get(s.deref(exs.Content[1]), "value")
						}
					}
					if o.Body == nil && o.BodyType == "application/json" {
						return nil, fmt.Errorf("%s: the request body has no example to make the samples from", o.ID)
					}
				}
			}
			s.Operations = append(s.Operations, o)
		}
	}
	return s, nil
}

// deref follows a local $ref ("#/components/…") to the node it names.
func (s *Spec) deref(n *yaml.Node) *yaml.Node {
	for range 10 {
		ref := get(n, "$ref")
		if ref == nil || !strings.HasPrefix(ref.Value, "#/") {
			return n
		}
		cur := s.Root
		for _, part := range strings.Split(strings.TrimPrefix(ref.Value, "#/"), "/") {
			part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
			if cur = get(cur, part); cur == nil {
				return n
			}
		}
		n = cur
	}
	return n
}

// get is the value of key in a mapping node, nil when n is no mapping or has no such key.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func pathParams(path string) []string {
	var out []string
	for rest := path; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return out
		}
		out = append(out, rest[i+1:i+j])
		rest = rest[i+j+1:]
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// camel turns snake_case into lowerCamelCase, with Go's initialisms when goStyle (deal_id →
// dealID, else dealId).
func camel(name string, goStyle bool) string {
	parts := strings.Split(name, "_")
	var b strings.Builder
	for i, p := range parts {
		if p == "" {
			continue
		}
		switch {
		case i == 0:
			b.WriteString(p)
		case goStyle && (p == "id" || p == "url"):
			b.WriteString(strings.ToUpper(p))
		default:
			b.WriteString(strings.ToUpper(p[:1]) + p[1:])
		}
	}
	return b.String()
}
