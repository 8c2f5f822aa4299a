# The Go service (seed 003) in a monorepo, built from the repository root.
ARG GO_IMAGE=golang:1.26

FROM ${GO_IMAGE} AS builder
WORKDIR /src
COPY services/go/go.mod ./
COPY services/go/*.go ./
ARG APP_VERSION=dev
RUN --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags "-s -w -X main.version=${APP_VERSION}" -o /out/server .

FROM builder AS test
RUN --mount=type=cache,target=/root/.cache/go-build go test ./...

FROM builder AS dev
COPY services/go/dev ./dev
CMD ["go", "run", "."]

FROM scratch AS production
COPY --from=builder /out/server /server
USER 65534:65534
ENTRYPOINT ["/server"]
