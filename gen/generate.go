// Package gen holds only generated code: gen/api (server), gen/client (Go client) and gen/db (sqlc).
// Nothing under gen/ is edited by hand; run `make generate`.
package gen

//go:generate go tool oapi-codegen -config api/oapi-codegen.yaml ../openapi.yaml
//go:generate go tool oapi-codegen -config api/spec.yaml ../openapi.yaml
//go:generate go tool oapi-codegen -config client/oapi-codegen.yaml ../openapi.yaml
//go:generate go run ../sdk/go/crmsdk/internal/gensdk -spec ../openapi.yaml -client client/client.gen.go -out ../sdk/go/crmsdk
//go:generate go tool sqlc generate -f ../sqlc.yaml
