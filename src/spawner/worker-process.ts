/**
 * A process that serves: either the whole server (`--workers 1`, no
 * supervisor) or one worker started by the supervisor. Both stop the same
 * way on SIGTERM/SIGINT: stop accepting, finish responses in flight, close
 * idle connections, exit 0 — forced after `--shutdown-timeout`.
 *
 * SIGTERM first waits `--shutdown-delay` seconds, still accepting and
 * serving (answers close their connections, the health path says 503):
 * Kubernetes sends SIGTERM while Services and load balancers may still route
 * new connections to the pod for a few seconds (kubernetes/kubernetes#20473).
 * The delay lives here, in the serving process, not in the supervisor: a
 * SIGTERM sent to the whole group (systemd's KillMode=control-group,
 * `kill 0`) then behaves the same as one forwarded by the supervisor.
 * SIGINT drains at once, without the delay (Ctrl-C; also the supervisor's
 * signal to a worker it replaces in a rolling restart, where the replacement
 * already listens and waiting would only slow the restart).
 */
import { hostPort } from "../contract/address.ts";
import { writeSync } from "node:fs";
import type { Config } from "../config.ts";
import type { Worker } from "../worker.ts";
import { events, lifecycle, say, warn } from "./log.ts";
import { reportCounters, serveOwnMetrics } from "../metrics/serve.ts";
import { portHasListener } from "./spread.ts";
import { encodeMessage, EXIT, SupervisorMessageReader, WORKER_INDEX_ENV, WORKER_PORT_ENV, WORKER_STATE_ENV, type WorkerMessage } from "./protocol.ts";
import { detectRuntime } from "../runtime.ts";
import { isRunState, type RunState } from "../respond/state.ts";

/** A bound, serving server: what src/worker.ts's startWorker returns (`setState` and `io` optional: test stand-ins leave them out). */
export type RunningServer = Pick<Worker, "port" | "beginShutdown" | "shutdown" | "forceClose"> & Partial<Pick<Worker, "setState" | "io" | "tlsPort">>;

export type StartWorker = (config: Config, opts: { reusePort: boolean }) => Promise<RunningServer>;

/** Signals that stop the server gracefully. */
export const STOP_SIGNALS = ["SIGTERM", "SIGINT"] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** Seconds a stop signal waits before the drain: only SIGTERM honours --shutdown-delay. */
export function delayFor(signal: StopSignal, config: Pick<Config, "shutdownDelay">): number {
  return signal === "SIGTERM" ? config.shutdownDelay : 0;
}

/** `http://HOST:PORT`, with IPv6 addresses in brackets (RFC 3986 §3.2.2). */
export function origin(host: string, port: number, scheme: "http" | "https" = "http"): string {
  return `${scheme}://${hostPort(host, port)}`;
}

/** What a bind to `host` reaches: `::` is one socket for IPv6 and IPv4 (IPV6_V6ONLY off). */
export function addressNote(host: string): string {
  if (host === "::") return "dual-stack, ";
  if (host === "0.0.0.0") return "IPv4 only, ";
  return "";
}

/**
 * `runtime` ("bun 1.4.5, io uring", as resolved before any worker started) naming the back end
 * that a worker reported serving, where it differs: --io uring falls back to syscall in the
 * worker, where the kernel refuses io_uring, and the listening line must say what serves.
 */
export function withServedIo(runtime: string, io: string | undefined): string {
  return io === undefined ? runtime : runtime.replace(/, io \w+$/, `, io ${io}`);
}

/** The text after `hello-server ` (see log.ts: the listening event). `tlsPort`: `port` serves HTTPS (undefined), or HTTPS is on that port beside plain HTTP. */
export function listeningLine(host: string, port: number, runtime: string, details: string, tls: { readonly tlsPort: number | null } | null = null): string {
  const where = tls === null ? origin(host, port) : tls.tlsPort === null ? origin(host, port, "https") : `${origin(host, port)} and ${origin(host, tls.tlsPort, "https")}`;
  return `listening on ${where} (${addressNote(host)}${runtime}, ${details})`;
}

/** What the listening line says of TLS: null for plain HTTP. */
export function tlsListening(config: Pick<Config, "tlsCert" | "tlsPort">, tlsPort: number | null | undefined): { tlsPort: number | null } | null {
  return config.tlsCert === null ? null : { tlsPort: config.tlsPort === null ? null : (tlsPort ?? config.tlsPort) };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Shuts `server` down gracefully; after `seconds`, cuts the connections left. */
export async function shutdownWithin(server: RunningServer, seconds: number): Promise<"done" | "forced"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const forced = new Promise<"forced">((resolve) => {
    timer = setTimeout(() => resolve("forced"), seconds * 1000);
  });
  try {
    const result = await Promise.race([server.shutdown().then(() => "done" as const), forced]);
    if (result === "forced") server.forceClose();
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * On the first stop signal: wait out the delay (SIGTERM only), shut down, exit 0. Later
 * signals are ignored (a Ctrl-C reaches the workers and the supervisor's SIGINT follows),
 * except that a SIGINT during the delay ends the delay.
 */
function exitGracefullyOnSignals(server: RunningServer, config: Config, announce: boolean): (why: string, delaySeconds: number) => void {
  let stopping = false;
  let endDelay: (() => void) | null = null;
  const stop = (why: string, delaySeconds: number): void => {
    if (stopping) {
      if (delaySeconds === 0) endDelay?.();
      return;
    }
    stopping = true;
    if (announce) lifecycle(config.quiet, events.shutdownBegun(why));
    void (async () => {
      if (delaySeconds > 0) {
        server.beginShutdown();
        if (announce) lifecycle(config.quiet, events.shutdownDelay(delaySeconds));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delaySeconds * 1000);
          endDelay = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        endDelay = null;
      }
      const result = await shutdownWithin(server, config.shutdownTimeout);
      if (announce) lifecycle(config.quiet, result === "done" ? events.shutdownDone() : events.shutdownForced(config.shutdownTimeout));
      process.exit(EXIT.ok);
    })();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, () => stop(signal, delayFor(signal, config)));
  return stop;
}

async function startOrExit(
  start: StartWorker,
  config: Config,
  reusePort: boolean,
  onFailure: (text: string) => void,
): Promise<RunningServer> {
  try {
    return await start(config, { reusePort });
  } catch (e) {
    let why = message(e);
    // Bun says only "Failed to listen at HOST": name the likely cause when /proc confirms it.
    if (!/EADDRINUSE|in use/i.test(why) && config.port !== 0 && portHasListener(config.port)) {
      why += ` (port ${config.port} is already in use)`;
    }
    onFailure(`cannot listen on ${origin(config.host, config.port)}: ${why}`);
    process.exit(EXIT.cannotListen);
  }
}

/** `--workers 1`: the server in this process, no supervisor. */
export async function runSingle(config: Config, start: StartWorker, runtime: string): Promise<void> {
  const server = await startOrExit(start, config, false, (text) => say(`error: ${text}`));
  // No supervisor: this process owns the run-time state and serves the admin listener itself.
  if (config.adminPort !== null) await serveOwnAdmin(config, server);
  // Before the listening line, so whoever reads it can scrape at once.
  if (config.metricsPort !== null) {
    await serveOwnMetrics(config, warn).catch((e: unknown) => {
      say(`error: cannot listen for metrics on ${origin(config.metricsHost ?? config.host, config.metricsPort!)}: ${message(e)}`);
      process.exit(EXIT.cannotListen);
    });
  }
  // Handlers first: whoever reads the listening line may signal at once.
  exitGracefullyOnSignals(server, config, true);
  lifecycle(config.quiet, events.listening(listeningLine(config.host, server.port, withServedIo(runtime, server.io), `pid ${process.pid}`, tlsListening(config, server.tlsPort))));
  // This process is the one worker: the line makes "worker started" lines count workers in every mode.
  lifecycle(config.quiet, events.workerStarted(process.pid));
  // Without a handler SIGHUP kills the process; there are no workers to replace.
  process.on("SIGHUP", () => lifecycle(config.quiet, events.signalIgnored("SIGHUP ignored: --workers 1 has no workers to replace")));
}

function report(m: WorkerMessage): void {
  writeSync(1, encodeMessage(m));
}

/**
 * A worker under a supervisor: binds (sharing the port as the supervisor
 * says), reports on stdout, and stops on a signal or when the supervisor
 * is gone (its end of our stdin pipe closes: Linux would otherwise leave
 * orphaned workers holding the port after a `kill -9` of the supervisor).
 */
export async function runWorker(config: Config, start: StartWorker, reusePort: boolean): Promise<void> {
  const assigned = process.env[WORKER_PORT_ENV];
  const index = Number(process.env[WORKER_INDEX_ENV] ?? 0) || 0;
  // Worker i draws its faults from --seed + i (src/respond/random.ts): reproducible, yet not in lockstep.
  const seed = config.seed === null ? null : (config.seed + index) >>> 0;
  const cfg = { ...config, seed, ...(assigned === undefined || assigned === "" ? {} : { port: Number(assigned) }) };
  const server = await startOrExit(start, cfg, reusePort, (text) => report({ kind: "fatal", message: text }));
  // Before the back end's first turn (a macrotask): no request is served in the wrong state.
  const initial = process.env[WORKER_STATE_ENV];
  if (isRunState(initial) && initial !== "ready") server.setState?.(initial);
  const stop = exitGracefullyOnSignals(server, cfg, false);
  report({ kind: "ready", port: server.port, ...(server.io === undefined ? {} : { io: server.io }) });
  if (config.metricsPort !== null) reportCounters(report);
  // The supervisor handles SIGHUP (rolling restart); a terminal hang-up reaches the whole group.
  process.on("SIGHUP", () => {});
  process.stdin.on("end", () => stop("supervisor gone", 0));
  process.stdin.on("error", () => stop("supervisor gone", 0));
  // The supervisor's lines: the run-time state the admin listener set.
  const fromSupervisor = new SupervisorMessageReader();
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk: string) => {
    for (const m of fromSupervisor.push(chunk)) {
      server.setState?.(m.state);
      report({ kind: "state", state: m.state });
    }
  });
  process.stdin.resume();
}

/** `--workers 1` with --admin-port: the admin listener in this process, the state in its core. */
async function serveOwnAdmin(config: Config, server: RunningServer): Promise<void> {
  const { startAdminListener } = await import("../admin/listener.ts");
  let state: RunState = "ready";
  const owner = {
    get: () => state,
    set(next: RunState) {
      state = next;
      server.setState?.(next);
      lifecycle(config.quiet, events.stateChanged(next));
    },
  };
  await startAdminListener(config, owner, { runtime: detectRuntime(), warn }).catch((e: unknown) => {
    say(`error: cannot listen for admin on ${origin(config.adminHost, config.adminPort!)}: ${message(e)}`);
    process.exit(EXIT.cannotListen);
  });
}
