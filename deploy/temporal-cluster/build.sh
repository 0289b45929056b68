#!/usr/bin/env bash
# build.sh BIN_DIR: builds Temporal's server (temporal-server) and SQL tool
# (temporal-sql-tool) from the go.temporal.io/server module of
# deploy/temporal-cluster/server/go.mod, the version Tempest embeds, into
# BIN_DIR, plus tempest-temporal-setup (namespace and search attributes) from
# this repository. Uses the Go build cache; the server module's other
# requirements are at the root module's versions and there is no -trimpath,
# so the packages the embedded server already compiled are reused. From an
# empty build cache: 21 CPU-minutes (16 user, 5 sys), about 11 min on two
# idle cores. After the root module is compiled (CI's lint step does it)
# only 11 packages are new (urfave/cli, the schema tool, tzdata): about
# 1 min, most of it linking. Cached: seconds.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(mkdir -p "${1:?usage: build.sh BIN_DIR}" && cd "$1" && pwd)"
modver() { grep -oE '(^|[[:space:]])go\.temporal\.io/server v[^[:space:]]+' "$1" | awk '{print $2}' | head -n 1; }
server_version="$(modver "$here/server/go.mod")"
root_version="$(modver "$here/../../go.mod")"
if [[ "$server_version" != "$root_version" ]]; then
  echo "temporal cluster: deploy/temporal-cluster/server/go.mod has go.temporal.io/server $server_version but the embedded server (go.mod) is $root_version; run: cd deploy/temporal-cluster/server && go get go.temporal.io/server@$root_version && go mod tidy" >&2
  exit 1
fi
stamp="$bin/.built-$server_version"
if [[ -f "$stamp" && -x "$bin/temporal-server" && -x "$bin/temporal-sql-tool" ]] && \
   [[ "$stamp" -nt "$here/server/go.mod" ]]; then
  :
else
  ( cd "$here/server"
    GOWORK=off GOFLAGS=-mod=readonly go build -ldflags "-s -w" -o "$bin/temporal-server" go.temporal.io/server/cmd/server
    GOWORK=off GOFLAGS=-mod=readonly go build -ldflags "-s -w" -o "$bin/temporal-sql-tool" go.temporal.io/server/cmd/tools/sql )
  touch "$stamp"
fi
# Ours: rebuilt when a Go file of this repository it is built from, or
# go.mod, changed since (it registers the search attributes the code sets).
( cd "$here/../.."
  setup="$bin/tempest-temporal-setup"
  if [[ -x "$setup" && ! go.mod -nt "$setup" && ! go.sum -nt "$setup" ]]; then
    dirs="$(go list -deps -f '{{if and .Module .Module.Main}}{{.Dir}}{{end}}' ./deploy/temporal-cluster/setup)"
    # shellcheck disable=SC2086
    [[ -z "$(find $dirs -maxdepth 1 -name '*.go' -newer "$setup" -print -quit)" ]] && exit 0
  fi
  go build -o "$setup" ./deploy/temporal-cluster/setup )
