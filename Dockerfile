# One image build, three entrypoints: worker, ingress (starter) and the sandboxes (demo only).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The worker's Build ID in Worker Versioning: pass --build-arg BUILD_ID=$(git describe --tags --always --dirty).
ARG BUILD_ID
RUN test -n "$BUILD_ID" || { echo "build with --build-arg BUILD_ID=\$(git describe --tags --always --dirty)"; exit 1; }
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X github.com/coverage-orchestrator/coverage/config.buildID=${BUILD_ID}" -o /out/ ./worker ./starter ./sandbox

FROM gcr.io/distroless/static-debian12:nonroot AS worker
COPY --from=build /out/worker /usr/local/bin/worker
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/worker"]

FROM gcr.io/distroless/static-debian12:nonroot AS ingress
COPY --from=build /out/starter /usr/local/bin/starter
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/starter"]

FROM gcr.io/distroless/static-debian12:nonroot AS sandbox
COPY --from=build /out/sandbox /usr/local/bin/sandbox
COPY scripts/mapping.yaml /etc/coverage/mapping.yaml
EXPOSE 8090 8091
ENTRYPOINT ["/usr/local/bin/sandbox"]
