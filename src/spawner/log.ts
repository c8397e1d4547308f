/**
 * Lifecycle lines on stderr. The formats are an interface: test/docker.sh
 * counts `hello-server: worker <pid> started` lines. Written with writeSync
 * so a line is out before a process.exit() that follows it (Bun and Deno
 * buffer process.stderr writes to pipes).
 */
import { writeSync } from "node:fs";

/** One raw line on stderr, unconditionally. */
export function writeLine(text: string): void {
  try {
    writeSync(2, text + "\n");
  } catch {
    // stderr closed: nobody to tell.
  }
}

/** `hello-server: <text>`, unconditionally (errors). */
export function say(text: string): void {
  writeLine(`hello-server: ${text}`);
}

/** A lifecycle line, unless --quiet. */
export function lifecycle(quiet: boolean, line: string): void {
  if (!quiet) say(line);
}

export const events = {
  workerStarted: (pid: number) => `worker ${pid} started`,
  workerExited: (pid: number, code: number | null, signal: string | null) =>
    `worker ${pid} exited with ${signal !== null ? `signal ${signal}` : `code ${code}`}`,
  shutdownBegun: (signal: string) => `shutdown begun (${signal})`,
  shutdownDone: () => `shutdown done`,
  shutdownForced: (seconds: number) => `shutdown forced after ${seconds} s`,
  restartBegun: () => `rolling restart begun`,
  restartDone: () => `rolling restart done`,
} as const;
