# The guide's Go recipe (chapter 5), written for sample_apps/go-api (the build context): the
# golang image builds the binary, alpine runs it. Kept as the guide has it: a plain `go build`
# (no CGO_ENABLED=0), the alpine runtime, no USER, no HEALTHCHECK.
# Adapted: golang:1.23-bookworm for the guide's golang:1.21 (the go.mod needs 1.22+); alpine:3.20
# for alpine:latest (chapter 7 measures what :latest does). The guide's listing builds before
# copying any source and starts "/myapp" while the binary lands in /app: `COPY . .` added, and the
# ENTRYPOINT names the path the binary is copied to.
FROM golang:1.23-bookworm AS builder
WORKDIR /app
COPY . .
# CGO_ENABLED is unset unless a build argument sets it (the guide sets nothing: Go's default then).
ARG CGO_ENABLED
RUN go build -o myapp

FROM alpine:3.20
WORKDIR /app
COPY --from=builder /app/myapp .
EXPOSE 8080
ENTRYPOINT ["/app/myapp"]
