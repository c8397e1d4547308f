/**
 * How to run this program again as a worker: the same executable with the
 * same arguments, however it was started —
 *
 *   bun dist/hello-server.js --port 80           → [bun, dist/hello-server.js, --port, 80]
 *   deno run -A --unstable-net dist/hello-server.js → [deno, run, -A, --unstable-net, dist/hello-server.js]
 *   node --max-old-space-size=64 dist/hello-server.js → [node, --max-old-space-size=64, dist/hello-server.js]
 *   ./hello-server (bun --compile, Node SEA, deno compile) → [./hello-server]
 *
 * On Linux /proc/self/cmdline is the exact original argv, runtime flags and
 * Deno permission flags included (Deno has no API that gives those back),
 * and needs no guess about compiled binaries. Elsewhere we rebuild it from
 * each runtime's own view.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { nodeHasReusePort } from "../adapters/node.ts";
import { detectRuntime, runtimeVersion, type RuntimeName } from "../runtime.ts";

export interface Command {
  /** Absolute path of the executable (the runtime, or the compiled program). */
  readonly file: string;
  /** Everything after argv[0]. */
  readonly args: readonly string[];
}

/** What a process knows about how it was started. */
export interface ProcessFacts {
  readonly runtime: RuntimeName;
  /** `process.execPath`, or `Deno.execPath()`: the running executable, absolute. */
  readonly execPath: string;
  readonly execArgv: readonly string[];
  readonly argv: readonly string[];
  /** /proc/self/cmdline split at NUL, when readable. */
  readonly cmdline?: readonly string[];
  /** Deno only: `Deno.mainModule` and `Deno.args`. */
  readonly denoMainModule?: string;
  readonly denoArgs?: readonly string[];
}

/** Bun's compiled binaries run their entry from an embedded file system. */
const BUN_EMBEDDED = /^(\/\$bunfs\/|[A-Z]:[\\/]~BUN[\\/])/;

export function workerCommand(f: ProcessFacts): Command {
  if (f.cmdline !== undefined && f.cmdline.length > 0) {
    // argv[0] may be relative or a PATH name ("node"); execPath is the resolved file.
    return { file: f.execPath, args: f.cmdline.slice(1) };
  }
  if (f.runtime === "deno") {
    const main = f.denoMainModule ?? "";
    // `deno compile` binaries run an embedded module; Deno.args are all their arguments.
    if (!main.startsWith("file:") || /\/deno-compile-[^/]*\//.test(main)) return { file: f.execPath, args: [...(f.denoArgs ?? [])] };
    // Deno cannot read permission flags back (Deno.permissions answers only yes/no per
    // name), so without /proc the worker gets -A: the server's own needs (net, env, and
    // read and ffi for the syscall back end) are most of it anyway.
    return {
      file: f.execPath,
      args: ["run", "-A", "--unstable-net", fileURLToPath(main), ...(f.denoArgs ?? [])],
    };
  }
  const script = f.argv[1] ?? "";
  // Bun --compile: argv[1] is the embedded entry. Node SEA: argv[1] repeats argv[0]
  // (nodejs.org/api/single-executable-applications.html), and its execArgv is built in.
  if (BUN_EMBEDDED.test(script) || script === f.execPath) return { file: f.execPath, args: f.argv.slice(2) };
  return { file: f.execPath, args: [...f.execArgv, ...f.argv.slice(1)] };
}

/** Splits /proc/self/cmdline (NUL-terminated strings) into argv. */
export function parseCmdline(raw: string): string[] {
  const parts = raw.split("\0");
  if (parts.at(-1) === "") parts.pop();
  return parts;
}

/** This process's facts. */
export function currentProcessFacts(): ProcessFacts {
  const runtime = detectRuntime();
  const deno = (globalThis as unknown as { Deno?: { execPath(): string; mainModule: string; args: string[] } }).Deno;
  let cmdline: string[] | undefined;
  try {
    cmdline = parseCmdline(readFileSync("/proc/self/cmdline", "utf8"));
  } catch {
    cmdline = undefined;
  }
  return {
    runtime,
    execPath: runtime === "deno" && deno !== undefined ? deno.execPath() : process.execPath,
    execArgv: process.execArgv,
    argv: process.argv,
    ...(cmdline === undefined ? {} : { cmdline }),
    ...(deno === undefined ? {} : { denoMainModule: deno.mainModule, denoArgs: deno.args }),
  };
}

/**
 * How workers share the port. SO_REUSEPORT gives each worker its own
 * listening socket and lets the kernel spread connections by hash, with no
 * thundering herd and no process on the request path. Node's net gained
 * `reusePort` in 22.12 / 23.1; before that, node:cluster with the primary's
 * handle shared by all workers (SCHED_NONE), which also keeps the primary
 * off the request path (the default round-robin mode would pass every
 * connection through it).
 */
export type Sharing = "reuseport" | "cluster";

export function portSharing(runtime: RuntimeName, version: string, io: string = "socket"): Sharing {
  // The libc back ends (--io syscall, uring) set SO_REUSEPORT themselves, whatever Node's net can do.
  return runtime !== "node" || io !== "socket" || nodeHasReusePort(version) ? "reuseport" : "cluster";
}

export function currentPortSharing(io: string = "socket"): Sharing {
  const runtime = detectRuntime();
  return portSharing(runtime, runtimeVersion(runtime), io);
}
