#!/usr/bin/env bash
# align.sh: after the root module's go.mod changes, sets this module's
# go.temporal.io/server to the root's version and every other requirement
# the root module also has to the root's version, then tidies. Same
# versions mean the same compiled packages, so build.sh reuses what the
# root module's build and tests already compiled (a mismatch costs only
# build time). Check: go list -m all here and in the root agree on every
# module both have.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
export GOWORK=off GOFLAGS=-mod=mod
root_mods="$(cd "$here/../../.." && go list -m all)"
args=()
while read -r m v; do
  rv="$(awk -v m="$m" '$1==m && NF==2 {print $2}' <<<"$root_mods")"
  if [[ -n "$rv" && "$rv" != "$v" ]]; then args+=("-require=$m@$rv"); fi
done < <(go list -m -f '{{if not .Main}}{{.Path}} {{.Version}}{{end}}' all)
if [[ ${#args[@]} -gt 0 ]]; then go mod edit "${args[@]}"; fi
go mod tidy
echo "aligned ${#args[@]} requirements with the root module" >&2
