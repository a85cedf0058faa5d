# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
export CGO_ENABLED ?= 0
GO ?= go
LINT := $(GO) tool -modfile=tools/go.mod golangci-lint
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
export TEST_DATABASE_URL

.PHONY: run test generate drift vet fmt lint build tidy

## run: the service on :8080 against the local PostgreSQL (database created and migrated on start)
run: .env
	$(GO) run ./cmd/crm serve

# A development secret, generated once into the git-ignored .env. Never used outside a laptop.
.env:
	@cp .env.example .env
	@secret=$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'); \
	  sed -i "s/^JWT_SECRET_KEY=.*/JWT_SECRET_KEY=$$secret/" .env
	@echo "created .env with a generated development JWT_SECRET_KEY"

## test: every unit and integration test (needs PostgreSQL at TEST_DATABASE_URL)
test:
	$(GO) test -count=1 -shuffle=on ./...

## generate: regenerate gen/ from openapi.yaml, schema/ and queries/
generate:
	$(GO) generate ./gen/...

## drift: fail when the committed generated code differs from a fresh generate
drift: generate
	git add -N gen && git diff --exit-code -- gen

vet:
	$(GO) vet ./...

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

lint:
	$(LINT) run ./...

build:
	$(GO) build -trimpath -o bin/crm ./cmd/crm

tidy:
	$(GO) mod tidy
	cd tools && $(GO) mod tidy
