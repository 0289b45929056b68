#!/usr/bin/env bash
# The seed's scenario with Tempest (go tool task demo): installs what is
# missing, starts the Temporal server and UI (tempest dev), RabbitMQ, FerretDB
# and both versions of the order and delivery services, runs the V1 and V2
# experiments, prints each verdict with its lost and late orders and UI link,
# and keeps the UI up until Ctrl-C (or exits at once with --exit). Everything
# it started stops on exit. Lost: still undelivered once the system has
# drained; late: delivered more than 1 s after the load stopped (both from
# the no-lost-order probe, GET /drain of the delivery service).
# Exit status with --exit: 0 when V1 is Failed and V2 Passed, 1 otherwise.
# Usage: examples/orderdelivery/demo.sh BIN_DIR [--exit] [--ci]
set -euo pipefail
bin=$1
shift
exit_after=false suffix=""
for arg in "$@"; do
  case $arg in
    --exit) exit_after=true ;;
    --ci) suffix="-ci" ;;   # the 30-second variants
    *) echo "unknown flag $arg" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/../.."
state=.tempest/demo-orderdelivery
mkdir -p "$state"

if ! bash .ci/install-deps; then
  echo "demo: install the packages above, then run go tool task demo again" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "demo: RabbitMQ nodes are started as root here; run it as root" >&2
  exit 1
fi

pids=()
stop_all() {
  trap - EXIT INT TERM
  echo "stopping the demo environment and the Temporal server..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$bin/orderdelivery" demo-env down >/dev/null 2>&1 || true
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# A fresh database, so the lost-order counts are this run's.
"$bin/orderdelivery" demo-env down >/dev/null 2>&1 || true
rm -rf .tempest/orderdelivery
"$bin/orderdelivery" demo-env up >"$state/demo-env.log" 2>&1 &
pids+=($!)
"$bin/tempest" --state-dir "$state/temporal" dev >"$state/tempest-dev.log" 2>&1 &
pids+=($!)

echo "starting RabbitMQ (1 node for V1, 3 for V2), FerretDB, both versions and Temporal..."
for _ in $(seq 240); do
  [ -f .tempest/orderdelivery/env ] && (exec 3<>/dev/tcp/127.0.0.1/7233) 2>/dev/null && break
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "demo: a component stopped; see $state/*.log" >&2; tail -20 "$state"/*.log >&2; exit 1; }
  done
  sleep 0.5
done
[ -f .tempest/orderdelivery/env ] || { echo "demo: environment not up after 120 s; see $state/demo-env.log" >&2; exit 1; }

summary=()
unexpected=()
declare -A expected=([v1]=Failed [v2]=Passed)
for v in v1 v2; do
  spec=examples/orderdelivery/experiments/$v$suffix.yaml
  echo
  echo "=== $v: tempest run $spec"
  set +e
  "$bin/tempest" run "$spec" | tee "$state/$v.txt"
  set -e
  verdict=$(sed -n 's/^Experiment [^:]*: \([A-Za-z]*\).*/\1/p' "$state/$v.txt" | head -1)
  # The no-lost-order probe's value: status 200, body "lost N, late M (...)",
  # or status 503, body "not drained within ...".
  probe=$(grep -E '^  probe no-lost-order ' "$state/$v.txt" | head -1 || true)
  lost=$(sed -n 's/.*"lost \([0-9][0-9]*\), late \([0-9][0-9]*\).*/\1/p' <<<"$probe")
  late=$(sed -n 's/.*"lost \([0-9][0-9]*\), late \([0-9][0-9]*\).*/\2/p' <<<"$probe")
  drained=""
  if [ -z "$lost" ]; then
    drained=$(grep -o 'not drained within [0-9a-z.]*' <<<"$probe" || true)
    drained=" (${drained:-no drain report})"
  fi
  link=$(sed -n 's/^  UI: //p' "$state/$v.txt" | tail -1)
  summary+=("$v: ${verdict:-unknown}, lost orders: ${lost:-?}, late orders: ${late:-?}$drained, $link")
  if [ "${verdict:-unknown}" != "${expected[$v]}" ]; then
    unexpected+=("$v is ${verdict:-unknown}, expected ${expected[$v]}")
  fi
done

echo
echo "=== Summary (lost: undelivered once the system drained; late: delivered more than 1 s after the load stopped)"
printf '%s\n' "${summary[@]}"
status=0
if [ ${#unexpected[@]} -gt 0 ]; then
  status=1
  printf 'demo: %s\n' "${unexpected[@]}" >&2
fi
if ! $exit_after; then
  echo
  echo "The Temporal UI stays up at http://127.0.0.1:8233 until Ctrl-C."
  wait "${pids[1]}"
fi
exit $status
