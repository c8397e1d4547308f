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
import { writeSync } from "node:fs";
import type { Config } from "../config.ts";
import type { ServingWorker } from "../worker.ts";
import { events, lifecycle, listeningLine, origin, say, tlsListening, warn, withServedIo } from "./log.ts";
import { reportCounters, serveOwnMetrics } from "../metrics/serve.ts";
import { portHasListener } from "./spread.ts";
import { encodeMessage, EXIT, SupervisorMessageReader, WORKER_INDEX_ENV, WORKER_PORT_ENV, WORKER_STATE_ENV, type WorkerMessage } from "./protocol.ts";
import { detectRuntime } from "../runtime.ts";
import { isRunState, type RunState } from "../respond/state.ts";

/** A bound, serving server: what src/worker.ts's startWorker returns (all but `port` and `shutdown` optional: a stand-in may leave them out). */
export type RunningServer = Pick<ServingWorker, "port" | "shutdown"> & Partial<Pick<ServingWorker, "setState" | "io" | "tlsPort" | "counters">>;

/** `index`: the worker's slot under a supervisor (0 alone). */
export type StartWorker = (config: Config, opts: { reusePort: boolean; index?: number }) => Promise<RunningServer>;

/** Signals that stop the server gracefully. */
export const STOP_SIGNALS = ["SIGTERM", "SIGINT"] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** Seconds a stop signal waits before the drain: only SIGTERM honours --shutdown-delay. */
export function delayFor(signal: StopSignal, config: Pick<Config, "shutdownDelay">): number {
  return signal === "SIGTERM" ? config.shutdownDelay : 0;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * On the first stop signal: shut the server down (its one call: the delay for SIGTERM, then
 * stop accepting, drain, close), exit 0. Later signals are ignored (a Ctrl-C reaches the
 * workers and the supervisor's SIGINT follows), except that a SIGINT during the delay ends it.
 */
function exitGracefullyOnSignals(server: RunningServer, config: Config, announce: boolean): (why: string, delaySeconds: number) => void {
  let stopping = false;
  const stop = (why: string, delaySeconds: number): void => {
    if (stopping) {
      // The server's shutdown is idempotent: a second call with no delay ends the delay.
      if (delaySeconds === 0) void server.shutdown(0, config.shutdownTimeout);
      return;
    }
    stopping = true;
    if (announce) lifecycle(config.quiet, events.shutdownBegun(why));
    if (announce && delaySeconds > 0) lifecycle(config.quiet, events.shutdownDelay(delaySeconds));
    void server.shutdown(delaySeconds, config.shutdownTimeout).then((result) => {
      if (announce) lifecycle(config.quiet, result === "done" ? events.shutdownDone() : events.shutdownForced(config.shutdownTimeout));
      process.exit(EXIT.ok);
    });
  };
  for (const signal of STOP_SIGNALS) process.on(signal, () => stop(signal, delayFor(signal, config)));
  return stop;
}

async function startOrExit(
  start: StartWorker,
  config: Config,
  reusePort: boolean,
  index: number,
  onFailure: (text: string) => void,
): Promise<RunningServer> {
  try {
    return await start(config, { reusePort, index });
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
  const server = await startOrExit(start, config, false, 0, (text) => say(`error: ${text}`));
  // No supervisor: this process owns the run-time state and serves the admin listener itself.
  if (config.adminPort !== null) await serveOwnAdmin(config, server);
  // Before the listening line, so whoever reads it can scrape at once.
  if (config.metricsPort !== null) {
    await serveOwnMetrics(config, server.counters ?? null, warn).catch((e: unknown) => {
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
  const cfg = assigned === undefined || assigned === "" ? config : { ...config, port: Number(assigned) };
  // Worker i draws its faults from workerSeed(--seed, i) (src/respond/random.ts): reproducible, yet not in lockstep.
  const server = await startOrExit(start, cfg, reusePort, index, (text) => report({ kind: "fatal", message: text }));
  // Before the back end's first turn (a macrotask): no request is served in the wrong state.
  const initial = process.env[WORKER_STATE_ENV];
  if (isRunState(initial) && initial !== "ready") server.setState?.(initial);
  const stop = exitGracefullyOnSignals(server, cfg, false);
  report({ kind: "ready", port: server.port, ...(server.io === undefined ? {} : { io: server.io }) });
  const counters = server.counters ?? null;
  if (counters !== null) reportCounters(counters, report);
  // The supervisor handles SIGHUP (rolling restart); a terminal hang-up reaches the whole group.
  process.on("SIGHUP", () => {});
  process.stdin.on("end", () => stop("supervisor gone", 0));
  process.stdin.on("error", () => stop("supervisor gone", 0));
  // The supervisor's lines: the run-time state the admin listener set, and a scrape's request for the counters now.
  const fromSupervisor = new SupervisorMessageReader();
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk: string) => {
    for (const m of fromSupervisor.push(chunk)) {
      if (m.kind === "metrics") {
        if (counters !== null) report({ kind: "metrics", counters: counters.snapshot(), seq: m.seq });
        continue;
      }
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
