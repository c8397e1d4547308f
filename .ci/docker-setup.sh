#!/usr/bin/env bash
# .ci/docker-setup.sh — make rootful podman a working container engine for
# test/docker.sh on a fresh Debian 12 machine that reaches no image registry.
# Idempotent: when everything is in place it changes nothing and takes ~1 s.
#
#   bash .ci/docker-setup.sh
#
# What it sets up, and why (each learned on this kind of machine):
#  1. podman, runc, debootstrap, iptables from Debian (iptables: netavark's port mapping).
#  2. /etc/containers/containers.conf.d/50-hello-server.conf (read by every podman run):
#     - runtime = "runc": crun fails on this machine's cgroup setup;
#     - default_ulimits at the machine's hard limits: without them runc fails to start
#       any container ("error setting rlimit type 7: operation not permitted").
#  3. docker.io/library/debian:bookworm-slim: debootstrap --variant=minbase, trimmed like
#     Debian's official slim image (no apt lists, docs, man pages, locales), imported.
#  4. docker.io/library/node:<major>-bookworm-slim: that image plus this machine's node
#     and npm, and its CA bundle — egress goes through a TLS-inspecting proxy whose CA
#     is only in the host's bundle; without it `npm ci` fails with SELF_SIGNED_CERT_IN_CHAIN.
#     test/docker.sh passes it as the Dockerfile's NODE_IMAGE.
# The images stay in podman's storage (/var/lib/containers), so later runs reuse them.
# The docker CLI can drive the same engine through `podman system service` (DOCKER_HOST);
# nothing here needs it.
set -euo pipefail

log() { printf 'docker-setup: %s\n' "$*" >&2; }
# apt-get, /etc/containers and rootful podman (rootless podman is another setup) need root.
if ((EUID != 0)); then
  command -v sudo >/dev/null || { log "run as root"; exit 1; }
  exec sudo --preserve-env=PATH bash "$0" "$@"
fi
t0=$(date +%s)

DEBIAN_IMAGE=docker.io/library/debian:bookworm-slim
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
NODE_IMAGE="docker.io/library/node:${NODE_MAJOR}-bookworm-slim"

# 1. Packages.
missing=()
for cmd in podman runc debootstrap iptables; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
if ((${#missing[@]} > 0)); then
  log "installing podman runc debootstrap iptables (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq podman runc debootstrap iptables >/dev/null
fi

# 2. Engine configuration.
nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
# Containers get at most 32768 processes: more is never needed and may exceed pid_max.
if [[ "$nproc" == unlimited ]] || ((nproc > 32768)); then nproc=32768; fi
[[ "$nofile" == unlimited ]] && nofile=1048576
conf=/etc/containers/containers.conf.d/50-hello-server.conf
want=$(cat <<EOF
# Written by hello-server's .ci/docker-setup.sh.
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]

[engine]
runtime = "runc"
EOF
)
if [[ "$(cat "$conf" 2>/dev/null)" != "$want" ]]; then
  log "writing $conf"
  mkdir -p "$(dirname "$conf")"
  printf '%s\n' "$want" >"$conf"
fi

# 3. Debian base image.
if ! podman image exists "$DEBIAN_IMAGE"; then
  log "building $DEBIAN_IMAGE with debootstrap (about a minute)"
  rootfs=$(mktemp -d /tmp/hello-server-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase bookworm "$rootfs" >"$rootfs.log" 2>&1 || { cat "$rootfs.log" >&2; exit 1; }
  rm -f "$rootfs.log"
  # What Debian's slim images leave out, and dpkg excludes that keep it out on later installs.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log "$rootfs"/etc/hostname "$rootfs"/etc/resolv.conf
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  tar -C "$rootfs" -c . | podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
fi

# 4. Node build image: the official node images keep node in /usr/local, so do we.
if ! podman image exists "$NODE_IMAGE"; then
  log "building $NODE_IMAGE from $(command -v node) ($(node --version)) and npm $(npm --version)"
  ctx=$(mktemp -d /tmp/hello-server-node-image.XXXXXX)
  trap 'rm -rf "$ctx"' EXIT
  cp "$(node -p process.execPath)" "$ctx/node"
  cp -a "$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")" "$ctx/npm"
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
  cat >"$ctx/Containerfile" <<EOF
FROM $DEBIAN_IMAGE
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && node --version && npm --version
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt NPM_CONFIG_UPDATE_NOTIFIER=false
CMD ["node"]
EOF
  podman build --quiet -t "$NODE_IMAGE" "$ctx" >/dev/null
  rm -rf "$ctx"
  trap - EXIT
fi

# Fail here, with the reason, rather than in the middle of a test.
podman run --rm "$DEBIAN_IMAGE" true || { log "podman cannot run a container; see the messages above"; exit 1; }
log "ready in $(($(date +%s) - t0)) s: podman $(podman --version | awk '{print $3}'), runtime runc, $DEBIAN_IMAGE, $NODE_IMAGE"
