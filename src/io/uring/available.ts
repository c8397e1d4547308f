/**
 * Whether `--io uring` can be tried here, from what is known before any
 * system call: Linux x86_64 (the syscall numbers in constants.ts) and an
 * FFI (bun:ffi, Deno.dlopen, or koffi on Node). Whether the kernel lets this process use
 * io_uring (seccomp, kernel.io_uring_disabled, its version) is only known
 * by trying: runUringOrSyscall falls back to `--io syscall` then.
 */
import type { RuntimeName as Runtime } from "../../runtime.ts";
import { tryKoffi } from "../ffi/libc-node.ts";

/** null if `--io uring` can be tried; otherwise one sentence saying why not. */
export function uringUnavailableReason(
  runtime: Runtime,
  platform: string = globalThis.process?.platform ?? "unknown",
  arch: string = globalThis.process?.arch ?? "unknown",
): string | null {
  if (platform !== "linux") return `--io uring uses Linux's io_uring; this is ${platform}, so use --io socket`;
  if (arch !== "x64") return `--io uring is written for Linux x86_64 (system call numbers); this is ${arch}, so use --io syscall or socket`;
  if (runtime === "node") {
    const koffi = tryKoffi();
    if (typeof koffi === "string") return `--io uring on Node needs ${koffi}; install it (npm install koffi) or use --io socket`;
  }
  return null;
}
