# syntax=docker/dockerfile:1
FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -ldflags="-s -w" -o /out/crm ./cmd/crm

# distroless/static: no shell, no package manager, CA certificates, a non-root user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/crm /usr/local/bin/crm
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/crm"]
CMD ["serve"]
