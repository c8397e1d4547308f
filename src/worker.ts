/**
 * One worker: bind, serve with the HTTP core, and shut down gracefully.
 * The back end is picked here, by runtime and --io; everything above this
 * file is runtime-neutral.
 */
import type { Adapter, Listener } from "./adapters/types.ts";
import type { Config } from "./config.ts";
import { createHttpCore } from "./http/server.ts";
import { nodeAutoFallbackReason, syscallPreferred, syscallUnavailableReason } from "./io/available.ts";
import { raiseOpenFileLimitAtStart } from "./io/rlimit.ts";
import { uringUnavailableReason } from "./io/uring/available.ts";
import { WORKER_ENV } from "./spawner/protocol.ts";
import { detectRuntime, type RuntimeName } from "./runtime.ts";
import { warn } from "./spawner/log.ts";

export interface Worker {
  /** The port actually bound (useful with --port 0). */
  readonly port: number;
  /** Shutdown has begun, serving goes on (--shutdown-delay): answers close their connections, the health path says 503. */
  beginShutdown(): void;
  /** Stop accepting, finish answers in flight, close idle connections; resolves when none is left. */
  shutdown(): Promise<void>;
  /** Cut every connection now (the shutdown timeout passed). */
  forceClose(): void;
}

async function socketAdapter(runtime: RuntimeName): Promise<Adapter> {
  // Imported lazily so each runtime only evaluates its own adapter.
  if (runtime === "bun") return (await import("./adapters/bun.ts")).listenBun;
  if (runtime === "deno") return (await import("./adapters/deno.ts")).listenDeno;
  return (await import("./adapters/node.ts")).listenNode;
}

/**
 * The back end `--io` names, checked against what this runtime can do. `auto` picks the
 * syscall back end wherever it can run (Linux x86_64; Bun, Deno with FFI allowed, Node with
 * koffi; an address literal to bind): measured in the same runs it costs less CPU per request
 * than each runtime's socket adapter in every scenario (connection-close: 0.6x on Bun,
 * 0.26x on Deno, 0.24x on Node; README, "I/O back ends").
 */
export function resolveIo(io: Config["io"], runtime: RuntimeName, host: string): "socket" | "syscall" | "uring" {
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

export async function startWorker(config: Config, opts: { reusePort: boolean }): Promise<Worker> {
  const runtime = detectRuntime();
  // Soft RLIMIT_NOFILE up to the hard limit, before the first socket (io/rlimit.ts says why).
  await raiseOpenFileLimitAtStart(runtime);
  const core = createHttpCore(config);
  const listenOptions = { host: config.host, port: config.port, backlog: config.backlog, reusePort: opts.reusePort };
  let listener: Listener;
  let timer: ReturnType<typeof setInterval> | undefined;
  const io = resolveIo(config.io, runtime, config.host);
  if (io === "uring") {
    // io_uring runs the core's clock between ring turns, as the syscall loop does.
    const { runUringOrSyscall } = await import("./io/uring/start.ts");
    listener = await runUringOrSyscall({ ...listenOptions, eager: config.eager, runtime }, core.handler, {
      tick: (now) => core.tick(now),
      clock: (now) => core.clock(now),
      nextTimeout: () => core.tickMs,
      warn,
    });
  } else if (io === "syscall") {
    // The syscall loop blocks in epoll_wait, so it runs the core's clock itself instead of a setInterval.
    const { runSyscallServer } = await import("./io/epoll/loop.ts");
    listener = await runSyscallServer({ ...listenOptions, eager: config.eager, runtime }, core.handler, {
      tick: (now) => core.tick(now),
      clock: (now) => core.clock(now),
      nextTimeout: () => core.tickMs,
      warn,
    });
  } else {
    listener = await (await socketAdapter(runtime))(listenOptions, core.handler);
    timer = setInterval(() => core.tick(Date.now()), core.tickMs);
  }
  let stopping: Promise<void> | null = null;
  return {
    port: listener.port,
    beginShutdown() {
      core.beginShutdown();
    },
    shutdown() {
      stopping ??= (async () => {
        listener.stop();
        await core.shutdown();
        clearInterval(timer);
      })();
      return stopping;
    },
    forceClose() {
      core.closeAll();
      clearInterval(timer);
    },
  };
}
