// Package spec is the module root: it embeds the contract, openapi.yaml, so that the binary can
// serve it byte for byte (the generated code carries only a re-encoded copy).
package spec

import _ "embed"

// OpenAPIYAML is openapi.yaml, byte for byte.
//
//go:embed openapi.yaml
var OpenAPIYAML []byte
