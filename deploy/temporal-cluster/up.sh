#!/usr/bin/env bash
# up.sh [--mtls]: builds (cached) and starts a Temporal cluster on 127.0.0.1
# for tests and benchmarks: PostgreSQL 15 (Debian's, run as the unprivileged
# postgres user, data in $state/pg) with the schema set up by Temporal's own
# temporal-sql-tool, and the frontend, history, matching and worker services
# as four OS processes of temporal-server (4 history shards), all built from
# the go.temporal.io/server version Tempest embeds. It registers the default
# namespace and Tempest's search attributes, waits until the frontend
# answers, prints the frontend's address and writes $state/cluster.env.
# With --mtls (or TLS=1) it also starts a second frontend of the same cluster
# that requires a client certificate from the CA in $state/pki, whose
# address it prints second. If the cluster is already up it only prints.
# A component that does not come up fails it with the tail of its log.
# Stop it with down.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/env.sh"
mtls="${TLS:-}"
for arg in "$@"; do
  case "$arg" in
    --mtls) mtls=1 ;;
    *) echo "usage: up.sh [--mtls]" >&2; exit 2 ;;
  esac
done
[[ "$mtls" == 0 ]] && mtls=
mkdir -p "$state" "$logs" "$pids" "$state/config"
# One up.sh at a time (test binaries may call it while the Taskfile's does).
exec 9>"$state/up.lock"
flock 9

frontend="127.0.0.1:$frontend_port"
mtls_frontend="127.0.0.1:$mtls_frontend_port"

# alive NAME: its recorded process runs and is not a zombie.
alive() {
  local pid st
  [[ -f "$pids/$1.pid" ]] && read -r pid < "$pids/$1.pid" && [[ -r "/proc/$pid/stat" ]] &&
    read -r _ _ st _ < "/proc/$pid/stat" 2>/dev/null && [[ "$st" != Z ]]
}
# fail WHAT LOG: the component did not come up; say so with its log's tail.
fail() {
  echo "temporal cluster: $1 failed; last lines of $2:" >&2
  # Temporal logs JSON with stack traces: the last lines, each cut short.
  tail -n 15 "$2" 2>/dev/null | cut -c1-800 >&2 || echo "(no log)" >&2
  echo "temporal cluster: what did start is left running for a look; stop it with: bash $here/down.sh" >&2
  exit 1
}
print() {
  echo "$frontend"
  if [[ -n "$mtls" ]]; then echo "$mtls_frontend"; fi
}
# setup ADDRESS [ARGS...]: waits for a frontend, the namespace and the
# attributes, failing at once with its log if a service process dies.
setup() {
  local addr="$1" name pid; shift
  "$bin/tempest-temporal-setup" -address "$addr" -namespace "$namespace" -wait 3m "$@" \
    >>"$logs/setup.log" 2>&1 9>&- &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for name in $services ${watch_mtls:+frontend-mtls}; do
      if ! alive "$name"; then
        kill "$pid" 2>/dev/null || true
        fail "temporal-server ($name)" "$logs/$name.log"
      fi
    done
    sleep 0.5
  done
  wait "$pid" || fail "setup of $addr (namespace $namespace, search attributes)" "$logs/setup.log"
}
watch_mtls=
tls_args=(-tls-ca "$pki/ca.crt" -tls-cert "$pki/client.crt" -tls-key "$pki/client.key" -tls-server-name "$tls_server_name")

base_up=1
for name in postgres $services; do alive "$name" || base_up=; done
if [[ -n "$base_up" ]] && "$bin/tempest-temporal-setup" -address "$frontend" -namespace "$namespace" -wait 10s >/dev/null 2>&1; then
  if [[ -z "$mtls" ]] || { alive frontend-mtls && "$bin/tempest-temporal-setup" -address "$mtls_frontend" \
       -namespace "$namespace" -wait 10s "${tls_args[@]}" >/dev/null 2>&1; }; then
    print
    exit 0
  fi
else
  # Half up (a crash, a killed shell): start clean, keeping the data.
  bash "$here/down.sh" >/dev/null
  base_up=
fi

bash "$here/build.sh" "$bin" >&2

# --- certificates for the mTLS frontend (kept between runs) ---
if [[ -n "$mtls" && ! -f "$pki/client.crt" ]]; then
  mkdir -p "$pki"
  ( cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=tempest-temporal-ca" \
      -keyout ca.key -out ca.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$tls_server_name" \
      -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' "$tls_server_name" > server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile server.ext -out server.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=tempest-client" \
      -keyout client.key -out client.csr 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' > client.ext
    openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile client.ext -out client.crt 2>/dev/null
    rm -f ./*.csr ./*.ext ca.srl
    chmod 600 ./*.key )
fi

# config NAME [tls]: one process's config file. The mTLS frontend's has its
# own frontend ports and the TLS section; the rest is the same in all.
config() {
  local name="$1" tls="${2:-}"
  {
    cat <<YAML
log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:
      sql:
        pluginName: postgres12
        databaseName: temporal
        connectAddr: "127.0.0.1:$pg_port"
        connectProtocol: tcp
        user: temporal
        password: temporal
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    postgres-visibility:
      sql:
        pluginName: postgres12
        databaseName: temporal_visibility
        connectAddr: "127.0.0.1:$pg_port"
        connectProtocol: tcp
        user: temporal
        password: temporal
        maxConns: 5
        maxIdleConns: 5
        maxConnLifetime: 1h
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
YAML
    if [[ -n "$tls" ]]; then
      cat <<YAML
  tls:
    frontend:
      server:
        certFile: $pki/server.crt
        keyFile: $pki/server.key
        requireClientAuth: true
        clientCaFiles: [$pki/ca.crt]
YAML
    fi
    # Every service is listed (the membership monitor tracks them all);
    # this process starts only its own.
    echo "services:"
    local svc fport=$frontend_port fmember=$frontend_membership_port fhttp=$frontend_http_port
    if [[ "$name" == frontend-mtls ]]; then
      fport=$mtls_frontend_port fmember=$mtls_frontend_membership_port fhttp=$mtls_frontend_http_port
    fi
    for svc in "frontend $fport $fmember $fhttp" "history $history_port $history_membership_port" \
               "matching $matching_port $matching_membership_port" "worker $worker_port $worker_membership_port"; do
      set -- $svc
      printf '  %s:\n    rpc:\n      grpcPort: %s\n      membershipPort: %s\n      bindOnIP: 127.0.0.1\n' "$1" "$2" "$3"
      if [[ -n "${4:-}" ]]; then printf '      httpPort: %s\n' "$4"; fi
    done
    cat <<YAML
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "$frontend"
dcRedirectionPolicy:
  policy: noop
# Internal calls to "the frontend" (the system worker's, a frontend's own)
# go to the plain one: the mTLS frontend is only a second door for clients.
publicClient:
  hostPort: "$frontend"
dynamicConfigClient:
  filepath: "$state/config/dynamic.yaml"
  pollInterval: 10s
YAML
  } > "$state/config/$name.yaml"
}
svc_of() { [[ "$1" == frontend-mtls ]] && echo frontend || echo "$1"; }
cat > "$state/config/dynamic.yaml" <<'YAML'
# `tempest status` and the UI list workflows often.
frontend.namespaceRPS.visibility:
  - value: 100
YAML
for name in $services; do config "$name"; done
config frontend-mtls tls

# start NAME: one service in its own session, logging to $logs/NAME.log.
start() {
  local name="$1"
  setsid "$bin/temporal-server" --config-file "$state/config/$name.yaml" --allow-no-auth \
    start --service "$(svc_of "$name")" >"$logs/$name.log" 2>&1 </dev/null 9>&- &
  echo $! > "$pids/$name.pid"
}
# PostgreSQL runs as $pg_user when this script runs as root (it refuses
# root), else as the unprivileged user running it. Never with the lock's
# fd: PostgreSQL would hold it for its lifetime.
if [[ "$(id -u)" -eq 0 ]]; then
  pg() { runuser -u "$pg_user" -- "$@" 9>&-; }
  pg_own() { chown "$pg_user" "$@"; }
else
  pg() { "$@" 9>&-; }
  pg_own() { :; }
fi
sqltool() {
  "$bin/temporal-sql-tool" --plugin postgres12 --endpoint 127.0.0.1 --port "$pg_port" \
    --user temporal --password temporal "$@" >>"$logs/schema.log" 2>&1 || fail "temporal-sql-tool $*" "$logs/schema.log"
}

started=$(date +%s.%N)
# step WHAT: a timestamped line in $logs/up.log, where the time goes.
step() { echo "$(date +%T.%3N) $*" >> "$logs/up.log"; }
step "up.sh ${*:-} starting"
if [[ -z "$base_up" ]]; then
  # --- PostgreSQL ---
  step "PostgreSQL"
  [[ -x "$pg_bindir/postgres" ]] || { echo "temporal cluster: no PostgreSQL 15 in $pg_bindir; run: go tool task deps" >&2; exit 1; }
  if [[ ! -f "$pgdata/PG_VERSION" ]]; then
    rm -rf "$pgdata"
    mkdir -p "$pgdata"
    pg_own "$pgdata"
    chmod 700 "$pgdata"
    pg "$pg_bindir/initdb" -D "$pgdata" -U postgres -E UTF8 --locale=C \
      --auth-local=trust --auth-host=scram-sha-256 >"$logs/initdb.log" 2>&1 || fail initdb "$logs/initdb.log"
  fi
  mkdir -p "$pgrun"
  pg_own "$pgrun"
  : > "$logs/postgres.log"
  pg_own "$logs/postgres.log"
  # Its settings on the command line, so a new port applies to old data.
  # Test data: durability traded for speed.
  pg "$pg_bindir/pg_ctl" -D "$pgdata" -l "$logs/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pgrun -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null 2>&1 || fail PostgreSQL "$logs/postgres.log"
  head -n 1 "$pgdata/postmaster.pid" > "$pids/postgres.pid"
  psql_admin() { pg psql -h "$pgrun" -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
  if [[ -z "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'temporal'")" ]]; then
    psql_admin -c "CREATE ROLE temporal LOGIN CREATEDB PASSWORD 'temporal'" >/dev/null
  fi

  # --- schema, with Temporal's tool and the module's schema files ---
  step "schema"
  schema="$(cd "$here/server" && GOWORK=off GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' go.temporal.io/server)/schema/postgresql/v12"
  for db in temporal temporal_visibility; do
    dir=temporal; [[ "$db" == temporal_visibility ]] && dir=visibility
    if [[ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]]; then
      sqltool --database "$db" create-database
      sqltool --database "$db" setup-schema -v 0.0
    fi
    sqltool --database "$db" update-schema -d "$schema/$dir/versioned"
  done

  # --- the four services ---
  step "services"
  : > "$logs/setup.log"
  for name in $services; do start "$name"; done
  step "waiting for the frontend; namespace and search attributes"
  setup "$frontend" -register
fi
if [[ -n "$mtls" ]]; then
  step "mTLS frontend"
  alive frontend-mtls || start frontend-mtls
  watch_mtls=1
  setup "$mtls_frontend" "${tls_args[@]}"
fi
for name in $services; do alive "$name" || fail "temporal-server --service $name" "$logs/$name.log"; done
step "up"
cat > "$cluster_env" <<ENV
TEMPORAL_ADDRESS=$frontend
TEMPORAL_NAMESPACE=$namespace
TEMPORAL_MTLS_ADDRESS=$mtls_frontend
TEMPORAL_TLS_CA=$pki/ca.crt
TEMPORAL_TLS_CERT=$pki/client.crt
TEMPORAL_TLS_KEY=$pki/client.key
TEMPORAL_TLS_SERVER_NAME=$tls_server_name
POSTGRES_ADDRESS=127.0.0.1:$pg_port
ENV
echo "temporal cluster up in $(echo "$(date +%s.%N) - $started" | bc)s (logs in $logs)" >&2
print
