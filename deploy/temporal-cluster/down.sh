#!/usr/bin/env bash
# down.sh stops the cluster started by up.sh: first the Temporal services
# (SIGTERM at once, SIGKILL for any still there after 15 s), then
# PostgreSQL (pg_ctl stop -m fast, or its postmaster's pid). Add --purge to
# delete its data (PostgreSQL's directory, certificates, configs, logs) but
# keep the binaries.
set -euo pipefail
source "$(dirname "$0")/env.sh"
# alive PID: running and not a zombie (an init that reaps late keeps zombies).
alive() { local st; st="$(ps -o stat= -p "$1" 2>/dev/null)" && [[ "$st" != Z* ]]; }
# stop_all SECONDS PID...: SIGTERM, wait, SIGKILL.
stop_all() {
  local secs="$1"; shift
  local running=() left pid
  for pid in "$@"; do if kill -TERM "$pid" 2>/dev/null; then running+=("$pid"); fi; done
  for _ in $(seq $((secs * 10))); do
    left=()
    for pid in "${running[@]}"; do if alive "$pid"; then left+=("$pid"); fi; done
    running=("${left[@]}")
    [[ ${#running[@]} -eq 0 ]] && return 0
    sleep 0.1
  done
  for pid in "${running[@]}"; do
    echo "temporal cluster: pid $pid ignored SIGTERM for $secs s; SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  done
}
svc=()
for name in frontend-mtls frontend worker matching history; do
  f="$pids/$name.pid"
  [[ -f "$f" ]] || continue
  svc+=("$(cat "$f")")
  rm -f "$f"
done
[[ ${#svc[@]} -gt 0 ]] && stop_all 15 "${svc[@]}"
if [[ -f "$pgdata/postmaster.pid" ]] && [[ -x "$pg_bindir/pg_ctl" ]]; then
  if [[ "$(id -u)" -eq 0 ]]; then as=(runuser -u "$pg_user" --); else as=(); fi
  "${as[@]}" "$pg_bindir/pg_ctl" -D "$pgdata" -m fast -w -t 30 stop >/dev/null 2>&1 || true
fi
if [[ -f "$pids/postgres.pid" ]]; then
  pid="$(cat "$pids/postgres.pid")"
  # Still there (pg_ctl failed): only if it is our postmaster.
  if alive "$pid" && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == postgres ]]; then stop_all 30 "$pid"; fi
  rm -f "$pids/postgres.pid"
fi
if [[ "${1:-}" == "--purge" ]]; then
  rm -rf "$pgdata" "$pgrun" "$pki" "$state/config" "$logs" "$cluster_env"
fi
echo "temporal cluster stopped"
