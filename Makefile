# coverage orchestrator. On a new machine two commands matter: `make run` and `make test`.
# Everything they need (Temporal CLI, workflowcheck, docker-compose for validation) is
# installed by the targets below, once, into ./bin or through apt-get.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
GO ?= go
BIN := $(CURDIR)/bin
TEMPORAL_CLI_VERSION := v1.5.1
# The real server the CLI embeds, for the cluster topology (make run-cluster, the cluster test).
TEMPORAL_SERVER_VERSION := v1.29.1
TEMPORAL_SERVER := $(BIN)/cluster/server
WORKFLOWCHECK_VERSION := v0.6.0
TEMPORAL := $(BIN)/temporal
WORKFLOWCHECK := $(BIN)/workflowcheck
export TEMPORAL_CLI_PATH := $(TEMPORAL)

.PHONY: all tools cluster-tools postgresql build test unit lint compose-check run run-cluster demo bench fuzz golden clean
all: build

tools: $(TEMPORAL) $(WORKFLOWCHECK)

# The Temporal CLI (dev server + Web UI) builds from the Go module proxy (about 3 min cold).
$(TEMPORAL):
	@mkdir -p $(BIN)
	GOBIN=$(BIN) $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)

# The Temporal server and its schema tool, from the Go module proxy (about 4 minutes cold).
$(TEMPORAL_SERVER):
	@mkdir -p $(BIN)/cluster
	GOBIN=$(BIN)/cluster $(GO) install go.temporal.io/server/cmd/server@$(TEMPORAL_SERVER_VERSION) go.temporal.io/server/cmd/tools/sql@$(TEMPORAL_SERVER_VERSION)

# PostgreSQL from Debian's packages (the cluster runs its own private instance of it).
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

cluster-tools: tools postgresql $(TEMPORAL_SERVER)

$(WORKFLOWCHECK):
	@mkdir -p $(BIN)
	GOBIN=$(BIN) $(GO) install go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION)

build:
	$(GO) build -o $(BIN)/ ./...

lint: $(WORKFLOWCHECK)
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(WORKFLOWCHECK) ./workflows/...

# Every test: vet, the determinism check, the compose file check, unit tests, replay of
# golden histories, and the end-to-end suite on a real Temporal dev server (started by the
# tests from ./bin/temporal).
test: tools cluster-tools lint compose-check build
	$(GO) test -count=1 -timeout 30m ./...

# No Docker engine runs here: Debian's docker-compose validates the file instead.
compose-check:
	@command -v docker-compose >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; }
	POLICY_API_KEY=check POLICY_WEBHOOK_SECRET=check OPS_API_TOKEN=check PAYLOAD_ENCRYPTION_KEYS=check POSTGRES_PASSWORD=check docker-compose -f docker-compose.yml config -q
	POLICY_API_KEY=check POLICY_WEBHOOK_SECRET=check OPS_API_TOKEN=check PAYLOAD_ENCRYPTION_KEYS=check POSTGRES_PASSWORD=check docker-compose -f docker-compose.yml --profile sandbox config --services | grep -qx sandbox
	@echo "docker-compose.yml is valid"

# Quick loop without the dev-server suites.
unit:
	$(GO) test -short ./...

# Record new golden histories on a real dev server (after a guarded workflow change).
golden: tools
	UPDATE_GOLDEN=1 $(GO) test -count=1 -run TestRecordGoldenHistories ./e2e/

# Measures throughput, latency, cost and scale on this machine, on the dev server and on the
# cluster (PostgreSQL) in one run, and writes BENCHMARKS.md. BENCH_BACKENDS=dev (or cluster)
# runs one; BENCH_SCALE_N, BENCH_CLUSTER_SCALE_N and BENCH_E2E_N change the counts.
bench: tools cluster-tools build
	set -o pipefail; BENCHMARKS_OUT=$(CURDIR)/BENCHMARKS.md $(GO) test -count=1 -timeout 90m -run TestMacroBenchmarks -v ./bench/ 2>&1 | grep -v '^=== RUN'
	@echo "wrote BENCHMARKS.md"

fuzz:
	$(GO) test ./policyclient -run '^$$' -fuzz FuzzParseEvent -fuzztime 30s
	$(GO) test ./policyclient -run '^$$' -fuzz FuzzEventIDOf -fuzztime 15s
	$(GO) test ./vendors/all -run '^$$' -fuzz FuzzPathID -fuzztime 30s

# The whole local stack; Ctrl-C stops it. State is kept in .data/ across restarts.
run: tools build
	./scripts/run.sh

# The production topology: PostgreSQL, the real Temporal server, two workers, two ingresses.
run-cluster: cluster-tools build
	./scripts/run-cluster.sh

# Feeds the demo mix through the real webhook routes of a running `make run`.
demo: build
	source scripts/local.env && ./bin/sandbox demo

clean:
	rm -rf $(BIN) .data
