#!/usr/bin/env bash
# test/docker.sh — build the project's Dockerfile with podman and check that the image really runs.
#
#   bash test/docker.sh                  # the Bun binary (the Dockerfile's default RUNTIME)
#   RUNTIME=node bash test/docker.sh     # the Node single executable application
#
# Needs rootful podman as set up by .ci/docker-setup.sh (base images built locally).
# Checks, each timed:
#   image     non-root USER, EXPOSE 8000, ENTRYPOINT /hello-server, HEALTHCHECK; its files are
#             /hello-server and shared libraries only (FROM scratch: no shell, no node/bun/deno),
#             and the image is at most 1.1 × the executable
#   serve     read-only root, no tmpfs, all capabilities dropped (Kubernetes' restricted level):
#             `-p 127.0.0.1:<free port>:8000` answers "hello"; BODY from the environment is served
#   workers   default = the CPUs podman gives the container; `--cpus 1` = 1 worker
#   health    `podman healthcheck run` → healthy; --healthcheck exits 1 on a dead port or a wrong status
#   stop      `podman stop` (SIGTERM to PID 1) takes < 3 s and the exit code is 0
#   arm64     (RUNTIME=bun, with qemu-user-static and libc6-arm64-cross) `--platform linux/arm64`
#             builds an arm64 image by cross-compiling; its files alone run under qemu: --version,
#             one request, SIGTERM
#   https     (issue 19) TLS_CERT/TLS_KEY from a read-only mount: curl --cacert, TLS 1.1 refused, the
#             HEALTHCHECK over TLS, a mismatched key exits 2 with one line
#   admin     `podman exec <container> /hello-server admin unready|sick|state|ready`: the client in
#             the executable (the image has no shell or curl) flips every worker's state at run time
# Ends with "N passed, N failed" and exits 1 if anything failed. Helpers shared with
# test/kube.sh (tally, steps, polling, the image build): test/lib/container.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
POLL_TRIES=150
source test/lib/container.sh

RUNTIME=${RUNTIME:-bun}
IMAGE="localhost/hello-server:test-$RUNTIME"
STOP_LIMIT_MS=3000
# Image size / executable size, at most (issue 9: the loader and C library add ~3 MB to ~110 MB).
MAX_IMAGE_RATIO=1.1
# How the serving containers run: what readOnlyRootFilesystem, drop ALL and
# allowPrivilegeEscalation: false give a pod. --read-only-tmpfs=false: no /tmp, /run, /var/tmp either.
HARDENED=(--read-only --read-only-tmpfs=false --cap-drop ALL --security-opt no-new-privileges)

containers=()
cleanup() {
  ((${#containers[@]} > 0)) && podman rm -f -t 0 "${containers[@]}" >/dev/null 2>&1
}
trap cleanup EXIT

# Starts a container named hello-server-test-$$-<name> from $IMAGE; extra podman-run
# arguments in "$@". Sets CONTAINER to its name (not a subshell: cleanup needs the list).
start_container() {
  CONTAINER="hello-server-test-$$-$1"
  shift
  containers+=("$CONTAINER")
  # podman 4.3 logs "unable to get systemd connection" for every HEALTHCHECK on a machine
  # without systemd (it would schedule the checks with systemd timers); we run them by hand.
  podman run -d --name "$CONTAINER" "$@" "$IMAGE" >/dev/null 2>&1
}

listening_or_exited() {
  podman logs "$1" 2>&1 | grep -q 'hello-server listening on' || [[ "$(podman inspect -f '{{.State.Running}}' "$1")" != true ]]
}

# Waits for the listening line, which every mode prints once all its workers listen.
# Prints that line; fails if the container exits or stays silent.
wait_listening() {
  local id=$1 line
  poll listening_or_exited "$id"
  line=$(podman logs "$id" 2>&1 | grep -m1 'hello-server listening on')
  if [[ -n "$line" ]]; then printf '%s\n' "$line"; return 0; fi
  podman logs "$id" 2>&1 | tail -5 | sed 's/^/        /'
  return 1
}

get() { curl -s -m 2 "http://127.0.0.1:$1/"; }

# The serving processes of a container (see count_workers), from its text log lines.
workers_of() {
  count_workers "$1" "$2" "$(podman logs "$1" 2>&1 | grep -cE '^hello-server: worker [0-9]+ started')"
}

# The image's files, from its mounted root: /hello-server and shared objects (lib*.so.N, ld-linux*)
# only, and the image at most MAX_IMAGE_RATIO × /hello-server. Sets IMAGE_ROOT_FILES.
check_image_files() {
  local image=$1 mnt exe_bytes image_bytes ratio
  if ! mnt=$(podman image mount "$image" 2>/dev/null) || [[ -z "$mnt" ]]; then
    fail "podman image mount $image"
    return
  fi
  IMAGE_ROOT_FILES=$(cd "$mnt" && find . -mindepth 1 -not -type d -printf '/%P %s\n' | sort)
  podman image unmount "$image" >/dev/null 2>&1
  printf '%s\n' "$IMAGE_ROOT_FILES" | sed 's/^/        /'
  expect_eq "files other than /hello-server and shared libraries" \
    "$(awk '$1 != "/hello-server" && $1 !~ /^\/lib(64)?\/([a-z0-9_]+-linux-gnu\/)?(lib[^\/]+|ld-linux[^\/]+)\.so[.0-9]*$/ {print $1}' <<<"$IMAGE_ROOT_FILES")" ""
  exe_bytes=$(awk '$1 == "/hello-server" {print $2}' <<<"$IMAGE_ROOT_FILES")
  image_bytes=$(podman image inspect -f '{{.Size}}' "$image")
  ratio=$(awk -v i="$image_bytes" -v e="$exe_bytes" 'BEGIN { printf "%.3f", (e > 0 ? i / e : 99) }')
  if awk -v r="$ratio" -v max="$MAX_IMAGE_RATIO" 'BEGIN { exit !(r <= max) }'; then
    pass "image $image_bytes bytes = $ratio × /hello-server ($exe_bytes bytes), at most $MAX_IMAGE_RATIO"
  else
    fail "image $image_bytes bytes = $ratio × /hello-server ($exe_bytes bytes), more than $MAX_IMAGE_RATIO"
  fi
}

# podman stop (SIGTERM, SIGKILL after 10 s); checks the time and the exit code.
check_stop() {
  local id=$1 name=$2 t elapsed code
  t=$(ms)
  podman stop -t 10 "$id" >/dev/null 2>&1
  elapsed=$(($(ms) - t))
  code=$(podman inspect -f '{{.State.ExitCode}}' "$id")
  if ((elapsed < STOP_LIMIT_MS)); then pass "$name: podman stop took $elapsed ms (< $STOP_LIMIT_MS)"; else fail "$name: podman stop took $elapsed ms (limit $STOP_LIMIT_MS)"; fi
  expect_eq "$name: exit code after SIGTERM" "$code" 0
}

require_podman test/docker.sh curl
cpus=$(nproc)

step "build $IMAGE (RUNTIME=$RUNTIME, NODE_IMAGE=$NODE_IMAGE)"
if ! build_image "$IMAGE" /tmp/hello-server-docker-build.log --build-arg "RUNTIME=$RUNTIME"; then
  summary
  exit 1
fi
step_done

step "image configuration"
expect_eq "USER" "$(podman image inspect -f '{{.Config.User}}' "$IMAGE")" "10001:10001"
expect_eq "ENTRYPOINT" "$(podman image inspect -f '{{json .Config.Entrypoint}}' "$IMAGE")" '["/hello-server"]'
expect_eq "EXPOSE" "$(podman image inspect -f '{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}' "$IMAGE")" "8000/tcp "
expect_eq "HEALTHCHECK" "$(podman image inspect -f '{{json .Config.Healthcheck.Test}}' "$IMAGE")" '["CMD","/hello-server","--healthcheck"]'
check_image_files "$IMAGE"
help=$(podman run --rm --no-healthcheck "$IMAGE" --help)
if [[ "$help" == "hello-server "* ]]; then pass "--help (no runtime installed in the image)"; else fail "--help printed: ${help:0:200}"; fi
step_done

step "serve on a published free port, default CPUs ($cpus), ${HARDENED[*]}"
port=$(free_port)
start_container main "${HARDENED[@]}" -p "127.0.0.1:$port:8000" || fail "podman run (main)"
main=$CONTAINER
if line=$(wait_listening "$main"); then
  pass "listening: $line"
  expect_eq "body from 127.0.0.1:$port" "$(get "$port")" "hello"
  expect_eq "workers with $cpus CPUs" "$(workers_of "$main" "$line")" "$cpus"
else
  fail "container did not report listening"
fi
step_done

step "health check"
if podman healthcheck run "$main" >/dev/null 2>&1; then pass "podman healthcheck run"; else fail "podman healthcheck run exited $?"; fi
expect_eq "State.Health.Status" "$(podman inspect -f '{{.State.Health.Status}}' "$main")" "healthy"
podman exec -e PORT=1 "$main" /hello-server --healthcheck >/dev/null 2>&1
expect_eq "--healthcheck against a closed port, exit code" "$?" 1
podman exec -e STATUS=503 "$main" /hello-server --healthcheck >/dev/null 2>&1
expect_eq "--healthcheck expecting another status, exit code" "$?" 1
step_done

step "stop (default CPUs)"
check_stop "$main" "default"
step_done

step "--cpus 1, configured by the environment"
port1=$(free_port)
start_container one-cpu "${HARDENED[@]}" --cpus 1 -e BODY=one-cpu -p "127.0.0.1:$port1:8000" || fail "podman run (--cpus 1)"
one=$CONTAINER
if line=$(wait_listening "$one"); then
  expect_eq "body from BODY=one-cpu" "$(get "$port1")" "one-cpu"
  expect_eq "workers with --cpus 1" "$(workers_of "$one" "$line")" 1
else
  fail "--cpus 1 container did not report listening"
fi
check_stop "$one" "--cpus 1"
step_done

# The same Dockerfile for arm64 (--platform → TARGETARCH): the build stage runs on this host and
# cross-compiles. No registry here, so the target-libc stage's arm64 C library is Debian's
# libc6-arm64-cross imported as an arm64 image; nothing arm64 runs in a container here (no
# binfmt_misc), so the image's own files run under qemu-aarch64-static -L <its mounted root>.
ARM64_IMAGE="localhost/hello-server:test-$RUNTIME-arm64"
ARM64_LIBC_IMAGE=localhost/hello-server-arm64-libc:test
ARM64_SYSROOT=/usr/aarch64-linux-gnu
QEMU=$(command -v qemu-aarch64-static)
case "$(uname -m)" in x86_64) build_arch=amd64 ;; aarch64) build_arch=arm64 ;; *) build_arch=$(uname -m) ;; esac
if [[ "$RUNTIME" != bun || "$build_arch" != amd64 ]]; then
  printf '== arm64 image: skipped (only RUNTIME=bun cross-compiles; this check runs on amd64 hosts)\n'
elif [[ -z "$QEMU" || ! -f "$ARM64_SYSROOT/lib/libc.so.6" ]]; then
  printf '== arm64 image: skipped (needs qemu-user-static and libc6-arm64-cross, as .ci/run installs)\n'
else
  step "arm64 image: podman build --platform linux/arm64"
  if ! podman image exists "$ARM64_LIBC_IMAGE"; then
    ctx=$(mktemp -d /tmp/hello-server-arm64-libc.XXXXXX)
    mkdir -p "$ctx/lib/aarch64-linux-gnu"
    cp -a "$ARM64_SYSROOT"/lib/*.so* "$ctx/lib/aarch64-linux-gnu/"
    ln -s aarch64-linux-gnu/ld-linux-aarch64.so.1 "$ctx/lib/ld-linux-aarch64.so.1"
    tar -C "$ctx" -c . | podman import --quiet --arch arm64 - "$ARM64_LIBC_IMAGE" >/dev/null
    rm -rf "$ctx"
  fi
  # podman 4.3 (buildah 1.28) derives TARGETARCH from --platform but leaves BUILDPLATFORM and
  # BUILDARCH unset; BuildKit sets all of them.
  if build_image "$ARM64_IMAGE" /tmp/hello-server-docker-build-arm64.log --platform linux/arm64 \
      --build-arg BUILDPLATFORM=linux/amd64 --build-arg BUILDARCH=amd64 --build-arg "BASE_IMAGE=$ARM64_LIBC_IMAGE"; then
    expect_eq "Architecture" "$(podman image inspect -f '{{.Architecture}}' "$ARM64_IMAGE")" arm64
    expect_eq "USER" "$(podman image inspect -f '{{.Config.User}}' "$ARM64_IMAGE")" "10001:10001"
    check_image_files "$ARM64_IMAGE"
    mnt=$(podman image mount "$ARM64_IMAGE")
    expect_eq "qemu -L <image root> /hello-server --version" "$("$QEMU" -L "$mnt" "$mnt/hello-server" --version 2>&1)" \
      "hello-server $(node -p 'require("./package.json").version')"
    porta=$(free_port)
    env -i "$QEMU" -L "$mnt" "$mnt/hello-server" --port "$porta" --host 127.0.0.1 --workers 1 2>/tmp/hello-server-arm64.log &
    qpid=$!
    poll eval "grep -q 'hello-server listening on' /tmp/hello-server-arm64.log || ! kill -0 $qpid 2>/dev/null"
    expect_eq "qemu: body from 127.0.0.1:$porta" "$(get "$porta")" "hello"
    kill -TERM "$qpid"
    wait "$qpid"
    expect_eq "qemu: exit code after SIGTERM" "$?" 0
    podman image unmount "$ARM64_IMAGE" >/dev/null 2>&1
  fi
  step_done
fi

# HTTPS (issue 19): certificates made here with openssl, mounted read-only from the host as a
# Kubernetes Secret would be; the root filesystem stays read-only. The image's HEALTHCHECK
# (--healthcheck) probes over TLS because TLS_CERT is in its environment.
step "https: TLS_CERT/TLS_KEY from a read-only mount, curl --cacert, healthcheck, a mismatched key exits 2"
certs=$(mktemp -d)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$certs/ca.key" -out "$certs/ca.pem" \
  -subj "/CN=hello-server test CA" -days 2 -addext basicConstraints=critical,CA:TRUE >/dev/null 2>&1
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$certs/tls.key" -out "$certs/tls.csr" \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1
openssl x509 -req -in "$certs/tls.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca.key" -CAcreateserial -days 2 -copy_extensions copy \
  -out "$certs/tls.crt" >/dev/null 2>&1
# The image runs as uid 10001: the files must be readable by it (a Secret volume's default mode is 0644).
chmod 755 "$certs" && chmod 644 "$certs"/*
port_tls=$(free_port)
if start_container https "${HARDENED[@]}" -v "$certs:/etc/hello-server/tls:ro" -e TLS_CERT=/etc/hello-server/tls/tls.crt \
    -e TLS_KEY=/etc/hello-server/tls/tls.key -p "127.0.0.1:$port_tls:8000" && https_ctr=$CONTAINER && line=$(wait_listening "$https_ctr"); then
  expect_eq "listening line names https" "$([[ "$line" == *"https://"* ]] && echo yes)" yes
  expect_eq "curl --cacert https://localhost:$port_tls/" "$(curl -s -m 2 --cacert "$certs/ca.pem" "https://localhost:$port_tls/")" "hello"
  expect_eq "TLS 1.1 refused" "$(openssl s_client -connect "127.0.0.1:$port_tls" -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' </dev/null 2>&1 | grep -c 'Cipher is (NONE)')" 1
  if podman healthcheck run "$https_ctr" >/dev/null 2>&1; then pass "podman healthcheck run over TLS"; else fail "podman healthcheck run over TLS exited $?"; fi
  check_stop "$https_ctr" "https"
else
  fail "https container did not start listening"
fi
# A key that does not match the certificate (as after a half-finished rotation): one line, exit 2.
mismatch_out=$(podman run --rm --no-healthcheck "${HARDENED[@]}" -v "$certs:/etc/hello-server/tls:ro" -e TLS_CERT=/etc/hello-server/tls/tls.crt \
  -e TLS_KEY=/etc/hello-server/tls/ca.key "$IMAGE" 2>&1)
expect_eq "a key that does not match the certificate: exit code" "$?" 2
expect_eq "... and one line saying so" "$(printf '%s\n' "$mismatch_out" | grep -c 'does not match the certificate')" 1
rm -rf "$certs"
step_done

# Run-time state (issue 17) through the admin client in the image itself: FROM scratch has no shell
# or curl, so `podman exec … /hello-server admin` (Kubernetes: `kubectl exec POD -- /hello-server
# admin unready`) is the way in. Two workers: the supervisor owns the state and tells both.
step "admin: podman exec /hello-server admin unready|sick|state|ready"
port_admin=$(free_port)
status_of() { curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port_admin$1"; }
# The answers of 8 fresh connections to / (they spread over both workers), on one line.
statuses() { for _ in 1 2 3 4 5 6 7 8; do printf '%s ' "$(status_of /)"; done; }
if start_container admin "${HARDENED[@]}" -e WORKERS=2 -e HEALTH_PATH=/healthz -e ADMIN_PORT=9901 -p "127.0.0.1:$port_admin:8000" \
    && admin_ctr=$CONTAINER && wait_listening "$admin_ctr" >/dev/null; then
  admin() { podman exec "$admin_ctr" /hello-server admin "$1" --admin-port 9901 2>&1; }
  expect_eq "admin unready" "$(admin unready)" '{"state":"unready"}'
  expect_eq "health path while unready" "$(status_of /healthz)" 503
  expect_eq "other answers while unready" "$(statuses)" "200 200 200 200 200 200 200 200 "
  expect_eq "admin sick" "$(admin sick)" '{"state":"sick"}'
  expect_eq "every worker answers 500 while sick" "$(statuses)" "500 500 500 500 500 500 500 500 "
  expect_eq "health path while sick" "$(status_of /healthz)" 200
  # No --admin-port: `podman exec`, like `kubectl exec`, runs the client with the container's environment (ADMIN_PORT).
  expect_eq "admin state (port from the container's ADMIN_PORT)" "$(podman exec "$admin_ctr" /hello-server admin state 2>&1)" '{"state":"sick"}'
  expect_eq "admin ready" "$(admin ready)" '{"state":"ready"}'
  expect_eq "answers after ready" "$(statuses)" "200 200 200 200 200 200 200 200 "
  expect_eq "admin with no listener there: exit 1" "$(podman exec "$admin_ctr" /hello-server admin state --admin-port 9902 >/dev/null 2>&1; echo $?)" 1
  check_stop "$admin_ctr" "admin"
else
  fail "admin container did not start listening"
fi
step_done

summary
