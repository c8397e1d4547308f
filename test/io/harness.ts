/**
 * Runs hello-server as a child process with `--io syscall` on Bun, Deno or Node (koffi),
 * and talks raw TCP to it. Shared by the io suites.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "..", "..");
const BIN = join(ROOT, "node_modules", ".bin");
const ENTRY = join(ROOT, "src", "main.ts");

/** The bundle `npm run build` makes: Node 20 cannot run src/*.ts itself. */
export const BUNDLE = join(ROOT, "dist", "hello-server.js");

export type FfiRuntime = "bun" | "deno" | "node";

/** Whether Node can load koffi (the optional dependency its syscall back end needs) from this checkout. */
export function koffiInstalled(): boolean {
  return spawnSync("node", ["-e", "require('koffi')"], { cwd: ROOT, stdio: "ignore" }).status === 0;
}

const koffi = koffiInstalled();
if (!koffi) console.warn("SKIPPED --io syscall on node in test/io: koffi is not installed (npm install; it is an optional dependency)");

export const FFI_RUNTIMES: readonly FfiRuntime[] = koffi ? ["bun", "deno", "node"] : ["bun", "deno"];

/** argv that runs the server on `runtime` with `flags`: src/main.ts on Bun and Deno, the bundle on Node. */
export function serverCommand(runtime: FfiRuntime, flags: readonly string[]): string[] {
  if (runtime === "bun") return [join(BIN, "bun"), ENTRY, ...flags];
  if (runtime === "deno") return [join(BIN, "deno"), "run", "-A", "--unstable-net", ENTRY, ...flags];
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` first (npm test builds it)`);
  return ["node", BUNDLE, ...flags];
}

export interface RunningServer {
  readonly port: number;
  /** PID of the process that serves (from the listening line). */
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<number | string>;
}

const LISTENING = /listening on http:\/\/[^\s]*:(\d+) .*pid (\d+)\)/;

/** Starts one server worker on a free port and waits for its listening line. */
export async function startServer(
  runtime: FfiRuntime,
  flags: readonly string[] = [],
  startMs = 15_000,
  /** A program (and its arguments) that runs the server, e.g. `prlimit --nofile=256:4096`. */
  prefix: readonly string[] = [],
): Promise<RunningServer> {
  const [cmd, ...args] = [...prefix, ...serverCommand(runtime, ["--io", "syscall", "--port", "0", "--host", "127.0.0.1", "--workers", "1", ...flags])];
  const child = spawn(cmd!, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  const exited = new Promise<number | string>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal ?? "?")));
  const ready = await new Promise<{ port: number; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${runtime} server did not start in ${startMs} ms: ${err}`)), startMs);
    child.stderr!.on("data", (chunk: Buffer) => {
      err += chunk.toString();
      const m = LISTENING.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), pid: Number(m[2]) });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${runtime} server exited (${code}) before listening: ${err}`));
    });
  });
  return {
    ...ready,
    child,
    exited,
    stderr: () => err,
    async stop(graceMs = 5000) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export interface Exchange {
  received: Uint8Array;
  /** The server ended the connection (FIN or reset). */
  closed: boolean;
}

/**
 * Sends `input` on a fresh connection and collects the reply until the
 * server closes or `done(received)` says enough arrived. Rejects after
 * `timeoutMs` so a hung server fails the test instead of hanging it.
 */
export function exchange(
  port: number,
  input: Uint8Array | string,
  done: (received: Uint8Array) => boolean = () => false,
  timeoutMs = 5000,
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, "127.0.0.1", () => socket.write(input));
    const received = () => new Uint8Array(Buffer.concat(chunks));
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ received: received(), closed });
    };
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete reply in ${timeoutMs} ms; got ${JSON.stringify(new TextDecoder().decode(received()))}`));
    }, timeoutMs);
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      if (done(received())) finish(false);
    });
    socket.on("end", () => finish(true));
    socket.on("error", () => finish(true));
  });
}

/** True if a strace binary is on PATH. */
export function hasStrace(): boolean {
  return spawnSync("strace", ["-V"], { stdio: "ignore" }).status === 0;
}
