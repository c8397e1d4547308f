/**
 * One worker: bind, serve with the HTTP core, and shut down gracefully. The back end is picked
 * here, by runtime and --io (src/backends.ts), and the features are composed here
 * (src/respond/index.ts) and handed to the core, which knows none of them; everything above
 * this file is runtime-neutral.
 */
import type { Config } from "./config.ts";
import { grpcLog, refusalLog, webSocketLog } from "./access-log/hooks.ts";
import { openAccessLog } from "./access-log/output.ts";
import { accessLogResponder } from "./access-log/responder.ts";
import type { Responder } from "./contract/exchange.ts";
import type { TlsOptions } from "./contract/socket.ts";
import { loadBackend, resolveIo, type IoName } from "./backends.ts";
import { createHttpCore, type HttpCore } from "./http/server.ts";
import { raiseOpenFileLimitAtStart } from "./io/rlimit.ts";
import { connectionCounter, grpcCallCounter, webSocketCounters } from "./metrics/counting.ts";
import { FAULT_KINDS, WorkerCounters } from "./metrics/counters.ts";
import { readIdentity, servedByValue } from "./respond/echo-identity.ts";
import { composeResponder, createSteering } from "./respond/index.ts";
import { faultsOn } from "./respond/faults.ts";
import type { RunState } from "./respond/state.ts";
import { alpnProtocols, Http2Service } from "./protocols/h2-switch.ts";
import { protocolSwitch } from "./protocols/upgrade.ts";
import { detectRuntime } from "./runtime.ts";
import { warn } from "./spawner/log.ts";
import { readTlsFiles } from "./tls/files.ts";

/** How a shutdown ended: every connection drained, or cut at --shutdown-timeout. */
export type ShutdownResult = "done" | "forced";

/** A serving worker, as its process (src/spawner/worker-process.ts) holds it. */
export interface ServingWorker {
  /** The port actually bound (useful with --port 0). */
  readonly port: number;
  /** The back end that serves: the one --io resolved to, or syscall where io_uring was refused. */
  readonly io: IoName;
  /** The HTTPS port when --tls-port serves HTTPS beside plain HTTP on `port`; else null. */
  readonly tlsPort: number | null;
  /** This worker's counters (--metrics-port), or null when metrics are off. */
  readonly counters: WorkerCounters | null;
  /** Run-time state from the admin listener (src/respond/state.ts): the responder is composed again for it. */
  setState(state: RunState): void;
  /**
   * The one way a worker stops, in this order:
   *   1. for `delaySeconds` (--shutdown-delay) it still accepts and serves, but every answer
   *      closes its connection and the health path says 503;
   *   2. it stops accepting;
   *   3. it drains: answers in flight finish, idle connections close (after the core's grace);
   *   4. it closes the back end; connections still open `timeoutSeconds` (--shutdown-timeout)
   *      after step 2 began are cut first ("forced").
   * Idempotent: a later call returns the same promise, and one with a 0 delay ends a delay
   * still running (a SIGINT after a SIGTERM).
   */
  shutdown(delaySeconds: number, timeoutSeconds: number): Promise<ShutdownResult>;
}

/** `index`: the worker's slot in the supervisor (0 alone), which its fault seed derives from. */
export async function startWorker(config: Config, opts: { reusePort: boolean; index?: number }): Promise<ServingWorker> {
  const runtime = detectRuntime();
  // Soft RLIMIT_NOFILE up to the hard limit, before the first socket (io/rlimit.ts says why).
  await raiseOpenFileLimitAtStart(runtime);
  const io = resolveIo(config.io, runtime, config.host, config.tlsCert !== null);
  const serve = await loadBackend(io, runtime);
  // Echo, X-Served-By, metrics and steering: each chosen once here; all off = the prebuilt fast path.
  const identity = readIdentity(runtime, io);
  const counters = config.metricsPort !== null ? new WorkerCounters() : null;
  const steering = createSteering(config, opts.index ?? 0);
  // --access-log: every composition wrapped (never null then: the prebuilt fast path is not taken); off, nothing is added.
  // On Deno a stdout socket is written through Deno's own write (adapters/deno-stdout.ts says why).
  const stdoutLater = runtime === "deno" && config.accessLog !== null ? (await import("./adapters/deno-stdout.ts")).denoStdoutWrite : undefined;
  const accessLog = config.accessLog === null ? null : openAccessLog(config.accessLog, process.env, { stdoutLater });
  if (accessLog !== null && counters !== null) counters.accessLogDropped = () => accessLog.dropped;
  const faultTally = faultsOn(config) ? { kinds: FAULT_KINDS, counts: counters?.faults ?? steering.faults } : null;
  const configured = { status: config.status, bodyBytes: new TextEncoder().encode(config.body).length };
  const compose = (state: RunState): Responder | null => {
    const composed = composeResponder(steering, state, counters, identity);
    return accessLog === null ? composed : (accessLogResponder(composed, accessLog, configured, faultTally) as Responder);
  };
  const responder = compose("ready");
  const servedBy = config.servedBy ? servedByValue(identity) : null;
  // The protocols a socket may switch to read the core's clock and timers, which exist once the core does.
  let core: HttpCore | null = null;
  const coreView = {
    get now() {
      return core === null ? Date.now() : core.now;
    },
    defer: (due: Parameters<HttpCore["defer"]>[0]) => core!.defer(due),
  };
  const grpcCalls = counters === null ? null : grpcCallCounter(counters);
  const h2 =
    config.http2 === "off"
      ? null
      : new Http2Service(config, coreView, responder, servedBy, { identity, random: steering.random, grpcCalls, grpcLog: accessLog === null ? null : grpcLog(accessLog) });
  const wsCounters = counters === null ? null : webSocketCounters(counters);
  const wsLog = accessLog === null ? null : webSocketLog(accessLog);
  const protocols = { ...protocolSwitch(config, { clock: coreView, servedBy, wsCounters, wsLog, h2c: h2?.h2c() ?? null }), ...(h2?.switches() ?? {}) };
  core = createHttpCore(config, responder, {
    servedBy,
    counter: counters === null ? null : connectionCounter(counters),
    protocols,
    refused: accessLog === null ? null : refusalLog(accessLog),
  });
  const served = await serve(
    { host: config.host, port: config.port, backlog: config.backlog, reusePort: opts.reusePort, eager: config.eager, runtime, tls: tlsOptions(config), warn },
    core,
  );

  let stopping: Promise<ShutdownResult> | null = null;
  let endDelay: (() => void) | null = null;
  const stop = async (delaySeconds: number, timeoutSeconds: number): Promise<ShutdownResult> => {
    // HTTP/2's health path 503 and gRPC NOT_SERVING, at the delay's start or the drain's; the sessions
    // themselves hear it from the core (its beginShutdown, then its drain).
    h2?.beginShutdown();
    // From the signal on, every answer says Connection: close, also without a delay: the drain
    // below first awaits the back end's stop, and a deferred answer falling due during that await
    // went out keep-alive before (seen under load on Bun and Deno, whose listener stop takes turns).
    core.beginShutdown();
    if (delaySeconds > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delaySeconds * 1000);
        endDelay = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      endDelay = null;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const forced = new Promise<"forced">((resolve) => {
      timer = setTimeout(() => resolve("forced"), timeoutSeconds * 1000);
    });
    const drained = (async () => {
      // Awaited: on Deno an accept() in flight when the listener closed may still hand over a
      // connection, and the core must have it before it can say none is left.
      await served.stop();
      // The drain grace of idle connections counts from now, not from the core's last tick.
      await core.shutdown(Date.now());
      return "done" as const;
    })();
    try {
      const result = await Promise.race([drained, forced]);
      if (result === "forced") core.closeAll();
      served.close();
      return result;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    port: served.port,
    io: served.fallback ?? io,
    tlsPort: served.tlsPort,
    counters,
    setState(state) {
      const next = compose(state);
      core.setUnready(state === "unready");
      core.setResponder(next);
      h2?.setUnready(state === "unready");
      h2?.setResponder(next);
      h2?.setState(state);
    },
    shutdown(delaySeconds, timeoutSeconds) {
      if (stopping !== null) {
        if (delaySeconds === 0) endDelay?.();
        return stopping;
      }
      stopping = stop(delaySeconds, timeoutSeconds);
      return stopping;
    },
  };
}

/** The files are read here, in the worker, so the workers of a rolling restart (SIGHUP) serve the files as they are now. */
function tlsOptions(config: Config): TlsOptions | null {
  if (config.tlsCert === null || config.tlsKey === null) return null;
  const files = readTlsFiles({ tlsCert: config.tlsCert, tlsKey: config.tlsKey, tlsClientCa: config.tlsClientCa });
  return { ...files, port: config.tlsPort, handshakeTimeoutMs: config.headerTimeout * 1000, alpn: alpnProtocols(config.http2) };
}
