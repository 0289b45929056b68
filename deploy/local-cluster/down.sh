#!/usr/bin/env bash
# down.sh stops the local cluster started by up.sh: every process it recorded
# in its pid files, newest first; SIGTERM, then SIGKILL after 10 s. Add
# --purge to delete its data (etcd, certs, kubeconfig) but keep the binaries.
set -euo pipefail
source "$(dirname "$0")/env.sh"
for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
  f="$pids/$name.pid"
  [[ -f "$f" ]] || continue
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
done
if [[ "${1:-}" == "--purge" ]]; then
  rm -rf "$state/etcd-data" "$pki" "$kubeconfig" "$state/kwok.yaml" "$logs"
fi
echo "local cluster stopped"
