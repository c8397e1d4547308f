# hello-server image: the self-contained binary and the few files its loader needs, FROM scratch.
#
#   docker build -t hello-server .                                  # Bun binary (default)
#   docker buildx build --platform linux/arm64 -t hello-server:arm64 .   # cross-compiled, no emulation
#   podman build --format docker --platform linux/arm64 \
#     --build-arg BUILDPLATFORM=linux/amd64 --build-arg BUILDARCH=amd64 -t hello-server:arm64 .
#       (podman 4.3 sets TARGETARCH from --platform but not BUILDPLATFORM/BUILDARCH; BuildKit sets all)
#   docker build --build-arg RUNTIME=node -t hello-server:node .    # Node single executable application
#   docker build --build-arg RUNTIME=deno --build-arg DENORT_BIN=/src/denort -t hello-server:deno .
#       (deno compile downloads denort; where it cannot, put a denort of the
#        project's Deno version in the build context as ./denort)
#   docker run -p 8000:8000 -e BODY=hi hello-server
#
# Configure with the CLI's environment variables (PORT, HOST, WORKERS, BODY,
# STATUS, ...): the HEALTHCHECK reads the same variables, so it probes the
# port and expects the status the server was given. Flags after the image
# name work too, but the health check does not see them.
# With podman, build with `--format docker`: the OCI format has no HEALTHCHECK.
# Without registry access, .ci/docker-setup.sh builds both base images locally
# (the Node one from the host's Node: pass it, e.g.
# --build-arg NODE_IMAGE=docker.io/library/node:20-bookworm-slim, as test/docker.sh does).
#
# The image holds /hello-server, its dynamic loader and the C library files
# it names (DT_NEEDED: libc, libm, libpthread, libdl; for Node also libstdc++
# and libgcc_s), read from the ELF file by build.ts --rootfs. Nothing else is
# needed at run time: no /etc/passwd (the uid is numeric), no CA certificates
# (the server makes no TLS connection), no /tmp (it runs with --read-only and
# no tmpfs; test/docker.sh checks it); the container runtime mounts /proc,
# which Bun reads at start, and /dev.
# The Deno binary (RUNTIME=deno) is untested here: deno compile cannot fetch denort in CI.

ARG NODE_IMAGE=docker.io/library/node:22-bookworm-slim
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim

# The target architecture's C library. Nothing runs in this stage: the build
# stage only reads files from it, so an arm64 image builds on an amd64 host
# without emulation.
FROM --platform=$TARGETPLATFORM ${BASE_IMAGE} AS target-libc

# The build runs on the build host's own architecture and cross-compiles.
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS build
WORKDIR /src
# Dependencies first: this layer is reused until the lockfile changes.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
ARG RUNTIME=bun
ARG DENORT_BIN=
# Set by BuildKit and buildah (podman build) from --platform; empty under the legacy builder (= this host).
ARG TARGETARCH
ARG BUILDARCH
RUN --mount=type=bind,from=target-libc,target=/sysroot \
    case "$RUNTIME" in bun|node|deno) ;; *) echo "RUNTIME must be bun, node or deno, got '$RUNTIME'" >&2; exit 2 ;; esac \
 && target= \
 && if [ -n "$TARGETARCH" ] && [ "$TARGETARCH" != "$BUILDARCH" ]; then \
      case "$TARGETARCH" in \
        amd64) target=linux-x64 ;; \
        arm64) target=linux-arm64 ;; \
        *) echo "TARGETARCH must be amd64 or arm64, got '$TARGETARCH'" >&2; exit 2 ;; \
      esac; \
      [ "$RUNTIME" = bun ] || { echo "only RUNTIME=bun cross-compiles (to $TARGETARCH from $BUILDARCH)" >&2; exit 2; }; \
    fi \
 && node_modules/.bin/bun build.ts --runtime "$RUNTIME" ${target:+--target "$target"} --rootfs /rootfs --sysroot /sysroot

FROM scratch
COPY --from=build /rootfs/ /
# A fixed, unprivileged uid: the server needs no privilege (PORT 8000 is above 1024).
# Numeric, so Kubernetes' runAsNonRoot can check it and no /etc/passwd is needed.
USER 10001:10001
EXPOSE 8000
# The binary is PID 1: it handles SIGTERM itself (graceful shutdown within SHUTDOWN_TIMEOUT, 5 s by default).
STOPSIGNAL SIGTERM
# Exec form: there is no shell in the image.
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 CMD ["/hello-server", "--healthcheck"]
ENTRYPOINT ["/hello-server"]
