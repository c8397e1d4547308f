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
import { hostPort } from "../contract/address.ts";

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

/** The text after `hello-server ` (the listening event). `tls`: null for plain HTTP; else `port` serves HTTPS (tlsPort null), or HTTPS is on tlsPort beside plain HTTP. */
export function listeningLine(host: string, port: number, runtime: string, details: string, tls: { readonly tlsPort: number | null } | null = null): string {
  const where = tls === null ? origin(host, port) : tls.tlsPort === null ? origin(host, port, "https") : `${origin(host, port)} and ${origin(host, tls.tlsPort, "https")}`;
  return `listening on ${where} (${addressNote(host)}${runtime}, ${details})`;
}

/** What the listening line says of TLS: null for plain HTTP. */
export function tlsListening(config: { readonly tlsCert: string | null; readonly tlsPort: number | null }, tlsPort: number | null | undefined): { tlsPort: number | null } | null {
  return config.tlsCert === null ? null : { tlsPort: config.tlsPort === null ? null : (tlsPort ?? config.tlsPort) };
}
