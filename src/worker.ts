/**
 * One worker: bind, serve with the HTTP core, and shut down gracefully.
 * The back end is picked here, by runtime and --io; everything above this
 * file is runtime-neutral.
 */
import type { Adapter, Listener } from "./adapters/types.ts";
import type { Config } from "./config.ts";
import { createHttpCore } from "./http/server.ts";
import { syscallPreferred, syscallUnavailableReason } from "./io/available.ts";
import { detectRuntime, type RuntimeName } from "./runtime.ts";

export interface Worker {
  /** The port actually bound (useful with --port 0). */
  readonly port: number;
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
 * syscall back end wherever it can run (Linux x86_64, Bun or Deno with FFI allowed, an
 * address literal to bind): measured in the same runs, it costs 0.6x (Bun) and 0.5x (Deno)
 * the CPU per connection-close request of the socket adapters, and matches or beats them
 * with keep-alive and pipelining (README, "Choosing --io").
 */
export function resolveIo(io: Config["io"], runtime: RuntimeName, host: string): "socket" | "syscall" {
  if (io === "syscall") {
    const reason = syscallUnavailableReason(runtime);
    if (reason !== null) throw new Error(reason);
    return "syscall";
  }
  if (io === "auto" && syscallPreferred(runtime, host)) return "syscall";
  return "socket";
}

export async function startWorker(config: Config, opts: { reusePort: boolean }): Promise<Worker> {
  const runtime = detectRuntime();
  const core = createHttpCore(config);
  const listenOptions = { host: config.host, port: config.port, backlog: config.backlog, reusePort: opts.reusePort };
  let listener: Listener;
  let timer: ReturnType<typeof setInterval> | undefined;
  if (resolveIo(config.io, runtime, config.host) === "syscall") {
    // The syscall loop blocks in epoll_wait, so it runs the core's clock itself instead of a setInterval.
    const { runSyscallServer } = await import("./io/loop.ts");
    listener = await runSyscallServer({ ...listenOptions, eager: config.eager, runtime }, core.handler, {
      tick: (now) => core.tick(now),
      nextTimeout: () => core.tickMs,
    });
  } else {
    listener = await (await socketAdapter(runtime))(listenOptions, core.handler);
    timer = setInterval(() => core.tick(Date.now()), core.tickMs);
  }
  let stopping: Promise<void> | null = null;
  return {
    port: listener.port,
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
