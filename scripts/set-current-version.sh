#!/usr/bin/env bash
# Makes the worker build just started the current version of its Worker Deployment (README
# "Deploying a new version"): new workflows start on it and Auto-Upgrade ones move to it.
# The version exists once one of its workers has polled, so this waits for that (up to 60 s),
# reading the deployment list (which does not fail while the deployment is missing).
# The CLI reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE (and TEMPORAL_API_KEY) from the
# environment; extra arguments go to every CLI call (e.g. --tls-cert-path …).
set -euo pipefail
cd "$(dirname "$0")/.."
name=${WORKER_DEPLOYMENT_NAME:?set WORKER_DEPLOYMENT_NAME}
build=${WORKER_BUILD_ID:-$(./bin/worker version)}
if [ -z "$build" ]; then echo "set-current-version: the worker has no build id: build with make build or set WORKER_BUILD_ID" >&2; exit 1; fi
polled() {
  ./bin/temporal worker deployment list --output json "$@" 2>/dev/null | grep -q "\"name\": *\"$name\"" &&
    ./bin/temporal worker deployment describe --name "$name" --output json "$@" 2>/dev/null | grep -qi "\"buildid\": *\"$build\""
}
out="version $name/$build has no poller"
for _ in $(seq 1 120); do
  if polled "$@" && out=$(./bin/temporal worker deployment set-current-version --deployment-name "$name" --build-id "$build" --yes "$@" 2>&1); then
    ./bin/temporal worker deployment describe --name "$name" "$@"
    exit 0
  fi
  sleep 0.5
done
echo "set-current-version: $name/$build did not become current: $out" >&2
exit 1
