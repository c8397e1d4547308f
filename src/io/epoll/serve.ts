/**
 * `--io syscall` as a back end: the epoll loop (loop.ts) driving the core.
 * The loop owns the JS thread in batches, so it runs the core's clock
 * itself: its wait never outlasts `core.nextTimeout()` (turns.ts).
 */
import type { Backend } from "../../contract/socket.ts";
import { loopHooks } from "../turns.ts";
import { runSyscallServer } from "./loop.ts";

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
