# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
export CGO_ENABLED ?= 0
GO ?= go
LINT := $(GO) tool -modfile=tools/go.mod golangci-lint
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
export TEST_DATABASE_URL

COVERAGE_FILE := $(CURDIR)/tmp/contract-coverage.txt
OASDIFF := $(GO) tool -modfile=tools/go.mod oasdiff

.PHONY: run test generate drift vet fmt lint build tidy contract-coverage breaking baseline \
	spec-lint docs docs-deps sdk-ts-deps sdk-ts-test portal-test bench readme-check \
	codesamples-check getting-started-check sdk-go-newmodule

## run: the service on :8080 against the local PostgreSQL (database created and migrated on start)
run: .env
	$(GO) run ./cmd/crm serve

# A development secret, generated once into the git-ignored .env. Never used outside a laptop.
.env:
	@cp .env.example .env
	@secret=$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'); \
	  sed -i "s/^JWT_SECRET_KEY=.*/JWT_SECRET_KEY=$$secret/" .env
	@echo "created .env with a generated development JWT_SECRET_KEY"

## test: every unit and integration test (needs PostgreSQL at TEST_DATABASE_URL); the integration
## tests also record which (operation, status) pairs they produced, for `make contract-coverage`
test:
	@mkdir -p tmp && rm -f $(COVERAGE_FILE)
	CONTRACT_COVERAGE_FILE=$(COVERAGE_FILE) $(GO) test -count=1 -shuffle=on -parallel 8 -timeout 20m ./...

## bench: the load tool (cmd/loadgen, docs/performance.md): seeds its own database crm_bench, then the
## PostgreSQL ceiling of list-contacts, the service on the same request, deep pages (by number and by
## cursor), the analytics endpoints, a mixed open-loop run; tmp/bench.json. Flags through BENCH_FLAGS,
## e.g. make bench BENCH_FLAGS='-rate 1000 -step'
bench:
	@mkdir -p tmp
	$(GO) run ./cmd/loadgen $(BENCH_FLAGS)

## contract-coverage: fail unless every documented (operation, status) pair was produced by a test
contract-coverage:
	$(GO) run ./cmd/contractcov -coverage $(COVERAGE_FILE) -allow contract/coverage-allowlist.txt

## breaking: fail on breaking changes against the released contract (contract/openapi.baseline.yaml)
breaking:
	$(OASDIFF) breaking contract/openapi.baseline.yaml openapi.yaml --fail-on ERR

## baseline: acknowledge the current contract as released (commit it with the breaking change)
baseline:
	cp openapi.yaml contract/openapi.baseline.yaml

# npm ci only when the lockfile is newer than the installed tree.
docs-deps: docs/node_modules/.package-lock.json
docs/node_modules/.package-lock.json: docs/package-lock.json
	cd docs && npm ci --no-audit --no-fund

## spec-lint: Redocly lint of openapi.yaml (redocly.yaml), zero errors
spec-lint: docs-deps
	cd docs && REDOCLY_TELEMETRY=off npm run --silent lint

## docs: vendor the portal assets the binary embeds, and build the static ReDoc page (docs/dist)
docs: docs-deps
	cd docs && npm run --silent vendor && REDOCLY_TELEMETRY=off npm run --silent build

## portal-test: open /redoc and /docs of a live service in headless Chromium; screenshots in ci-artifacts/
portal-test: docs-deps
	scripts/with-service.sh bash -c 'cd docs && npm run --silent test:browser'

sdk-ts-deps: sdk/typescript/node_modules/.package-lock.json
sdk/typescript/node_modules/.package-lock.json: sdk/typescript/package-lock.json
	cd sdk/typescript && npm ci --no-audit --no-fund

## sdk-go-newmodule: a new module outside the repository uses the Go SDK of a fresh clone of HEAD
## (replace directive, offline build) and runs against a live service
sdk-go-newmodule:
	scripts/sdk-go-newmodule.sh

## sdk-ts-test: generate-drift, type check, build and the scenario test of the TypeScript SDK
sdk-ts-test: sdk-ts-deps
	cd sdk/typescript && npm run --silent gen && git diff --exit-code -- src/schema.d.ts src/codes.ts src/operations.ts
	cd sdk/typescript && npm run --silent typecheck && npm run --silent build && npm test

## sdk-ts-smoke: npm pack the TypeScript SDK and install the tarball into a new project outside the
## repository, as a new user would; a program using it type-checks under strict and runs
sdk-ts-smoke: sdk-ts-deps
	sdk/typescript/scripts/smoke-install.sh

## codesamples-check: the TypeScript SDK samples of the portal (openapi.yaml's x-codeSamples, written
## by `make generate` into docs/codesamples/samples.gen.ts) type-check against sdk/typescript's
## sources; the Go ones (internal/docs/codesamples/gocheck) compile with the module (make vet)
codesamples-check: sdk-ts-deps
	sdk/typescript/node_modules/.bin/tsc -p docs/codesamples/tsconfig.json

## getting-started-check: run the "Getting started" calls of openapi.yaml's description against a
## fresh live service, as readme-check does with the README (needs jq)
getting-started-check:
	@mkdir -p tmp
	$(GO) run ./cmd/codesamples -description > tmp/getting-started.md
	README_CHECK_SECTIONS="Getting started" scripts/readme-check.sh tmp/getting-started.md

## readme-check: run the README's walk-through (its sh blocks, in one bash) against a fresh live
## service; fails on any status the text does not announce (scripts/readme-check.sh; needs jq)
readme-check:
	scripts/readme-check.sh README.md

## generate: regenerate gen/ from openapi.yaml, schema/ and queries/
## (then the portal's code samples from the spec and the SDKs, openapi.yaml's x-codeSamples, and the
## spec embedded in gen/api once more, as it now has them)
generate:
	$(GO) generate ./gen/...
	$(GO) run ./cmd/codesamples
	cd gen && $(GO) tool oapi-codegen -config api/spec.yaml ../openapi.yaml

## drift: fail when the committed generated code differs from a fresh generate (gen/ and the Go
## SDK's codes_gen.go and types_gen.go)
drift: generate
	git add -N gen sdk/go/crmsdk internal/docs/codesamples/gocheck docs/codesamples
	git diff --exit-code -- gen 'sdk/go/crmsdk/*_gen.go' openapi.yaml internal/docs/codesamples/gocheck docs/codesamples

vet:
	$(GO) vet ./...

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

lint:
	$(LINT) run ./...

# `crm version` prints these: the nearest tag (or the commit) and the commit, "-dirty" when the tree
# has changes.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)

build:
	$(GO) build -trimpath -ldflags "-X main.version=$(VERSION) -X main.commit=$(COMMIT)" -o bin/crm ./cmd/crm

tidy:
	$(GO) mod tidy
	cd tools && $(GO) mod tidy
