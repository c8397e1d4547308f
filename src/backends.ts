/**
 * The back-end table: the single source of the `--io` names. The config's validation, `--help`,
 * src/worker.ts and the control listeners derive from it. Every back end is a module exporting
 * one `serve` (src/contract/socket.ts, Backend), imported lazily so a worker evaluates only its
 * own: a new back end is a folder and a row here.
 */
import type { Backend } from "./contract/socket.ts";
import type { RuntimeName } from "./contract/runtime.ts";
import { nodeAutoFallbackReason, syscallPreferred, syscallUnavailableReason } from "./io/available.ts";
import { uringUnavailableReason } from "./io/uring/available.ts";
import { warn } from "./spawner/log.ts";
import { WORKER_ENV } from "./spawner/protocol.ts";

/** The back ends, by the name `--io` gives them. */
export const IO_NAMES = ["socket", "syscall", "uring"] as const;
export type IoName = (typeof IO_NAMES)[number];
/** What `--io` accepts: a back end, or `auto` (see {@link resolveIo}). */
export const IO_CHOICES = ["auto", ...IO_NAMES] as const;
export type IoChoice = (typeof IO_CHOICES)[number];

export function isIoChoice(s: string): s is IoChoice {
  return (IO_CHOICES as readonly string[]).includes(s);
}

const BACKENDS: Record<Exclude<IoName, "socket"> | `socket-${RuntimeName}`, () => Promise<{ readonly serve: Backend }>> = {
  "socket-bun": () => import("./adapters/bun.ts"),
  "socket-deno": () => import("./adapters/deno.ts"),
  "socket-node": () => import("./adapters/node.ts"),
  syscall: () => import("./io/epoll/serve.ts"),
  uring: () => import("./io/uring/start.ts"),
};

/** The `serve` of back end `io` (the socket one: this runtime's). */
export async function loadBackend(io: IoName, runtime: RuntimeName): Promise<Backend> {
  return (await BACKENDS[io === "socket" ? (`socket-${runtime}` as const) : io]()).serve;
}

/**
 * The back end `--io` names, checked against what this runtime can do. `auto` picks the
 * syscall back end wherever it can run (Linux x86_64; Bun, Deno with FFI allowed, Node with
 * koffi; an address literal to bind): measured in the same runs it costs less CPU per request
 * than each runtime's socket adapter in every scenario (connection-close: 0.6x on Bun,
 * 0.26x on Deno, 0.24x on Node; README, "I/O back ends").
 */
export function resolveIo(io: IoChoice, runtime: RuntimeName, host: string, tls = false): IoName {
  if (io === "uring") {
    // Only what is known without a system call; a kernel that refuses io_uring falls back at start.
    const reason = uringUnavailableReason(runtime);
    if (reason !== null) throw new Error(reason);
    return "uring";
  }
  if (io === "syscall") {
    const reason = syscallUnavailableReason(runtime);
    if (reason !== null) throw new Error(reason);
    return "syscall";
  }
  // TLS is the runtime's own (config.ts refuses it with --io syscall|uring): auto means socket.
  if (tls) return "socket";
  if (io === "auto" && syscallPreferred(runtime, host)) return "syscall";
  const fallback = io === "auto" ? nodeAutoFallbackReason(runtime, host) : null;
  // Said once, by the process that prints the listening line (workers stay quiet).
  if (fallback !== null && !fallbackSaid && process.env[WORKER_ENV] !== "1") {
    fallbackSaid = true;
    warn(fallback);
  }
  return "socket";
}

let fallbackSaid = false;
