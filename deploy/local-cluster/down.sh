#!/usr/bin/env bash
# down.sh stops the local cluster started by up.sh: every process recorded
# in its pid files gets SIGTERM at once, and SIGKILL if it is still there
# after 10 s. Add --purge to delete its data (etcd, certificates,
# kubeconfig, logs) but keep the binaries.
set -euo pipefail
source "$(dirname "$0")/env.sh"
# alive PID: running and not a zombie (an init that reaps late keeps zombies).
alive() { local st; st="$(ps -o stat= -p "$1" 2>/dev/null)" && [[ "$st" != Z* ]]; }
running=()
for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
  f="$pids/$name.pid"
  [[ -f "$f" ]] || continue
  pid="$(cat "$f")"
  if kill -TERM "$pid" 2>/dev/null; then running+=("$pid"); fi
  rm -f "$f"
done
for _ in $(seq 100); do
  left=()
  for pid in "${running[@]}"; do if alive "$pid"; then left+=("$pid"); fi; done
  running=("${left[@]}")
  [[ ${#running[@]} -eq 0 ]] && break
  sleep 0.1
done
for pid in "${running[@]}"; do
  echo "local cluster: pid $pid ignored SIGTERM for 10 s; SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
done
if [[ "${1:-}" == "--purge" ]]; then
  rm -rf "$state/etcd-data" "$pki" "$kubeconfig" "$state/kwok.yaml" "$logs" "$state/serving-certs"
fi
echo "local cluster stopped"
