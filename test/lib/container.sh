# test/lib/container.sh — what test/docker.sh and test/kube.sh share, sourced by both:
# the pass/fail tally and its closing line, timed steps, a free port, bounded polling,
# the root/podman check, building the Dockerfile with podman, and counting workers.
#
#   source "$(dirname "$0")/lib/container.sh"     # from test/, after `cd` to the repository root
#
# The scripts run with `set -uo pipefail` (not -e: a failed check is counted, not fatal).

# The Node image the Dockerfile's build stage runs in: the major version of this host's node,
# as .ci/docker-setup.sh builds it locally (no registry is reachable here).
NODE_IMAGE=${NODE_IMAGE:-docker.io/library/node:$(node -p 'process.versions.node.split(".")[0]')-bookworm-slim}
# Bounded polls: POLL_TRIES × 0.1 s. The server starts in well under a second; the rest is podman.
POLL_TRIES=${POLL_TRIES:-150}

passed=0
failed=0
step_start=0
t_all=$(date +%s%3N)

ms() { date +%s%3N; }
pass() { passed=$((passed + 1)); printf '  ok    %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf '  FAIL  %s\n' "$*"; }
expect_eq() { # name actual expected
  if [[ "$2" == "$3" ]]; then pass "$1 = $3"; else fail "$1: got '$2', expected '$3'"; fi
}
step() { step_start=$(ms); printf '%s\n' "== $*"; }
step_done() { printf '   (%d ms)\n' "$(($(ms) - step_start))"; }

# The closing lines ("total N ms", "N passed, N failed"); returns 1 if anything failed.
summary() {
  printf 'total %d ms\n' "$(($(ms) - t_all))"
  printf '%d passed, %d failed\n' "$passed" "$failed"
  ((failed == 0))
}

free_port() {
  node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

# Runs "$@" every 0.1 s until it succeeds; fails after POLL_TRIES tries.
poll() {
  local i
  for ((i = 0; i < POLL_TRIES; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

# Exits 1 with a line on stderr unless this runs as root with podman and every command named
# in "$@" (after the script's name). Rootful podman as .ci/docker-setup.sh sets it up.
require_podman() {
  local script=$1 cmd
  shift
  if ((EUID != 0)); then
    echo "$script: run as root (it uses rootful podman, as set up by .ci/docker-setup.sh)" >&2
    exit 1
  fi
  for cmd in podman "$@"; do
    command -v "$cmd" >/dev/null || { echo "$script: $cmd missing; run: bash .ci/docker-setup.sh" >&2; exit 1; }
  done
}

# build_image IMAGE LOG [podman build arguments…]: builds the Dockerfile (docker format: the OCI
# format has no HEALTHCHECK) with NODE_IMAGE as the build stage, tagged IMAGE, the output in LOG.
# Counts a pass or a failure (with the log's tail); returns 1 on failure.
build_image() {
  local image=$1 log=$2 previous
  shift 2
  if ! podman image exists "$NODE_IMAGE"; then
    fail "podman build: $NODE_IMAGE missing; run: bash .ci/docker-setup.sh"
    return 1
  fi
  previous=$(podman image inspect -f '{{.Id}}' "$image" 2>/dev/null)
  if podman build --format docker --build-arg "NODE_IMAGE=$NODE_IMAGE" "$@" -t "$image" . >"$log" 2>&1; then
    pass "podman build $*"
    # The previous build's image is untagged now: drop it (its build-stage layers stay as cache).
    [[ -n "$previous" && "$previous" != "$(podman image inspect -f '{{.Id}}' "$image")" ]] && podman rmi "$previous" >/dev/null 2>&1
    return 0
  fi
  fail "podman build $* (log: $log)"
  tail -20 "$log" | sed 's/^/        /'
  return 1
}

# count_workers CONTAINER LISTENING_LINE STARTED: the workers serving in a container, from three
# views that must agree:
#  - the listening line: "(…, pid 1, N workers, …)" from the supervisor, no count when one
#    process serves alone (--workers 1, or auto on one CPU: no supervisor);
#  - STARTED, the "worker started" lines (text) or events (JSON) in its logs: one per serving process;
#  - processes in the container: N workers + the supervisor, or 1.
# Prints N, or "inconsistent: …".
count_workers() {
  local id=$1 line=$2 started=$3 n procs supervisor=1
  n=$(sed -nE 's/.*, ([0-9]+) workers,.*/\1/p' <<<"$line")
  [[ -z "$n" ]] && n=1 supervisor=0
  procs=$(podman top "$id" pid | tail -n +2 | wc -l)
  if ((started == n && procs == n + supervisor)); then
    printf '%s\n' "$n"
  else
    printf 'inconsistent: listening line says %s, %s workers started, %s processes\n' "$n" "$started" "$procs"
  fi
}
