/**
 * Runs the real server bundle (dist/hello-server.js, made by `npm run build`)
 * under a runtime as a child process on a free port, the way srvx's suite
 * runs Bun and Deno. Every server started here is stopped by `stopAll`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "..", "..");
export const BUNDLE = join(ROOT, "dist", "hello-server.js");

export type RuntimeName = "bun" | "deno" | "node";

export interface Runtime {
  /** Label of this entry in test names and TEST_RUNTIMES. */
  label: string;
  name: RuntimeName;
  /** Program and arguments that run a script; the bundle path and flags follow. */
  command: readonly string[];
  /** Server flags this entry always passes (e.g. a back end). */
  args: readonly string[];
  /** `command` is the compiled server itself: no bundle path follows it. */
  binary?: boolean;
}

const BUN = join(ROOT, "node_modules", ".bin", "bun");
const DENO = [join(ROOT, "node_modules", ".bin", "deno"), "run", "-A", "--unstable-net"];

const KOFFI = existsSync(join(ROOT, "node_modules", "koffi", "package.json"));
if (!KOFFI) console.warn("SKIPPED runtime node-syscall: koffi (optional dependency) is not installed");

/** bun and deno pinned in node_modules; node from PATH (the machine's Node, 20 or newer). */
export const RUNTIMES: readonly Runtime[] = [
  { label: "bun", name: "bun", command: [BUN], args: ["--io", "socket"] },
  { label: "deno", name: "deno", command: DENO, args: ["--io", "socket"] },
  { label: "node", name: "node", command: ["node"], args: ["--io", "socket"] },
  // The direct-system-call back end (Linux; Bun and Deno FFI) serves the same core: same suite.
  { label: "bun-syscall", name: "bun", command: [BUN], args: ["--io", "syscall"] },
  { label: "deno-syscall", name: "deno", command: DENO, args: ["--io", "syscall"] },
  // The io_uring back end (Linux 6.0+; Bun and Deno FFI): same suite again.
  { label: "bun-uring", name: "bun", command: [BUN], args: ["--io", "uring"] },
  { label: "deno-uring", name: "deno", command: DENO, args: ["--io", "uring"] },
  { label: "node-uring", name: "node", command: ["node"], args: ["--io", "uring"] },
  // Node through koffi, an optional dependency: left out (visibly, below) where it is not installed.
  ...(KOFFI ? [{ label: "node-syscall", name: "node" as const, command: ["node"], args: ["--io", "syscall"] }] : []),
  // The single executable (`bun build --compile`, made by `npm run build`) must pass the same suite.
  { label: "binary", name: "bun", command: [join(ROOT, "hello-server")], args: ["--io", "socket"], binary: true },
];

/** What follows the command: the bundle, unless the command is the compiled server. */
function script(runtime: Runtime): string[] {
  return runtime.binary === true ? [] : [BUNDLE];
}

/** RUNTIMES, narrowed by TEST_RUNTIMES=bun,node (labels) when set, for a quick local loop. */
export function selectedRuntimes(): readonly Runtime[] {
  const only = process.env.TEST_RUNTIMES?.split(",").map((s) => s.trim()).filter(Boolean);
  return only === undefined || only.length === 0 ? RUNTIMES : RUNTIMES.filter((r) => only.includes(r.label));
}

export function assertBundle(): void {
  const binary = RUNTIMES.find((r) => r.binary === true)!.command[0]!;
  if (selectedRuntimes().some((r) => r.binary === true) && !existsSync(binary)) {
    throw new Error(`${binary} is missing: run \`npm run build\` first (npm test builds it before running the tests)`);
  }
  if (!existsSync(BUNDLE)) {
    throw new Error(`${BUNDLE} is missing: run \`npm run build\` first (npm test builds it before running the tests)`);
  }
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningServer {
  runtime: RuntimeName;
  port: number;
  /** Where a client reaches it: the listening line's address, a wildcard (`::`, `0.0.0.0`) as 127.0.0.1. */
  host: string;
  /** PID of the serving process (the child itself: servers here run with --workers 1 unless told otherwise). */
  pid: number;
  proc: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves when the process exits. */
  exited: Promise<Exit>;
  /** Sends `signal` (default SIGTERM) and waits for the exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<Exit>;
}

const running = new Set<RunningServer>();
const LISTENING = /listening on https?:\/\/(\[[^\]]+\]|[^\s:]+):(\d+)/;

export interface StartOptions {
  env?: Record<string, string>;
  /** How long the server may take to print its listening line. */
  startTimeoutMs?: number;
}

/**
 * Starts the bundle under `runtime` with `args`, after `--port 0 --host
 * 127.0.0.1 --workers 1` (later flags win, so `args` may override them).
 * Resolves once the port accepts connections.
 */
export async function startServer(runtime: Runtime, args: readonly string[] = [], options: StartOptions = {}): Promise<RunningServer> {
  assertBundle();
  const [program, ...pre] = runtime.command;
  const proc = spawn(program!, [...pre, ...script(runtime), "--port", "0", "--host", "127.0.0.1", "--workers", "1", ...runtime.args, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  proc.stdout!.resume();
  const exited = new Promise<Exit>((resolveExit) => proc.once("exit", (code, signal) => resolveExit({ code, signal })));
  let host = "127.0.0.1";
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`${runtime.name}: no listening line within ${options.startTimeoutMs ?? 15000} ms; stderr: ${stderr}`));
    }, options.startTimeoutMs ?? 15000);
    proc.stderr!.setEncoding("utf8");
    proc.stderr!.on("data", (chunk: string) => {
      stderr += chunk;
      const m = LISTENING.exec(stderr);
      if (m !== null) {
        clearTimeout(timer);
        const bound = m[1]!.replace(/^\[|\]$/g, "");
        if (bound !== "::" && bound !== "0.0.0.0") host = bound;
        resolvePort(Number(m[2]));
      }
    });
    void exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`${runtime.name}: server exited (${e.code ?? e.signal}) before listening; stderr: ${stderr}`));
    });
  });
  await waitForPort(port, 5000, host);
  const server: RunningServer = {
    runtime: runtime.name,
    port,
    host,
    pid: proc.pid!,
    proc,
    stderr: () => stderr,
    exited,
    async stop(signal = "SIGTERM", graceMs = 5000) {
      running.delete(server);
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill(signal);
        const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
        const exit = await exited;
        clearTimeout(timer);
        return exit;
      }
      return exited;
    },
  };
  running.add(server);
  return server;
}

/** Serves `fn` a fresh server started with `args`, stopped afterwards whatever `fn` did (SIGKILL: for tests that do not look at how it exits). */
export async function withServer<T>(runtime: Runtime, args: string[], fn: (s: RunningServer) => Promise<T>): Promise<T> {
  const s = await startServer(runtime, args);
  try {
    return await fn(s);
  } finally {
    await s.stop("SIGKILL");
  }
}

/** Stops every server this module started and has not stopped yet. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop("SIGTERM", 2000)));
}

/** Polls until host:port (default 127.0.0.1) accepts a TCP connection (bounded). */
export async function waitForPort(port: number, timeoutMs = 5000, host = "127.0.0.1"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const s = connect({ port, host });
      s.once("connect", () => {
        s.destroy();
        res(true);
      });
      s.once("error", () => res(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} did not accept connections within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs the bundle to completion (for --help, --version, bad flags). */
export async function runCli(runtime: Runtime, args: readonly string[], timeoutMs = 15000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  assertBundle();
  const [program, ...pre] = runtime.command;
  const proc = spawn(program!, [...pre, ...script(runtime), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  proc.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const code = await new Promise<number | null>((res) => proc.once("close", (c) => res(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Resident memory of a process in KiB, from /proc/PID/status VmRSS (Linux). */
export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (m === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}
