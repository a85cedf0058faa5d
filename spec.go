// Package crm is the module root. It embeds the contract so that the binary can serve it as written.
package crm

import _ "embed"

// OpenAPIYAML is openapi.yaml, byte for byte.
//
//go:embed openapi.yaml
var OpenAPIYAML []byte
