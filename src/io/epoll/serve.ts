/**
 * `--io syscall` as a back end: the epoll loop (loop.ts) driving the core.
 * The loop owns the JS thread in batches, so it runs the core's clock
 * itself: its wait never outlasts `core.nextTimeout()` (turns.ts).
 */
import type { Backend, ServeOptions, ServedCore } from "../../adapters/types.ts";
import type { SyscallLoopHooks } from "../turns.ts";
import { runSyscallServer } from "./loop.ts";

/** The loop's view of the core (turns.ts): its clock, and where to say what goes wrong. */
export function loopHooks<C>(options: ServeOptions, core: ServedCore<C>): SyscallLoopHooks {
  return {
    tick: (now) => core.tick(now),
    clock: (now) => core.clock(now),
    nextTimeout: () => core.nextTimeout(),
    warn: options.warn,
  };
}

export const serve: Backend = async (options, core) => {
  const listener = await runSyscallServer(options, core.handler, loopHooks(options, core));
  return {
    port: listener.port,
    tlsPort: null,
    stop: () => listener.stop(),
    // The loop ends by itself once stopped with no connection left.
    close() {},
  };
};
