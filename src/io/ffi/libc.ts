import type { RuntimeName } from "../../contract/runtime.ts";
/**
 * The libc calls the syscall back end makes, behind one interface so the
 * loop is written once for Bun (bun:ffi), Deno (Deno.dlopen) and Node
 * (koffi, an optional npm dependency). Every
 * call returns the C result (-1 on failure); `errno()` must be read right
 * after a failed call, before anything else can touch errno.
 *
 * `recv`/`send` return ssize_t, bound as i32: on x86_64 the low half of
 * rax is exact for every count below 2 GiB, and both runtimes take a
 * faster path for 32-bit results than for 64-bit ones (a BigInt or a
 * number|bigint check).
 */
export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: Uint8Array, length: number): number;
  bind(fd: number, address: Uint8Array, length: number): number;
  listen(fd: number, backlog: number): number;
  /** `length` is a 4-byte socklen_t in/out cell. */
  getsockname(fd: number, address: Uint8Array, length: Uint8Array): number;
  /** The peer's address, like getsockname (echo asks, once per echoed request). */
  getpeername(fd: number, address: Uint8Array, length: Uint8Array): number;
  /** accept4 with NULL address: the peer address is never needed. */
  accept4(fd: number, flags: number): number;
  recv(fd: number, buffer: Uint8Array, length: number, flags: number): number;
  send(fd: number, buffer: Uint8Array, length: number, flags: number): number;
  shutdown(fd: number, how: number): number;
  close(fd: number): number;
  epollCreate1(flags: number): number;
  epollCtl(epfd: number, op: number, fd: number, event: Uint8Array): number;
  epollWait(epfd: number, events: Uint8Array, maxEvents: number, timeoutMs: number): number;
  /** `limit` is a 16-byte `struct rlimit` (rlim_cur, rlim_max: u64). */
  getrlimit(resource: number, limit: Uint8Array): number;
  setrlimit(resource: number, limit: Uint8Array): number;
  /** The calling thread's errno, read from `__errno_location()` through a cached 4-byte view. */
  errno(): number;
}

let loaded: Promise<Libc> | undefined;

/**
 * Loads libc through the runtime's FFI, once per process (the open-file
 * limit and the loop share it). Callers check {@link syscallUnavailableReason} first.
 */
export function loadLibc(runtime: RuntimeName): Promise<Libc> {
  return (loaded ??= load(runtime));
}

async function load(runtime: RuntimeName): Promise<Libc> {
  if (runtime === "bun") return (await import("./libc-bun.ts")).loadBunLibc();
  if (runtime === "deno") return (await import("./libc-deno.ts")).loadDenoLibc();
  return (await import("./libc-node.ts")).loadNodeLibc();
}
