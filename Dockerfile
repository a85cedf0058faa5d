# syntax=docker/dockerfile:1
# Build: a static binary (no cgo; time zones and the portal are embedded).
FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -ldflags="-s -w" -o /out/crm ./cmd/crm

# Run: nothing but the binary and CA certificates, as an unprivileged user.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/crm /crm
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/crm"]
CMD ["serve"]
