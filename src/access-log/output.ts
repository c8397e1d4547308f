/**
 * Where a worker's access-log lines go. A worker's own stdout is the supervisor's message pipe
 * (src/spawner/protocol.ts), so under a supervisor each worker gets the supervisor's stdout as
 * one more descriptor (its number in ACCESS_LOG_FD_ENV); alone (`--workers 1`) it writes to its
 * stdout. Every line of every worker then reaches the same output in writes of whole lines of at
 * most PIPE_BUF (writer.ts), and the last of them at the process's exit, so the lines of several workers never interleave.
 */
import { openSync } from "node:fs";
import type { RuntimeName } from "../contract/runtime.ts";
import type { AccessLogFormat } from "./format.ts";
import { AccessLog } from "./log.ts";
import { AccessLogWriter, fdSink, type AccessSink } from "./writer.ts";

/** The descriptor number a supervised worker writes its lines to; unset = stdout (no supervisor). */
export const ACCESS_LOG_FD_ENV = "_HELLO_ACCESS_LOG_FD";

/** A worker's access log, on the descriptor its supervisor gave it or on stdout. */
export function openAccessLog(format: AccessLogFormat, env: Record<string, string | undefined> = process.env, runtime: { stdoutLater?: AccessSink } = {}): AccessLog {
  const fd = env[ACCESS_LOG_FD_ENV] === undefined ? 1 : Number(env[ACCESS_LOG_FD_ENV]);
  // No descriptor to write to (supervisorAccessFd's -1): every line is dropped and counted, none throws.
  const sink = Number.isInteger(fd) && fd >= 0 ? fdSink(fd, fd === 1 ? runtime.stdoutLater : undefined) : NO_OUTPUT;
  const log = new AccessLog(format, new AccessLogWriter(sink), process.pid);
  // The worker exits (process.exit) as soon as its drain is done, before another turn: the lines of
  // the last turn are written then: without blocking on a pipe (a stopped reader cannot hold the exit);
  // on a socket, blocking, but only when no write is in flight (the reader was keeping up).
  process.on("exit", () => log.flushAtExit());
  return log;
}

const NO_OUTPUT: AccessSink = (_bytes, done) => queueMicrotask(() => done(new Error("no access-log descriptor"), 0));

/**
 * The supervisor's descriptor to hand its workers: its stdout. Deno's node:child_process places
 * a parent descriptor given in `stdio` after it has set up the child's own 0-2, so descriptor 1
 * arrives as the child's stdout pipe (Deno 2.9.6, measured): there it is reopened first through
 * /proc (append mode, so a file is appended to, never overwritten). Bun and Node pass 1 as it is.
 */
export function supervisorAccessFd(runtime: RuntimeName): number {
  if (runtime !== "deno") return 1;
  try {
    return openSync("/proc/self/fd/1", "a");
  } catch {
    // A socket as stdout (a journal stream; Bun's and Node's spawn "pipe" is a socketpair) cannot be
    // reopened through /proc (ENXIO): the workers' lines are dropped and counted, as the supervisor says at start.
    return -1;
  }
}
