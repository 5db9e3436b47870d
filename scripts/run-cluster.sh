#!/usr/bin/env bash
# The production topology on one machine (make run-cluster): PostgreSQL and the real Temporal
# server (scripts/cluster.sh), two workers and two ingress replicas, the sandboxes, and the
# Temporal Web UI server (decoding payloads through the first ingress's codec route).
# State is kept in .data/cluster across restarts; Ctrl-C stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .data
source scripts/local.env
if [ ! -s .data/payload-key ]; then
  (umask 077; printf 'local-%s:%s\n' "$(date -u +%Y%m%d)" "$(head -c 32 /dev/urandom | base64 -w0)" > .data/payload-key)
fi
export PAYLOAD_ENCRYPTION_KEYS="$(cat .data/payload-key)"
DIR=.data/cluster
PGPORT=${CLUSTER_PG_PORT:-55432}
FRONTEND=${CLUSTER_FRONTEND_PORT:-7233}
export TEMPORAL_ADDRESS=127.0.0.1:$FRONTEND
UI_PORT=${CLUSTER_UI_PORT:-8233}

pids=()
cleanup() {
  trap - INT TERM EXIT
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/cluster.sh pg-stop "$DIR" 2>/dev/null || true
  echo "stopped"
  exit 0
}
trap cleanup INT TERM EXIT

scripts/cluster.sh setup "$DIR" "$PGPORT" "$FRONTEND"
scripts/cluster.sh server "$DIR" > "$DIR/server.log" 2>&1 &
pids+=($!)
scripts/cluster.sh register "$DIR"

./bin/sandbox &
pids+=($!)
for i in 0 1; do
  LISTEN_ADDR=127.0.0.1:$((8080 + i)) METRICS_ADDR=127.0.0.1:$((9090 + i)) ./bin/worker & pids+=($!)
  LISTEN_ADDR=127.0.0.1:$((8080 + i)) METRICS_ADDR=127.0.0.1:$((9190 + i)) ./bin/starter & pids+=($!)
done
# A deploy: both workers' build becomes the deployment's current version.
scripts/set-current-version.sh

# The Web UI (built by make run-cluster from the Go module proxy, the version the CLI embeds).
TEMPORAL_UI_PORT=$UI_PORT TEMPORAL_UI_ORIGIN=http://localhost:$UI_PORT TEMPORAL_CODEC_ENDPOINT=http://localhost:8080/codec \
  TEMPORAL_UI_BANNER="Operations console: http://localhost:8080/console/" \
  ./bin/ui/server --root . --config scripts/temporal-ui --env cluster start > "$DIR/ui.log" 2>&1 &
pids+=($!)

cat <<TXT

  Temporal server    $TEMPORAL_ADDRESS   (PostgreSQL on 127.0.0.1:$PGPORT; data in $DIR)
  Ingress replicas   http://localhost:8080  http://localhost:8081   (operator token: $OPS_API_TOKEN)
  Workers            metrics on :9090 and :9091; deployment $WORKER_DEPLOYMENT_NAME, current version $(./bin/worker version)
  Sandboxes          http://localhost:8090 (1099Policy)  http://localhost:8091 (platforms)
  Temporal UI        http://localhost:$UI_PORT   (decodes through http://localhost:8080/codec; log in $DIR/ui.log)
  Operations console http://localhost:8080/console/  http://localhost:8081/console/   (sign in with the operator token)
  CLI                bin/temporal workflow show -w <id> --address $TEMPORAL_ADDRESS \\
                       --codec-endpoint http://localhost:8080/codec --codec-auth "Bearer $OPS_API_TOKEN"

Ctrl-C stops everything.
TXT
wait
