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
# The Temporal Web UI server the CLI $(TEMPORAL_CLI_VERSION) embeds (its go.mod), for the cluster topology.
TEMPORAL_UI_VERSION := v2.42.1
TEMPORAL_UI_SERVER := $(BIN)/ui/server
WORKFLOWCHECK_VERSION := v0.6.0
# The mutation tester behind make mutate (TESTING.md).
GREMLINS_VERSION := v0.6.0
GREMLINS := $(BIN)/gremlins
TEMPORAL := $(BIN)/temporal
WORKFLOWCHECK := $(BIN)/workflowcheck
export TEMPORAL_CLI_PATH := $(TEMPORAL)

.PHONY: all tools cluster-tools postgresql chromium build bench-console test unit lint compose-check run run-cluster demo bench fuzz mutate golden replay-check clean
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

# The Temporal Web UI server (with its built UI embedded), from the Go module proxy; its binary
# is also named server, hence a directory of its own.
$(TEMPORAL_UI_SERVER):
	@mkdir -p $(BIN)/ui
	GOBIN=$(BIN)/ui $(GO) install github.com/temporalio/ui-server/v2/cmd/server@$(TEMPORAL_UI_VERSION)

# PostgreSQL from Debian's packages (the cluster runs its own private instance of it).
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

cluster-tools: tools postgresql $(TEMPORAL_SERVER)

# Debian's chromium, driven headless by the console's browser tests (e2e/console_test.go).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

$(WORKFLOWCHECK):
	@mkdir -p $(BIN)
	GOBIN=$(BIN) $(GO) install go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION)

# The worker's Build ID in Worker Versioning (README "Deploying a new version"): the commit,
# "-dirty" with local changes; WORKER_BUILD_ID at run time overrides it.
BUILD_ID ?= $(shell git describe --tags --always --dirty 2>/dev/null)
LDFLAGS := -X github.com/coverage-orchestrator/coverage/config.buildID=$(BUILD_ID)

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./...

lint: $(WORKFLOWCHECK)
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(WORKFLOWCHECK) ./workflows/...

# Every test: vet, the determinism check, the compose file check, unit tests, replay of the
# golden histories of every kept release, and the end-to-end suite on a real Temporal dev
# server (started by the tests from ./bin/temporal), with the replay check and the rolling
# upgrade from the previous release. Test artifacts (the console's screenshots of every page)
# are kept in .data/test-output.
test: tools cluster-tools chromium lint compose-check build
	@mkdir -p .data/test-output
	$(GO) test -count=1 -timeout 30m -artifacts -outputdir $(CURDIR)/.data/test-output ./...

# No Docker engine runs here: Debian's docker-compose validates the file instead.
compose-check:
	@command -v docker-compose >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; }
	POLICY_API_KEY=check POLICY_WEBHOOK_SECRET=check OPS_API_TOKEN=check PAYLOAD_ENCRYPTION_KEYS=check POSTGRES_PASSWORD=check WORKER_BUILD_ID=check docker-compose -f docker-compose.yml config -q
	POLICY_API_KEY=check POLICY_WEBHOOK_SECRET=check OPS_API_TOKEN=check PAYLOAD_ENCRYPTION_KEYS=check POSTGRES_PASSWORD=check WORKER_BUILD_ID=check docker-compose -f docker-compose.yml --profile sandbox config --services | grep -qx sandbox
	@echo "docker-compose.yml is valid"

# Quick loop without the dev-server suites.
unit:
	$(GO) test -short ./...

# Record the golden histories of a release on a real dev server, before tagging it
# (make golden RELEASE=v1.1.0): workflows/testdata/golden/<release>/, kept beside those of
# earlier releases (README "Changing a workflow").
golden: tools
	@[[ "$(RELEASE)" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$$ ]] || { echo "make golden RELEASE=vX.Y.Z: the release (tag) these histories are for"; exit 1; }
	UPDATE_GOLDEN=$(RELEASE) $(GO) test -count=1 -run TestRecordGoldenHistories ./e2e/

# Before a deploy: replays the open Auto-Upgrade workflows of a namespace against this build
# (the worker's environment: TEMPORAL_*, PAYLOAD_ENCRYPTION_KEYS…; SAMPLE=200 replays a
# random 200). Prints how many replayed and the first failure; fails if one does not replay.
replay-check: build
	./bin/worker replay -sample $(or $(SAMPLE),0)

# Measures throughput, latency, cost and scale on this machine, on the dev server and on the
# cluster (PostgreSQL) in one run, and writes BENCHMARKS.md. BENCH_BACKENDS=dev (or cluster)
# runs one; BENCH_SCALE_N, BENCH_CLUSTER_SCALE_N and BENCH_E2E_N change the counts.
bench: tools cluster-tools build
	set -o pipefail; BENCHMARKS_OUT=$(CURDIR)/BENCHMARKS.md $(GO) test -count=1 -timeout 90m -run TestMacroBenchmarks -v ./bench/ 2>&1 | grep -v '^=== RUN'
	@echo "wrote BENCHMARKS.md"
	@$(MAKE) --no-print-directory bench-console

# The console's overview over 10,000 open engagements (target: under 300 ms), appended to BENCHMARKS.md.
bench-console:
	{ echo; echo "## Operations console (go test -bench BenchmarkOverview ./console/)"; echo; echo '```'; \
	  $(GO) test -count=1 -run '^$$' -bench BenchmarkOverview -benchmem ./console/ | grep '^Benchmark'; echo '```'; } | tee -a BENCHMARKS.md

# Every fuzz test of the module (each parser of outside input), FUZZTIME each (default 10s);
# CI runs them with FUZZTIME=3s after make test (.ci/run).
fuzz:
	FUZZTIME=$(or $(FUZZTIME),10s) ./scripts/fuzz.sh

$(GREMLINS):
	@mkdir -p $(BIN)
	GOBIN=$(BIN) $(GO) install github.com/go-gremlins/gremlins/cmd/gremlins@$(GREMLINS_VERSION)

# Mutation testing of vendors/, policyclient/, notify/, payloadcodec/ and workflows/ with their
# unit tests; writes the score per package and every surviving mutant into TESTING.md. Slow
# (about 15 minutes), so not part of make test; rerun it when those packages change.
mutate: $(GREMLINS)
	GREMLINS=$(GREMLINS) ./scripts/mutate.sh

# The whole local stack; Ctrl-C stops it. State is kept in .data/ across restarts.
run: tools build
	./scripts/run.sh

# The production topology: PostgreSQL, the real Temporal server, two workers, two ingresses,
# the Temporal Web UI.
run-cluster: cluster-tools $(TEMPORAL_UI_SERVER) build
	./scripts/run-cluster.sh

# Feeds the demo mix through the real webhook routes of a running `make run`.
demo: build
	source scripts/local.env && ./bin/sandbox demo

clean:
	rm -rf $(BIN) .data
