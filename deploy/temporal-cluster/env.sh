# env.sh is sourced by up.sh, down.sh and build.sh: where the PostgreSQL
# Temporal cluster lives and which 127.0.0.1 ports it uses (none clashes
# with the embedded server's 7233/8233, the local Kubernetes cluster's
# 23257-23443 nor the demo's 25672+/27117). Override the directory with TEMPEST_TEMPORAL_STATE, or
# TEMPEST_STATE (then $TEMPEST_STATE/temporal-cluster). All ports are below
# the kernel's ephemeral range (32768+), so no outgoing connection holds
# one; membership ports must be below 32768 anyway (Temporal stores them as
# a PostgreSQL smallint).
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
state="${TEMPEST_TEMPORAL_STATE:-${TEMPEST_STATE:-$repo_root/.tempest}/temporal-cluster}"
bin="$state/bin"
logs="$state/logs"
pids="$state/pids"
pki="$state/pki"
pgdata="$state/pg"
pgrun="$state/pg-run"
# cluster.env: KEY=VALUE lines for tests and scripts (addresses, TLS files).
cluster_env="$state/cluster.env"
pg_bindir=/usr/lib/postgresql/15/bin
pg_user=postgres
pg_port=25432
namespace=default
frontend_port=27233
frontend_http_port=27243
frontend_membership_port=26933
history_port=27234
history_membership_port=26934
matching_port=27235
matching_membership_port=26935
worker_port=27239
worker_membership_port=26939
# A second frontend of the same cluster that requires client certificates
# (up.sh --mtls).
mtls_frontend_port=27333
mtls_frontend_http_port=27343
mtls_frontend_membership_port=26943
# The name in the server certificate a TLS client checks (--tls-server-name).
tls_server_name=tempest-temporal
services="frontend history matching worker"
