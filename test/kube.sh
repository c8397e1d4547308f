#!/usr/bin/env bash
# test/kube.sh — run the Helm chart's rendered Deployment under `podman kube play` and check
# what a cluster would: it becomes ready through its probe, serves, runs the workers its CPU
# limit gives, and `podman kube down` drains it gracefully.
#
#   bash test/kube.sh                                   # builds the image (cached layers), then checks
#   KUBE_IMAGE=localhost/hello-server:test-bun bash test/kube.sh   # reuse an image, e.g. test/docker.sh's
#
# Needs rootful podman as set up by .ci/docker-setup.sh. Two pods, one after the other:
#   default   deploy/kubernetes.yaml as `kubectl apply -f` gets it (CPU limit 1 → WORKERS=1)
#   2cpu      the chart rendered with --set resources.limits.cpu=2 (→ WORKERS=2, a supervisor
#             and 2 workers), server.shutdownDelay=2
# For each, timed:
#   play      `podman kube play` of the Deployment, changed only where podman needs it
#             (test/deploy/play-manifest.ts: the local image, a hostPort on 127.0.0.1, a name suffix)
#   ready     the readiness probe's own request (httpGet on its path and port) answers 200, polled
#             from the host: podman turns httpGet probes into `curl` run inside the container,
#             and the image (FROM scratch) has no curl and no shell
#   serve     "hello" on the published port; logs are JSON lines (LOG_FORMAT=json)
#   workers   WORKERS in the container = the CPU limit rounded up; listening line, "worker
#             started" events and processes agree; uid 10001, read-only root, no capabilities
#   drain     SIGTERM as the kubelet sends it (`podman stop -t <terminationGracePeriodSeconds>`):
#             the health path turns 503 while / still answers (with Connection: close) during
#             SHUTDOWN_DELAY; the container exits 0, after at least the delay and before the
#             grace period; then `podman kube down` removes the pod. (podman 4.3's kube down
#             alone sends SIGKILL at once: containers/podman#22397, fixed in podman 5.1.)
# Ends with "N passed, N failed" and exits 1 if anything failed. Helpers shared with
# test/docker.sh (tally, steps, polling, the image build): test/lib/container.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
POLL_TRIES=200
source test/lib/container.sh

IMAGE=${KUBE_IMAGE:-localhost/hello-server:kube-test}
BUN=node_modules/.bin/bun

play_files=()
followers=()
tmp=$(mktemp -d)

# This run's pods (their names carry kube-test-$$), whatever state they are in: kube down
# leaves a pod whose start failed.
remove_pods() {
  local pods
  pods=$(podman pod ps -q --filter "name=kube-test-$$-")
  [[ -n "$pods" ]] && podman pod rm -f -t 0 $pods >/dev/null 2>&1
}
cleanup() {
  local f pid
  for pid in "${followers[@]}"; do kill "$pid" 2>/dev/null; done
  for f in "${play_files[@]}"; do podman kube down "$f" >/dev/null 2>&1; done
  command -v podman >/dev/null && remove_pods
  rm -rf "$tmp"
}
trap cleanup EXIT

# HTTP status of GET <path> on the published port ("000" when nothing answers).
status_of() { curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$1$2"; }
status_is() { [[ "$(status_of "$1" "$2")" == "$3" ]]; }

# Waits until GET <path> answers <status>; prints the milliseconds it took. Fails after POLL_TRIES.
wait_status() { # port path status
  local t0
  t0=$(ms)
  poll status_is "$@" || return 1
  printf '%s\n' "$(($(ms) - t0))"
}

# Runs one manifest under kube play and checks it. Args: case name, manifest file, description.
run_case() {
  local case=$1 manifest=$2 what=$3 port play facts t_play out ctr ready_ms line
  step "$case: $what"
  port=$(free_port)
  play="$tmp/$case.json"
  if ! facts=$("$BUN" test/deploy/play-manifest.ts "$manifest" "$play" "$IMAGE" "$port" "kube-test-$$-$case" 2>&1); then
    fail "$case: play-manifest: $facts"
    return
  fi
  local name container_port probe_path readiness_period grace shutdown_delay shutdown_timeout cpu_limit workers
  eval "$facts"
  printf '        %s\n' "probe GET $probe_path on :$container_port, CPU limit $cpu_limit → WORKERS=$workers, grace ${grace}s, delay ${shutdown_delay}s"

  t_play=$(ms)
  play_files+=("$play")
  # Run from $tmp: podman 4.3's kube play looks for ./<image name>/Containerfile to build,
  # and here ./hello-server is the compiled executable ("not a directory"); neither
  # --build=false nor --context-dir (which needs --build) stops that lookup.
  if ! out=$(cd "$tmp" && podman kube play "$play" 2>&1); then
    fail "$case: podman kube play: $(tail -3 <<<"$out")"
    remove_pods
    return
  fi
  # podman prints "Pod:\n<id>\nContainer:\n<id>" (one container: the infra container is not listed).
  ctr=$(awk 'f { print; exit } /^Containers?:$/ { f = 1 }' <<<"$out")
  if [[ -z "$ctr" ]]; then
    fail "$case: no container in kube play's output: $out"
    return
  fi
  pass "$case: podman kube play ($(($(ms) - t_play)) ms), pod $name"
  # The logs, kept: kube down removes the container, and the drain's lines come last.
  podman logs -f "$ctr" >"$tmp/$case.log" 2>&1 &
  followers+=("$!")

  if ready_ms=$(wait_status "$port" "$probe_path" 200); then
    pass "$case: ready (GET $probe_path → 200) $(($(ms) - t_play)) ms after kube play began"
  else
    fail "$case: GET $probe_path never answered 200 (last: $(status_of "$port" "$probe_path"))"
    sed 's/^/        /' "$tmp/$case.log" | tail -5
    return
  fi
  expect_eq "$case: body of GET / on 127.0.0.1:$port" "$(curl -s -m 2 "http://127.0.0.1:$port/")" "hello"
  step_done

  step "$case: workers and security"
  expect_eq "$case: WORKERS in the container (Downward API, limits.cpu $cpu_limit)" \
    "$(podman inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$ctr" | sed -n 's/^WORKERS=//p')" "$workers"
  # Every line JSON with an event (LOG_FORMAT=json); the listening event once all workers listen.
  poll grep -q '"event":"listening"' "$tmp/$case.log"
  if node -e 'const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
      for (const l of lines) { const o = JSON.parse(l); if (typeof o.event !== "string" || typeof o.time !== "string") throw new Error(l); }
      if (lines.length === 0) throw new Error("no lines");' "$tmp/$case.log" 2>/dev/null; then
    pass "$case: $(wc -l <"$tmp/$case.log") log lines, each a JSON object with time and event"
  else
    fail "$case: logs are not JSON lines:"
    sed 's/^/        /' "$tmp/$case.log" | head -5
  fi
  line=$(grep -m1 '"event":"listening"' "$tmp/$case.log")
  expect_eq "$case: workers (listening line, worker_started events, processes)" \
    "$(count_workers "$ctr" "$line" "$(grep -c '"event":"worker_started"' "$tmp/$case.log")")" "$workers"
  expect_eq "$case: user" "$(podman inspect -f '{{.Config.User}}' "$ctr")" "10001:10001"
  expect_eq "$case: read-only root filesystem" "$(podman inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$ctr")" "true"
  expect_eq "$case: effective capabilities" "$(podman inspect -f '{{.EffectiveCaps}}' "$ctr")" "[]"
  step_done

  # What the kubelet does to a pod being deleted: SIGTERM to the container, SIGKILL after
  # terminationGracePeriodSeconds, the pod's network kept until its containers have exited.
  # podman 4.3's `kube down` (and `pod stop`, which also stops the infra container and with it
  # the network at once) cannot show that: kube down sends SIGKILL at once, a bug fixed in
  # podman 5.1 (containers/podman#22397, #22398; workaround there: stop before kube down).
  # So: `podman stop -t <grace>` the container, watch the drain, then `podman kube down`.
  step "$case: SIGTERM (podman stop -t $grace), ${shutdown_delay}s delay, drain; then podman kube down"
  local t_stop stop_pid stop_ms headers
  t_stop=$(ms)
  podman stop -t "$grace" "$ctr" >/dev/null 2>&1 &
  stop_pid=$!
  if ((shutdown_delay > 0)); then
    # Readiness fails first: the health path says 503 while the server still serves.
    if wait_status "$port" "$probe_path" 503 >/dev/null; then
      pass "$case: GET $probe_path → 503 $(($(ms) - t_stop)) ms after SIGTERM was sent"
      headers=$(curl -s -m 2 -D - -o "$tmp/$case.body" "http://127.0.0.1:$port/" | tr -d '\r')
      expect_eq "$case: GET / during the delay: status" "$(head -1 <<<"$headers")" "HTTP/1.1 200 OK"
      expect_eq "$case: GET / during the delay: body" "$(cat "$tmp/$case.body")" "hello"
      expect_eq "$case: GET / during the delay: Connection" "$(grep -i '^connection:' <<<"$headers")" "Connection: close"
    else
      fail "$case: GET $probe_path never answered 503 after SIGTERM (last: $(status_of "$port" "$probe_path"))"
    fi
  fi
  wait "$stop_pid"
  stop_ms=$(($(ms) - t_stop))
  if ((stop_ms >= shutdown_delay * 1000 && stop_ms < grace * 1000)); then
    pass "$case: stopped $stop_ms ms after SIGTERM (≥ ${shutdown_delay}s delay, < ${grace}s grace period: no SIGKILL)"
  else
    fail "$case: stopped $stop_ms ms after SIGTERM (expected ≥ ${shutdown_delay}s and < ${grace}s)"
  fi
  expect_eq "$case: container exit code" "$(podman inspect -f '{{.State.ExitCode}}' "$ctr")" 0
  for event in shutdown_begun shutdown_done; do
    if grep -q "\"event\":\"$event\"" "$tmp/$case.log"; then pass "$case: logged $event"; else fail "$case: no $event in the logs"; fi
  done
  grep -E '"event":"shutdown_(begun|delay|done)"' "$tmp/$case.log" | sed 's/^/        /'
  if podman kube down "$play" >"$tmp/$case.down" 2>&1; then
    pass "$case: podman kube down"
  else
    fail "$case: podman kube down: $(tail -2 "$tmp/$case.down")"
  fi
  expect_eq "$case: pods left" "$(podman pod ps -q --filter "name=$name-pod" | wc -l)" 0
  step_done
}

require_podman test/kube.sh curl

if [[ -n "${KUBE_IMAGE:-}" ]]; then
  podman image exists "$IMAGE" || { echo "test/kube.sh: KUBE_IMAGE=$IMAGE does not exist" >&2; exit 1; }
else
  step "build $IMAGE (the Dockerfile, RUNTIME=bun, NODE_IMAGE=$NODE_IMAGE)"
  if ! build_image "$IMAGE" /tmp/hello-server-kube-build.log --build-arg RUNTIME=bun; then
    summary
    exit 1
  fi
  step_done
fi

run_case default deploy/kubernetes.yaml "deploy/kubernetes.yaml as rendered"

if "$BUN" test/deploy/helm.ts template hello-server deploy/helm/hello-server \
  --set resources.limits.cpu=2 --set server.shutdownDelay=2 >"$tmp/2cpu.yaml" 2>"$tmp/2cpu.err"; then
  run_case 2cpu "$tmp/2cpu.yaml" "helm template --set resources.limits.cpu=2 --set server.shutdownDelay=2"
else
  fail "helm template (2cpu): $(cat "$tmp/2cpu.err")"
fi

summary
