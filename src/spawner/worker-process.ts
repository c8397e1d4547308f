/**
 * A process that serves: either the whole server (`--workers 1`, no
 * supervisor) or one worker started by the supervisor. Both stop the same
 * way on SIGTERM/SIGINT: stop accepting, finish responses in flight, close
 * idle connections, exit 0 — forced after `--shutdown-timeout`.
 */
import { writeSync } from "node:fs";
import type { Config } from "../config.ts";
import type { Worker } from "../worker.ts";
import { events, lifecycle, say, writeLine } from "./log.ts";
import { portHasListener } from "./spread.ts";
import { encodeMessage, EXIT, WORKER_PORT_ENV, type WorkerMessage } from "./protocol.ts";

/** A bound, serving server: what src/worker.ts's startWorker returns. */
export type RunningServer = Pick<Worker, "port" | "shutdown" | "forceClose">;

export type StartWorker = (config: Config, opts: { reusePort: boolean }) => Promise<RunningServer>;

/** Signals that stop the server gracefully. */
export const STOP_SIGNALS = ["SIGTERM", "SIGINT"] as const;

/** `http://HOST:PORT`, with IPv6 addresses in brackets (RFC 3986 §3.2.2). */
export function origin(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

export function listeningLine(host: string, port: number, runtime: string, details: string): string {
  return `hello-server listening on ${origin(host, port)} (${runtime}, ${details})`;
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

/** On the first stop signal (later ones are ignored: a Ctrl-C reaches the workers and the supervisor's SIGTERM follows): shut down and exit 0. */
function exitGracefullyOnSignals(server: RunningServer, config: Config, announce: boolean): (why: string) => void {
  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    if (announce) lifecycle(config.quiet, events.shutdownBegun(why));
    void shutdownWithin(server, config.shutdownTimeout).then((result) => {
      if (announce) lifecycle(config.quiet, result === "done" ? events.shutdownDone() : events.shutdownForced(config.shutdownTimeout));
      process.exit(EXIT.ok);
    });
  };
  for (const signal of STOP_SIGNALS) process.on(signal, () => stop(signal));
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
  if (!config.quiet) writeLine(listeningLine(config.host, server.port, runtime, `pid ${process.pid}`));
  // This process is the one worker: the line makes "worker started" lines count workers in every mode.
  lifecycle(config.quiet, events.workerStarted(process.pid));
  exitGracefullyOnSignals(server, config, true);
  // Without a handler SIGHUP kills the process; there are no workers to replace.
  process.on("SIGHUP", () => lifecycle(config.quiet, "SIGHUP ignored: --workers 1 has no workers to replace"));
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
  const cfg = assigned === undefined || assigned === "" ? config : { ...config, port: Number(assigned) };
  const server = await startOrExit(start, cfg, reusePort, (text) => report({ kind: "fatal", message: text }));
  report({ kind: "ready", port: server.port });
  const stop = exitGracefullyOnSignals(server, cfg, false);
  // The supervisor handles SIGHUP (rolling restart); a terminal hang-up reaches the whole group.
  process.on("SIGHUP", () => {});
  process.stdin.on("end", () => stop("supervisor gone"));
  process.stdin.on("error", () => stop("supervisor gone"));
  process.stdin.resume();
}
