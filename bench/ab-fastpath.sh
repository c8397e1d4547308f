#!/usr/bin/env bash
# Same-run A/B of server CPU per request: a base bundle (e.g. main before a change) against the
# current one under several flag sets, on Bun, Deno and Node, keep-alive, pipelined x16 and
# connection-close (bench/ab-cpu.py: alternating runs, server on CPU 0, wrk on CPU 1).
# Default variants: "new" (every optional feature off: must stay within 2% of base) and
# "control" (--request-control, requests without controls: within 3%). VARIANTS overrides them,
# as `name=flags` entries separated by ';' (bench/ab-watch.sh does).
#
# usage (alone on the machine; nothing else running):
#   git worktree add /tmp/base <base-commit> && (cd /tmp/base && ln -s $PWD/node_modules . && bun build.ts --runtime none)
#   bun build.ts --runtime none    (outside the repository, a bundle needs node_modules beside it: Node's koffi)
#   flock /tmp/hello-bench.lock bash bench/ab-fastpath.sh /tmp/base/dist/hello-server.js dist/hello-server.js [ROUNDS] [RUNTIMES]
set -euo pipefail
BASE=${1:?base bundle}; NEW=${2:?new bundle}; ROUNDS=${3:-5}; RUNTIMES=${4:-"bun deno node"}
VARIANTS=${VARIANTS:-"new=;control=--request-control"}
BIN=$(cd "$(dirname "$0")/.." && pwd)/node_modules/.bin
FLAGS="--host 127.0.0.1 --workers 1 --quiet"
for rt in $RUNTIMES; do
  case $rt in
    bun) run="$BIN/bun" ;;
    deno) run="$BIN/deno run -A --unstable-net" ;;
    node) run="node" ;;
  esac
  servers=("$rt-base=$run $BASE $FLAGS")
  IFS=';' read -ra variants <<< "$VARIANTS"
  for v in "${variants[@]}"; do servers+=("$rt-${v%%=*}=$run $NEW $FLAGS ${v#*=}"); done
  for scen in keepalive pipelined close; do
    python3 "$(dirname "$0")/ab-cpu.py" "$ROUNDS" "$scen" "${servers[@]}"
  done
done
