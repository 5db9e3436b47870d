#!/usr/bin/env bash
# The whole local stack: Temporal dev server with its UI, sandboxes, worker, ingress.
# Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .data
source scripts/local.env

# A local payload encryption key, made once and kept in .data/ (never committed): histories
# stay readable across restarts, and the UI decodes them through the ingress's codec route.
if [ ! -s .data/payload-key ]; then
  (umask 077; printf 'local-%s:%s\n' "$(date -u +%Y%m%d)" "$(head -c 32 /dev/urandom | base64 -w0)" > .data/payload-key)
fi
export PAYLOAD_ENCRYPTION_KEYS="$(cat .data/payload-key)"

pids=()
cleanup() {
  trap - INT TERM EXIT
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped"
  exit 0
}
trap cleanup INT TERM EXIT

# The search attributes come from the code's one list (workflows.SearchAttributes).
attrs=()
while read -r a; do attrs+=(--search-attribute "$a"); done < <(./bin/sandbox search-attributes)
./bin/temporal server start-dev --db-filename .data/temporal.db --ui-port 8233 --log-level warn \
  --ui-codec-endpoint "http://${LISTEN_ADDR}/codec" "${attrs[@]}" &
pids+=($!)
until ./bin/temporal operator cluster health >/dev/null 2>&1; do sleep 0.5; done

./bin/sandbox &
pids+=($!)
for b in worker starter; do
  if [ -x "./bin/$b" ]; then ./bin/$b & pids+=($!); fi
done
# A deploy: this build becomes the deployment's current version (README "Deploying a new version").
scripts/set-current-version.sh

cat <<TXT

  Temporal UI        http://localhost:8233   (Workers page: deployment $WORKER_DEPLOYMENT_NAME, version $(./bin/worker version))
  Ingress            http://localhost:8080   (operator token: $OPS_API_TOKEN)
  Operations console http://localhost:8080/console/   (sign in with the operator token)
  Codec endpoint     http://${LISTEN_ADDR}/codec   (the UI decodes payloads through it; key in .data/payload-key)
  1099Policy sandbox http://localhost:8090
  Platform sandboxes http://localhost:8091
  Notifications      logged by the sandbox (receiver http://127.0.0.1:8092/notifications)

Ctrl-C stops everything.
TXT
wait
