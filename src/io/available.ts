/**
 * Whether `--io syscall` can run here. The back end needs an FFI built into
 * the runtime (bun:ffi, Deno.dlopen), Linux's epoll and accept4, and the
 * x86_64 layouts of `struct epoll_event` and the constants in constants.ts.
 */

import type { RuntimeName as Runtime } from "../runtime.ts";
import { isAddressLiteral } from "./listen.ts";

export type { Runtime };

/** null if the syscall back end can run; otherwise one sentence saying why not. */
export function syscallUnavailableReason(
  runtime: Runtime,
  platform: string = globalThis.process?.platform ?? "unknown",
  arch: string = globalThis.process?.arch ?? "unknown",
): string | null {
  if (runtime === "node") {
    return "--io syscall needs an FFI built into the runtime (bun:ffi or Deno.dlopen); Node has none, so run it with bun or deno, or use --io socket";
  }
  if (platform !== "linux") {
    return `--io syscall uses Linux system calls (epoll, accept4); this is ${platform}, so use --io socket`;
  }
  if (arch !== "x64") {
    return `--io syscall is written for Linux x86_64 (struct layouts and constants); this is ${arch}, so use --io socket`;
  }
  return null;
}

/**
 * Whether `--io auto` may pick the syscall back end: it can run here, the runtime lets this
 * process load libc (Deno asks for --allow-ffi), and the host is an address it can bind
 * without DNS. `auto` never fails where the socket back end would work.
 */
export function syscallPreferred(runtime: Runtime, host: string): boolean {
  if (syscallUnavailableReason(runtime) !== null) return false;
  if (runtime === "deno") {
    const deno = (globalThis as unknown as { Deno?: { permissions?: { querySync?(d: { name: string }): { state: string } } } }).Deno;
    if (deno?.permissions?.querySync?.({ name: "ffi" }).state !== "granted") return false;
  }
  return isAddressLiteral(host);
}
