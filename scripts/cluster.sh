#!/usr/bin/env bash
# The production topology on one machine (SPEC §7): PostgreSQL from Debian's packages and the
# real Temporal server (go.temporal.io/server, the version the CLI embeds) on it.
#
#   scripts/cluster.sh setup DIR PGPORT FRONTEND_PORT [MEMBERSHIP_PORT]
#                                                        private PostgreSQL in DIR/pg, databases,
#                                                        schemas, the server config in DIR/config
#   scripts/cluster.sh pg-start DIR | pg-stop DIR        PostgreSQL on its port and socket dir
#   scripts/cluster.sh server DIR                        the Temporal server (foreground)
#   scripts/cluster.sh register DIR                      namespace default and the search attributes
#
# Everything lives under DIR (make run-cluster: .data/cluster); the state survives restarts.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=$ROOT/bin
SERVER=$BIN/cluster/server
SQLTOOL=$BIN/cluster/sql
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
SCHEMA=$(go env GOMODCACHE)/go.temporal.io/server@${TEMPORAL_SERVER_VERSION:-v1.29.1}/schema/postgresql/v12

cmd=${1:?usage: cluster.sh setup|pg-start|pg-stop|server|register DIR ...}
DIR=$(realpath -m "${2:?DIR}")

as_postgres() { runuser -u postgres -- "$@"; }
pgport() { cat "$DIR/pgport"; }

pg_start() {
  as_postgres "$PGBIN/pg_ctl" -D "$DIR/pg" -l "$DIR/pg.log" -w -t 60 \
    -o "-p $(pgport) -k $DIR/pgsock -c listen_addresses=127.0.0.1" start >/dev/null
}

case "$cmd" in
setup)
  PGPORT=${3:?PGPORT}
  FRONTEND=${4:?FRONTEND_PORT}
  # Membership ports are stored as a PostgreSQL smallint: they must be below 32768.
  MEMBER=${5:-6933}
  [ -n "$PGBIN" ] || { echo "cluster: PostgreSQL is not installed (make cluster-tools installs it)" >&2; exit 1; }
  mkdir -p "$DIR" "$DIR/pgsock" "$DIR/config/dynamicconfig"
  # PostgreSQL runs as its own user: it must be able to pass through every directory above its
  # data directory (a clone in a mode-700 directory is not). Grant passing only (o+x), and say so.
  p=$DIR
  while [ "$p" != / ]; do
    p=$(dirname "$p")
    if ! runuser -u postgres -- test -x "$p"; then
      chmod o+x "$p" && echo "cluster: $p made traversable (o+x) so PostgreSQL's user can reach $DIR" >&2
    fi
  done
  echo "$PGPORT" > "$DIR/pgport"
  chown postgres "$DIR" "$DIR/pgsock"
  if [ ! -s "$DIR/pg/PG_VERSION" ]; then
    mkdir -p "$DIR/pg" && chown postgres "$DIR/pg"
    as_postgres "$PGBIN/initdb" -D "$DIR/pg" -U postgres --auth=trust >/dev/null
  fi
  touch "$DIR/pg.log" && chown postgres "$DIR/pg.log"
  pg_start
  as_postgres psql -h "$DIR/pgsock" -p "$PGPORT" -U postgres -tc "SELECT 1 FROM pg_roles WHERE rolname='temporal'" | grep -q 1 ||
    as_postgres psql -h "$DIR/pgsock" -p "$PGPORT" -U postgres -qc "CREATE ROLE temporal LOGIN SUPERUSER PASSWORD 'temporal'"
  for db in temporal temporal_visibility; do
    sub=temporal; [ "$db" = temporal_visibility ] && sub=visibility
    sql=("$SQLTOOL" --plugin postgres12 --ep 127.0.0.1 -p "$PGPORT" -u temporal --pw temporal --db "$db")
    "${sql[@]}" create-database >/dev/null 2>&1 || true
    "${sql[@]}" setup-schema -v 0.0 >/dev/null 2>&1 || true   # a no-op once the schema exists
    "${sql[@]}" update-schema -d "$SCHEMA/$sub/versioned" >>"$DIR/schema.log" 2>&1
  done
  # Ports: frontend, history +1, matching +2, worker +3; metrics +20; membership MEMBER..+3.
  cat > "$DIR/config/cluster.yaml" <<YAML
log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:
      sql: {pluginName: "postgres12", databaseName: "temporal", connectAddr: "127.0.0.1:$PGPORT", connectProtocol: "tcp",
            user: "temporal", password: "temporal", maxConns: 20, maxIdleConns: 20, maxConnLifetime: "1h"}
    postgres-visibility:
      sql: {pluginName: "postgres12", databaseName: "temporal_visibility", connectAddr: "127.0.0.1:$PGPORT", connectProtocol: "tcp",
            user: "temporal", password: "temporal", maxConns: 10, maxIdleConns: 10, maxConnLifetime: "1h"}
global:
  membership: {maxJoinDuration: 30s, broadcastAddress: "127.0.0.1"}
  metrics:
    prometheus: {framework: "tally", timerType: "histogram", listenAddress: "127.0.0.1:$((FRONTEND + 20))"}
services:
  frontend: {rpc: {grpcPort: $FRONTEND, membershipPort: $MEMBER, bindOnLocalHost: true, httpPort: $((FRONTEND + 30))}}
  history: {rpc: {grpcPort: $((FRONTEND + 1)), membershipPort: $((MEMBER + 1)), bindOnLocalHost: true}}
  matching: {rpc: {grpcPort: $((FRONTEND + 2)), membershipPort: $((MEMBER + 2)), bindOnLocalHost: true}}
  worker: {rpc: {grpcPort: $((FRONTEND + 3)), membershipPort: $((MEMBER + 3)), bindOnLocalHost: true}}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active: {enabled: true, initialFailoverVersion: 1, rpcName: "frontend", rpcAddress: "127.0.0.1:$FRONTEND"}
dcRedirectionPolicy: {policy: "noop"}
dynamicConfigClient: {filepath: "$DIR/config/dynamicconfig/cluster.yaml", pollInterval: "10s"}
YAML
  cat > "$DIR/config/dynamicconfig/cluster.yaml" <<'YAML'
frontend.enableUpdateWorkflowExecution:
  - value: true
frontend.enableUpdateWorkflowExecutionAsyncAccepted:
  - value: true
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
YAML
  echo "$FRONTEND" > "$DIR/frontend"
  ;;
pg-start) pg_start ;;
pg-stop) as_postgres "$PGBIN/pg_ctl" -D "$DIR/pg" -m fast -w stop >/dev/null ;;
server)
  exec "$SERVER" --root "$DIR" --config config --env cluster --allow-no-auth start
  ;;
register)
  ADDR=127.0.0.1:$(cat "$DIR/frontend")
  for i in $(seq 1 60); do "$BIN/temporal" operator cluster health --address "$ADDR" >/dev/null 2>&1 && break; sleep 1; done
  "$BIN/temporal" operator namespace describe --address "$ADDR" -n default >/dev/null 2>&1 ||
    "$BIN/temporal" operator namespace create --address "$ADDR" -n default --retention 72h >/dev/null
  # The search attributes come from the code's one list (workflows.SearchAttributes).
  # A namespace just created takes a moment to reach every service: retry each attribute.
  # Listed into a variable, not piped into grep -q: under pipefail a lister still writing when
  # grep has found its match dies of SIGPIPE, and the attribute would look missing.
  registered() {
    local out
    out=$("$BIN/temporal" operator search-attribute list --address "$ADDR" --namespace default 2>&1) || return 1
    grep -qw "$1" <<<"$out"
  }
  "$BIN/sandbox" search-attributes | while IFS== read -r name kind; do
    for i in $(seq 1 60); do
      registered "$name" && break
      err=$("$BIN/temporal" operator search-attribute create --address "$ADDR" --namespace default --name "$name" --type "$kind" 2>&1) || true
      sleep 1
    done
    registered "$name" || { echo "cluster: search attribute $name could not be registered: ${err:-created, but never listed}" >&2; exit 1; }
  done
  ;;
*) echo "cluster.sh: unknown command $cmd" >&2; exit 2 ;;
esac
