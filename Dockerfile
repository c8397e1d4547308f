# hello-server image: a self-contained binary on debian:bookworm-slim.
#
#   docker build -t hello-server .                                  # Bun binary (default)
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

ARG NODE_IMAGE=docker.io/library/node:22-bookworm-slim
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Dependencies first: this layer is reused until the lockfile changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
ARG RUNTIME=bun
ARG DENORT_BIN=
RUN case "$RUNTIME" in \
      bun) out=hello-server ;; \
      node|deno) out="hello-server-$RUNTIME" ;; \
      *) echo "RUNTIME must be bun, node or deno, got '$RUNTIME'" >&2; exit 2 ;; \
    esac \
 && node_modules/.bin/bun build.ts --runtime "$RUNTIME" \
 && mkdir /out && cp "$out" /out/hello-server \
 && /out/hello-server --version

FROM ${BASE_IMAGE}
# A fixed, unprivileged uid: the server needs no privilege (PORT 8000 is above 1024).
RUN useradd --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin hello
COPY --from=build /out/hello-server /hello-server
USER 10001:10001
EXPOSE 8000
# The binary is PID 1: it handles SIGTERM itself (graceful shutdown within SHUTDOWN_TIMEOUT, 5 s by default).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 CMD ["/hello-server", "--healthcheck"]
ENTRYPOINT ["/hello-server"]
