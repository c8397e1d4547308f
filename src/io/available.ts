/**
 * Whether `--io syscall` can run here. The back end needs an FFI (bun:ffi,
 * Deno.dlopen, or koffi on Node), Linux's epoll and accept4, and the
 * x86_64 layouts of `struct epoll_event` and the constants in constants.ts.
 */

import type { RuntimeName as Runtime } from "../runtime.ts";
import { tryKoffi } from "./ffi/libc-node.ts";
import { isAddressLiteral } from "./listen.ts";

export type { Runtime };

/** null if the syscall back end can run; otherwise one sentence saying why not. */
export function syscallUnavailableReason(
  runtime: Runtime,
  platform: string = globalThis.process?.platform ?? "unknown",
  arch: string = globalThis.process?.arch ?? "unknown",
): string | null {
  if (platform !== "linux") {
    return `--io syscall uses Linux system calls (epoll, accept4); this is ${platform}, so use --io socket`;
  }
  if (arch !== "x64") {
    return `--io syscall is written for Linux x86_64 (struct layouts and constants); this is ${arch}, so use --io socket`;
  }
  if (runtime === "node") {
    // Node has no FFI of its own: the back end needs the optional koffi package.
    const koffi = tryKoffi();
    if (typeof koffi === "string") return `--io syscall on Node needs an FFI, and ${koffi}: install it (npm install koffi) or use --io socket`;
  }
  return null;
}

/** Whether this process may call libc through its FFI without asking anyone (no permission prompt). */
export function ffiPermitted(runtime: Runtime): boolean {
  if (runtime === "deno") {
    const deno = (globalThis as unknown as { Deno?: { permissions?: { querySync?(d: { name: string }): { state: string } } } }).Deno;
    return deno?.permissions?.querySync?.({ name: "ffi" }).state === "granted";
  }
  if (runtime === "node") return typeof tryKoffi() !== "string";
  return true;
}

/**
 * Whether `--io auto` may pick the syscall back end: it can run here, the runtime lets this
 * process load libc (Deno asks for --allow-ffi; Node needs koffi), and the host is an address
 * it can bind without DNS. `auto` never fails where the socket back end would work.
 */
export function syscallPreferred(runtime: Runtime, host: string): boolean {
  return syscallUnavailableReason(runtime) === null && ffiPermitted(runtime) && isAddressLiteral(host);
}

/**
 * Why `--io auto` on Node stays on node:net although the host could be bound directly
 * (koffi missing or unloadable): the one line the worker prints. null where there is nothing to say.
 */
export function nodeAutoFallbackReason(runtime: Runtime, host: string): string | null {
  if (runtime !== "node" || !isAddressLiteral(host)) return null;
  const platform = globalThis.process?.platform;
  if (platform !== "linux" || globalThis.process?.arch !== "x64") return null;
  const koffi = tryKoffi();
  return typeof koffi === "string" ? `--io auto: using node:net sockets, not the syscall back end: ${koffi}` : null;
}
