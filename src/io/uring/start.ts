/**
 * `--io uring` as a back end: the io_uring loop, or, where the kernel
 * refuses io_uring (seccomp in Docker's and containerd's default profiles,
 * kernel.io_uring_disabled, a kernel older than 6.0), the epoll loop with
 * one line saying why. Either loop runs the core's clock itself (turns.ts).
 */
import type { Backend, ConnectionHandler } from "../../contract/socket.ts";
import { runSyscallServer, type SyscallListener, type SyscallLoopHooks, type SyscallServerOptions } from "../epoll/loop.ts";
import { loopHooks } from "../turns.ts";
import { UringRefused } from "./ring.ts";
import { runUringServer } from "./loop.ts";

/** The loop serving, and which one it is: the listening line names the back end that serves. */
export async function runUringOrSyscall<C>(
  options: SyscallServerOptions,
  handler: ConnectionHandler<C>,
  hooks: SyscallLoopHooks,
): Promise<{ listener: SyscallListener; io: "uring" | "syscall" }> {
  try {
    return { listener: await runUringServer(options, handler, hooks), io: "uring" };
  } catch (error) {
    if (!(error instanceof UringRefused)) throw error;
    const say = hooks.warn ?? ((m: string) => console.error(`hello-server: ${m}`));
    say(`--io uring unavailable: ${error.message}; using --io syscall`);
    return { listener: await runSyscallServer(options, handler, hooks), io: "syscall" };
  }
}

export const serve: Backend = async (options, core) => {
  const { listener, io } = await runUringOrSyscall(options, core.handler, loopHooks(options, core));
  return {
    ...(io === "syscall" ? { fallback: io } : {}),
    port: listener.port,
    tlsPort: null,
    stop: () => listener.stop(),
    // Either loop ends by itself once stopped with no connection left.
    close() {},
  };
};
