#!/usr/bin/env bash
# Same-run A/B of what the "watch" features cost when on (issue 18): the base bundle against the
# current one with --metrics-port (counting every request and connection), with --served-by (one
# more prebuilt line), and with --echo-path / (every request echoed: the echo's own cost, next to
# the plain answer's), on Bun, Deno and Node, keep-alive, pipelined x16 and connection-close.
#
# usage (alone on the machine):
#   flock /tmp/hello-bench.lock bash bench/ab-watch.sh /tmp/base/dist/hello-server.js /tmp/new/dist/hello-server.js [ROUNDS] [RUNTIMES]
set -euo pipefail
BASE=${1:?base bundle}; NEW=${2:?new bundle}; ROUNDS=${3:-3}; RUNTIMES=${4:-"bun deno node"}
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
      "$rt-metrics=$run $NEW $FLAGS --metrics-port 0" \
      "$rt-served-by=$run $NEW $FLAGS --served-by" \
      "$rt-echo=$run $NEW $FLAGS --echo-path /"
  done
done
