#!/usr/bin/env bash
# Same-run A/B of the default path's server CPU per request: a base bundle (e.g. main before a
# change) against the current one, plus the current one with --request-control (the "steer"
# responder on, requests without control parameters), on Bun, Deno and Node, keep-alive,
# pipelined x16 and connection-close. Every feature of issues 17-19 is off by default, so "new"
# must stay within 2% of "base" and "control" within 3%.
#
# usage (alone on the machine; nothing else running):
#   git worktree add /tmp/base <base-commit> && (cd /tmp/base && ln -s $PWD/node_modules . && bun build.ts --runtime none)
#   bun build.ts --runtime none
#   flock /tmp/hello-bench.lock bash bench/ab-fastpath.sh /tmp/base/dist/hello-server.js dist/hello-server.js [ROUNDS] [RUNTIMES]
set -euo pipefail
BASE=${1:?base bundle}; NEW=${2:?new bundle}; ROUNDS=${3:-5}; RUNTIMES=${4:-"bun deno node"}
BIN=$(cd "$(dirname "$0")/.." && pwd)/node_modules/.bin
FLAGS="--host 127.0.0.1 --workers 1 --quiet"
for rt in $RUNTIMES; do
  case $rt in
    bun) run="$BIN/bun" ;;
    deno) run="$BIN/deno run -A --unstable-net" ;;
    node) run="node" ;;
  esac
  for scen in keepalive pipelined close; do
    python3 "$(dirname "$0")/ab-cpu.py" "$ROUNDS" "$scen" \
      "$rt-base=$run $BASE $FLAGS" \
      "$rt-new=$run $NEW $FLAGS" \
      "$rt-control=$run $NEW $FLAGS --request-control"
  done
done
