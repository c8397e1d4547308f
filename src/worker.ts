/**
 * One worker: bind, serve with the HTTP core, and shut down gracefully.
 * The back end is picked here, by runtime and --io; everything above this
 * file is runtime-neutral.
 */
import type { Backend, TlsOptions } from "./contract/socket.ts";
import type { Config } from "./config.ts";
import { createHttpCore } from "./http/server.ts";
import type { Responder } from "./http/responder.ts";
import type { ResponseCache } from "./http/response.ts";
import { startCounting } from "./metrics/counters.ts";
import { watchResponder } from "./respond/echo-compose.ts";
import { readIdentity, servedByValue } from "./respond/echo-identity.ts";
import type { RunState } from "./respond/state.ts";
import { nodeAutoFallbackReason, syscallPreferred, syscallUnavailableReason } from "./io/available.ts";
import { raiseOpenFileLimitAtStart } from "./io/rlimit.ts";
import { uringUnavailableReason } from "./io/uring/available.ts";
import { WORKER_ENV } from "./spawner/protocol.ts";
import { detectRuntime, type RuntimeName } from "./runtime.ts";
import { warn } from "./spawner/log.ts";
import { readTlsFiles } from "./tls/files.ts";

export interface Worker {
  /** The port actually bound (useful with --port 0). */
  readonly port: number;
  /** The back end that serves: the one --io resolved to, or syscall where io_uring was refused. */
  readonly io: "socket" | "syscall" | "uring";
  /** The HTTPS port when --tls-port serves HTTPS beside plain HTTP on `port`; else null. */
  readonly tlsPort: number | null;
  /** Shutdown has begun, serving goes on (--shutdown-delay): answers close their connections, the health path says 503. */
  beginShutdown(): void;
  /** Stop accepting, finish answers in flight, close idle connections; resolves when none is left. */
  shutdown(): Promise<void>;
  /** Cut every connection now (the shutdown timeout passed). */
  forceClose(): void;
  /** Run-time state from the admin listener (src/respond/state.ts). */
  setState(state: RunState): void;
}

type Io = ReturnType<typeof resolveIo>;

/**
 * Every back end, each a module exporting one `serve` (src/adapters/types.ts, Backend),
 * imported lazily so a worker evaluates only its own. A new back end is a folder and a row.
 */
const BACKENDS: Record<Exclude<Io, "socket"> | `socket-${RuntimeName}`, () => Promise<{ readonly serve: Backend }>> = {
  "socket-bun": () => import("./adapters/bun.ts"),
  "socket-deno": () => import("./adapters/deno.ts"),
  "socket-node": () => import("./adapters/node.ts"),
  syscall: () => import("./io/epoll/serve.ts"),
  uring: () => import("./io/uring/start.ts"),
};

/** The `serve` of back end `io` (the socket one: this runtime's). */
export async function loadBackend(io: Io, runtime: RuntimeName): Promise<Backend> {
  return (await BACKENDS[io === "socket" ? (`socket-${runtime}` as const) : io]()).serve;
}

/**
 * The back end `--io` names, checked against what this runtime can do. `auto` picks the
 * syscall back end wherever it can run (Linux x86_64; Bun, Deno with FFI allowed, Node with
 * koffi; an address literal to bind): measured in the same runs it costs less CPU per request
 * than each runtime's socket adapter in every scenario (connection-close: 0.6x on Bun,
 * 0.26x on Deno, 0.24x on Node; README, "I/O back ends").
 */
export function resolveIo(io: Config["io"], runtime: RuntimeName, host: string, tls = false): "socket" | "syscall" | "uring" {
  if (io === "uring") {
    // Only what is known without a system call; a kernel that refuses io_uring falls back at start.
    const reason = uringUnavailableReason(runtime);
    if (reason !== null) throw new Error(reason);
    return "uring";
  }
  if (io === "syscall") {
    const reason = syscallUnavailableReason(runtime);
    if (reason !== null) throw new Error(reason);
    return "syscall";
  }
  // TLS is the runtime's own (config.ts refuses it with --io syscall|uring): auto means socket.
  if (tls) return "socket";
  if (io === "auto" && syscallPreferred(runtime, host)) return "syscall";
  const fallback = io === "auto" ? nodeAutoFallbackReason(runtime, host) : null;
  // Said once, by the process that prints the listening line (workers stay quiet).
  if (fallback !== null && !fallbackSaid && process.env[WORKER_ENV] !== "1") {
    fallbackSaid = true;
    warn(fallback);
  }
  return "socket";
}

let fallbackSaid = false;

export async function startWorker(config: Config, opts: { reusePort: boolean }): Promise<Worker> {
  const runtime = detectRuntime();
  // Soft RLIMIT_NOFILE up to the hard limit, before the first socket (io/rlimit.ts says why).
  await raiseOpenFileLimitAtStart(runtime);
  const io = resolveIo(config.io, runtime, config.host, config.tlsCert !== null);
  const serve = await loadBackend(io, runtime);
  // Issue 18 (echo, X-Served-By, metrics): each chosen once here; all off = the prebuilt fast path.
  const identity = readIdentity(runtime, io);
  const counters = config.metricsPort !== null ? startCounting() : null;
  const servedBy = config.servedBy ? servedByValue(identity) : null;
  // Echo first, then the steer responders, counting around them all; no wrap when both are off.
  const wrap =
    config.echoPath !== null || counters !== null
      ? (composed: Responder | null, state: string, responses: ResponseCache) => watchResponder(config, responses, identity, counters, composed, state)
      : undefined;
  const core = createHttpCore(config, Date.now(), { servedBy, counters, ...(wrap === undefined ? {} : { wrap }) });
  const served = await serve(
    { host: config.host, port: config.port, backlog: config.backlog, reusePort: opts.reusePort, eager: config.eager, runtime, tls: tlsOptions(config), warn },
    core,
  );
  let stopping: Promise<void> | null = null;
  return {
    port: served.port,
    io: served.fallback ?? io,
    tlsPort: served.tlsPort,
    beginShutdown() {
      core.beginShutdown();
    },
    shutdown() {
      stopping ??= (async () => {
        // Awaited: on Deno an accept() in flight when the listener closed may still hand over a
        // connection, and the core must have it before it can say none is left.
        await served.stop();
        // The drain grace of idle connections counts from now, not from the core's last tick.
        await core.shutdown(Date.now());
        served.close();
      })();
      return stopping;
    },
    forceClose() {
      core.closeAll();
      served.close();
    },
    setState(state) {
      core.setState(state);
    },
  };
}

/** The files are read here, in the worker, so the workers of a rolling restart (SIGHUP) serve the files as they are now. */
function tlsOptions(config: Config): TlsOptions | null {
  if (config.tlsCert === null || config.tlsKey === null) return null;
  const files = readTlsFiles({ tlsCert: config.tlsCert, tlsKey: config.tlsKey, tlsClientCa: config.tlsClientCa });
  return { ...files, port: config.tlsPort, handshakeTimeoutMs: config.headerTimeout * 1000 };
}
