#!/usr/bin/env bash
# Runs examples/process-kill.yaml end to end: starts the sample target on
# 127.0.0.1:18080, runs the experiment with tempest (embedded Temporal server
# and UI unless --address is given), and stops the target afterwards.
# Usage: examples/sample-demo.sh BIN_DIR STATE_DIR [tempest run flags...]
set -euo pipefail
bin=$1 state=$2
shift 2
mkdir -p "$state"
pidfile="$state/target.pid"
cleanup() { [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true; }
trap cleanup EXIT
"$bin/demo-target" -addr 127.0.0.1:18080 -pidfile "$pidfile" -starts "$state/target.starts" >"$state/target.log" 2>&1 &
disown
for _ in $(seq 50); do
  curl -fsS http://127.0.0.1:18080/healthz >/dev/null 2>&1 && break
  sleep 0.1
done
cd "$(dirname "$0")/.."
PATH="$bin:$PATH" "$bin/tempest" --state-dir "$state" run examples/process-kill.yaml "$@"
