#!/usr/bin/env bash
# What the "watch" features cost when on (issue 18): bench/ab-fastpath.sh with the new bundle
# under --metrics-port (counting every request and connection), --served-by (one more prebuilt
# line) and --echo-path / (every request echoed: the echo's own cost next to the plain answer's).
#
# usage (alone on the machine):
#   flock /tmp/hello-bench.lock bash bench/ab-watch.sh /tmp/base/dist/hello-server.js /tmp/new/dist/hello-server.js [ROUNDS] [RUNTIMES]
VARIANTS="metrics=--metrics-port 0;served-by=--served-by;echo=--echo-path /" exec bash "$(dirname "$0")/ab-fastpath.sh" "$1" "$2" "${3:-3}" "${4:-bun deno node}"
