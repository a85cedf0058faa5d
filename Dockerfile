# syntax=docker/dockerfile:1
# Build: a static binary (no cgo; time zones and the portal are embedded).
FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# `crm version` reports these (.git is not copied into the build):
#   docker build --build-arg VERSION=$(git describe --tags --always) --build-arg COMMIT=$(git rev-parse HEAD) .
ARG VERSION=dev
ARG COMMIT=unknown
RUN go build -ldflags="-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" -o /out/crm ./cmd/crm

# Run: nothing but the binary and CA certificates, as an unprivileged user.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/crm /crm
USER 65532:65532
EXPOSE 8080
# The image has no shell: the binary is its own probe (GET /readyz of HTTP_ADDR on 127.0.0.1).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["/crm", "healthcheck"]
ENTRYPOINT ["/crm"]
CMD ["serve"]
