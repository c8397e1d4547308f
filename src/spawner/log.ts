/**
 * Lifecycle lines on stderr. The text formats are an interface: test/docker.sh
 * counts `hello-server: worker <pid> started` lines. With `--log-format json`
 * each line is one JSON object instead, for cluster log pipelines:
 * `{"time","level","event","pid","worker","message"}` (time in ISO 8601 UTC;
 * `pid` the process writing; `worker` the worker pid the event is about, or
 * null; `message` the text line without its `hello-server: ` prefix).
 * Written with writeSync so a line is out before a process.exit() that
 * follows it (Bun and Deno buffer process.stderr writes to pipes).
 */
import { writeSync } from "node:fs";

export type LogFormat = "text" | "json";
export type LogLevel = "info" | "warn" | "error";

/** One lifecycle event: a stable name for machines, a sentence for people. */
export interface LogEvent {
  readonly event: string;
  readonly message: string;
  readonly level?: LogLevel;
  /** The worker process this event is about. */
  readonly worker?: number;
}

/** Set once from the config (supervisor and workers parse the same flags, so they agree). */
let format: LogFormat = "text";

export function setLogFormat(f: LogFormat): void {
  format = f;
}

/** The line `e` is written as, in the current format (exported for tests). */
export function formatLine(e: LogEvent, now: Date = new Date(), pid: number = process.pid): string {
  if (format === "json") {
    return JSON.stringify({
      time: now.toISOString(),
      level: e.level ?? "info",
      event: e.event,
      pid,
      worker: e.worker ?? null,
      message: e.message,
    });
  }
  // The listening line has always read `hello-server listening on …`, without the colon.
  return e.event === "listening" ? `hello-server ${e.message}` : `hello-server: ${e.message}`;
}

function write(line: string): void {
  try {
    writeSync(2, line + "\n");
  } catch {
    // stderr closed: nobody to tell.
  }
}

/** A line unconditionally (errors, warnings). */
export function emit(e: LogEvent): void {
  write(formatLine(e));
}

/** `hello-server: <text>`, unconditionally: errors (callers begin `text` with `error: `). */
export function say(text: string): void {
  emit({ event: "error", level: "error", message: text });
}

/** A warning the operator should see even with --quiet (e.g. accepts paused on EMFILE). */
export function warn(text: string): void {
  emit({ event: "warning", level: "warn", message: text });
}

/** A lifecycle line, unless --quiet. */
export function lifecycle(quiet: boolean, e: LogEvent): void {
  if (!quiet) emit(e);
}

export const events = {
  /** The admin listener changed the run-time state (src/respond/state.ts). */
  stateChanged: (state: string): LogEvent => ({ event: "state_changed", message: `state ${state} (admin)` }),
  listening: (text: string): LogEvent => ({ event: "listening", message: text }),
  workerStarted: (pid: number): LogEvent => ({ event: "worker_started", worker: pid, message: `worker ${pid} started` }),
  workerExited: (pid: number, code: number | null, signal: string | null): LogEvent => ({
    event: "worker_exited",
    worker: pid,
    level: code === 0 ? "info" : "warn",
    message: `worker ${pid} exited with ${signal !== null ? `signal ${signal}` : `code ${code}`}`,
  }),
  portSharing: (text: string): LogEvent => ({ event: "port_sharing", message: text }),
  shutdownBegun: (signal: string): LogEvent => ({ event: "shutdown_begun", message: `shutdown begun (${signal})` }),
  shutdownDelay: (seconds: number): LogEvent => ({
    event: "shutdown_delay",
    message: `shutdown delay: serving ${seconds} s more (Connection: close, health path 503), then draining`,
  }),
  shutdownDone: (): LogEvent => ({ event: "shutdown_done", message: `shutdown done` }),
  shutdownForced: (seconds: number): LogEvent => ({ event: "shutdown_forced", level: "warn", message: `shutdown forced after ${seconds} s` }),
  restartBegun: (): LogEvent => ({ event: "restart_begun", message: `rolling restart begun` }),
  restartDone: (): LogEvent => ({ event: "restart_done", message: `rolling restart done` }),
  signalIgnored: (text: string): LogEvent => ({ event: "signal_ignored", message: text }),
  notice: (text: string): LogEvent => ({ event: "notice", level: "warn", message: text }),
} as const;
