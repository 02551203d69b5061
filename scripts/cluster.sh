#!/usr/bin/env bash
# `npm run cluster [-- start|stop|status|restart <service>|kill <service>|check|drop]`: a real Temporal cluster on this machine, in the shape
# docker-compose's production setup has — frontend, history, matching and worker services as separate processes —
# with PostgreSQL persistence and visibility databases set up by Temporal's own schema tool.
#
# Needs the Temporal server v1.30.4 and its sql tool, built once with the Go toolchain (v1.31+ needs a newer Go):
#   GOBIN=$HOME/.cache/qbsync/temporal-server-1.30.4 go install \
#     go.temporal.io/server/cmd/server@v1.30.4 go.temporal.io/server/cmd/tools/sql@v1.30.4
# Settings (environment): QBSYNC_CLUSTER_DIR (.data/cluster), QBSYNC_CLUSTER_PORT (17233: the frontend; the other
# services use the ports after it), QBSYNC_CLUSTER_DB (qbsync_temporal; visibility gets a _visibility suffix),
# PGHOST/PGPORT/PGUSER/PGPASSWORD (127.0.0.1, 5432, postgres, none), QBSYNC_CLUSTER_HISTORY_CONNS (16: the history
# service's PostgreSQL connections, see conns_of).
# Settings that bound a fleet (1,000 companies a night, measured with `npm run bench -- --fleet N --temporal ...`):
# - numHistoryShards 4: fixed when the databases are created (changing it means dropping them: `drop`). Each shard is
#   one serial owner of its workflows' state; 4 keeps 2 cores busy without the per-shard overhead of the default 512.
# - PostgreSQL connections per service (conns_of): the pools must fit max_connections together with qbsync's.
# - Rate limits left at the server's defaults, far above what a fleet asks: frontend.rps and frontend.namespaceRPS
#   2,400/s (a fleet starts ~35 workflows/s within a 30 s jitter), history.persistenceMaxQPS 9,000/s, matching 3,000/s, frontend 2,000/s;
#   frontend.namespaceRPS.visibility 10/s (list/count: the benchmark counts once a second).
# Then: `TEMPORAL_ADDRESS=127.0.0.1:17233 npm start` or `npm run bench -- --temporal 127.0.0.1:17233 ...`.
set -euo pipefail

VERSION=1.30.4
BIN="${QBSYNC_TEMPORAL_SERVER_BIN:-$HOME/.cache/qbsync/temporal-server-$VERSION}"
MODULE="$(go env GOMODCACHE 2>/dev/null || echo "$HOME/go/pkg/mod")/go.temporal.io/server@v$VERSION"
CLI="${QBSYNC_TEMPORAL_CLI:-$HOME/.cache/qbsync/temporal-cli-1.5.1/temporal}"
DIR="$(realpath -m "${QBSYNC_CLUSTER_DIR:-.data/cluster}")"
PORT="${QBSYNC_CLUSTER_PORT:-17233}"
DB="${QBSYNC_CLUSTER_DB:-qbsync_temporal}"
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-postgres}"
PGPASSWORD="${PGPASSWORD:-}"
SERVICES=(history matching frontend worker)

say() { echo "[cluster] $*"; }
fail() {
  echo "[cluster] $*" >&2
  exit 1
}

port_of() {
  case "$1" in
    frontend) echo "$PORT" ;;
    history) echo $((PORT + 1)) ;;
    matching) echo $((PORT + 2)) ;;
    worker) echo $((PORT + 6)) ;;
  esac
}

check_binaries() {
  [[ -x "$BIN/server" && -x "$BIN/sql" ]] ||
    fail "no Temporal server in $BIN: build it with GOBIN=$BIN go install go.temporal.io/server/cmd/server@v$VERSION go.temporal.io/server/cmd/tools/sql@v$VERSION"
  [[ -d "$MODULE/schema/postgresql/v12" ]] || fail "Temporal's schema files are not in $MODULE (the Go module cache)"
  [[ -x "$CLI" ]] || fail "no Temporal CLI at $CLI: run npm start or npm test once (scripts/temporal-cli.js caches it)"
}

sql_tool() {
  SQL_PASSWORD="$PGPASSWORD" "$BIN/sql" --plugin postgres12 --ep "$PGHOST" -p "$PGPORT" -u "$PGUSER" "$@"
}

setup_database() {
  local name="$1" schema="$2"
  sql_tool --db "$name" create-database >/dev/null 2>&1 || true # already there
  sql_tool --db "$name" setup-schema -v 0.0 >/dev/null 2>&1 || true # already set up
  sql_tool --db "$name" update-schema -d "$MODULE/schema/postgresql/v12/$schema/versioned"
}

# PostgreSQL connections per service process (default store, visibility store). Every process opens its own pool and
# keeps maxIdleConns open, so the sum must fit PostgreSQL's max_connections (100 by default, shared here with qbsync's
# own pools and other databases): one config of 20 + 4 for all four services could hold 96. History does the writes
# (every workflow and activity task, timers, transfer and visibility tasks); matching mostly holds tasks in memory;
# frontend reads (describe, list, count go to visibility); the internal worker service is nearly idle.
conns_of() {
  case "$1" in
    history) echo "${QBSYNC_CLUSTER_HISTORY_CONNS:-16} 2" ;;
    matching) echo "6 1" ;;
    frontend) echo "4 4" ;;
    worker) echo "2 1" ;;
  esac
}

write_config() {
  local s
  for s in "${SERVICES[@]}"; do
    # shellcheck disable=SC2046
    write_service_config "$s" $(conns_of "$s")
  done
  # What npm start's dev server runs with (workers/devServer.ts): activities dispatched eagerly to the scheduling worker.
  cat >"$DIR/config/dynamicconfig/cluster.yaml" <<EOF
system.enableActivityEagerExecution:
  - value: true
EOF
}

# One config file per service (`--env <service>`), alike but for the connection pools.
write_service_config() {
  local service="$1" conns="$2" visibility_conns="$3"
  mkdir -p "$DIR/config/dynamicconfig" "$DIR/logs"
  local store
  store() {
    cat <<EOF
      sql:
        pluginName: "postgres12"
        databaseName: "$1"
        connectAddr: "$PGHOST:$PGPORT"
        connectProtocol: "tcp"
        user: "$PGUSER"
        password: "$PGPASSWORD"
        maxConns: $2
        maxIdleConns: $2
        maxConnLifetime: "1h"
EOF
  }
  {
    cat <<EOF
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default:
$(store "$DB" "$conns")
    visibility:
$(store "${DB}_visibility" "$visibility_conns")
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
services:
EOF
    local t
    for t in "${SERVICES[@]}"; do
      cat <<EOF
  $t:
    rpc:
      grpcPort: $(port_of "$t")
      membershipPort: $(($(port_of "$t") + 100))
      bindOnLocalHost: true
EOF
      [[ "$t" == frontend ]] && echo "      httpPort: $((PORT + 10))"
    done
    cat <<EOF
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:$PORT"
dcRedirectionPolicy:
  policy: "noop"
dynamicConfigClient:
  filepath: "$DIR/config/dynamicconfig/cluster.yaml"
  pollInterval: "10s"
EOF
  } >"$DIR/config/$service.yaml"
}

start_service() {
  local s="$1"
  nohup "$BIN/server" --root "$DIR" --config config --env "$s" --allow-no-auth start --service "$s" \
    >>"$DIR/logs/$s.log" 2>&1 &
  echo $! >"$DIR/$s.pid"
  say "$s started (pid $!, port $(port_of "$s"))"
}

stop_service() {
  local s="$1" pid
  [[ -f "$DIR/$s.pid" ]] || return 0
  pid="$(cat "$DIR/$s.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    say "$s stopped (pid $pid)"
  fi
  rm -f "$DIR/$s.pid"
}

# The first service to start writes the cluster's metadata; the others, started together, would race to write it too.
wait_metadata() {
  for _ in $(seq 1 120); do
    [[ "$(PGPASSWORD="$PGPASSWORD" psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$DB" -tAc \
      'select count(*) from cluster_metadata_info' 2>/dev/null)" -ge 1 ]] 2>/dev/null && return 0
    sleep 1
  done
  fail "the history service wrote no cluster metadata within 120 s; see $DIR/logs/history.log"
}

wait_frontend() {
  for _ in $(seq 1 120); do
    "$CLI" operator cluster health --address "127.0.0.1:$PORT" >/dev/null 2>&1 && return 0
    sleep 1
  done
  fail "the frontend did not answer on 127.0.0.1:$PORT within 120 s; see $DIR/logs/"
}

register() {
  "$CLI" operator namespace describe --namespace default --address "127.0.0.1:$PORT" >/dev/null 2>&1 ||
    "$CLI" operator namespace create --namespace default --retention 72h --address "127.0.0.1:$PORT"
  # Right after the namespace is created, creating search attributes can fail (the services have not loaded it yet):
  # retried until each is listed, or workflows upserting them fail every task with BadSearchAttributes.
  local name listed
  for name in QbsyncTenant QbsyncTrigger QbsyncOutcome; do
    for _ in $(seq 1 60); do
      listed="$("$CLI" operator search-attribute list --namespace default --address "127.0.0.1:$PORT" 2>/dev/null || true)"
      grep -qw "$name" <<<"$listed" && continue 2
      "$CLI" operator search-attribute create --namespace default --name "$name" --type Keyword \
        --address "127.0.0.1:$PORT" >/dev/null 2>&1 || sleep 1
    done
    fail "could not register search attribute $name in namespace default"
  done
  say "namespace default and qbsync's search attributes registered"
}

case "${1:-start}" in
  start)
    check_binaries
    # Temporal keeps each service's membership port (the gRPC port + 100) in a smallint column.
    ((PORT + 106 <= 32767)) || fail "QBSYNC_CLUSTER_PORT=$PORT is too high: the membership ports (+100…+106) must stay below 32768"
    say "PostgreSQL databases $DB and ${DB}_visibility on $PGHOST:$PGPORT"
    setup_database "$DB" temporal
    setup_database "${DB}_visibility" visibility
    write_config
    for s in "${SERVICES[@]}"; do
      [[ -f "$DIR/$s.pid" ]] && kill -0 "$(cat "$DIR/$s.pid")" 2>/dev/null && continue
      start_service "$s"
      [[ "$s" == history ]] && wait_metadata
    done
    wait_frontend
    register
    say "ready: TEMPORAL_ADDRESS=127.0.0.1:$PORT (logs in $DIR/logs; stop with npm run cluster -- stop)"
    ;;
  stop)
    for s in worker frontend matching history; do stop_service "$s"; done
    ;;
  restart)
    [[ -n "${2:-}" ]] || fail "restart which service? one of: ${SERVICES[*]}"
    stop_service "$2"
    start_service "$2"
    ;;
  kill)
    # As a crash would: SIGKILL, no cleanup (the reliability scenario restarts it with `restart`).
    [[ -f "$DIR/${2:-}.pid" ]] || fail "no running ${2:-service} recorded in $DIR"
    kill -9 "$(cat "$DIR/$2.pid")" && rm -f "$DIR/$2.pid" && say "$2 killed"
    ;;
  check)
    # Whether the cluster can start here (binaries, schema files, CLI): optional suites skip themselves when it cannot.
    check_binaries
    ;;
  drop)
    # Stops the services and removes the cluster's databases and directory (the reliability scenario cleans up so).
    for s in worker frontend matching history; do stop_service "$s"; done
    for name in "$DB" "${DB}_visibility"; do
      PGPASSWORD="$PGPASSWORD" psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -qc \
        "drop database if exists \"$name\" with (force)"
    done
    rm -rf "$DIR"
    say "databases $DB and ${DB}_visibility dropped, $DIR removed"
    ;;
  status)
    for s in "${SERVICES[@]}"; do
      if [[ -f "$DIR/$s.pid" ]] && kill -0 "$(cat "$DIR/$s.pid")" 2>/dev/null; then
        say "$s running (pid $(cat "$DIR/$s.pid"), port $(port_of "$s"))"
      else say "$s not running"; fi
    done
    ;;
  *) fail "usage: npm run cluster -- [start|stop|status|check|drop|restart <service>|kill <service>]" ;;
esac
