/**
 * The three calls io_uring needs from libc, for Bun (bun:ffi) and Deno
 * (Deno.dlopen), in one table: `syscall(2)` (io_uring_setup/enter/register
 * have no glibc wrappers), `mmap(2)` for the rings and buffers, and errno.
 * Everything the kernel reads or writes lives in memory mapped here, never
 * in a JS-heap buffer, so a moving GC can never move it under the kernel;
 * addresses are plain numbers (x86_64 user addresses are below 2^47).
 */
import { denoNamespace, type DenoFfiNamespace, type DenoPointer } from "../deno-ffi.ts";

export interface UringSys {
  /** syscall(nr, a..f): every argument is register-wide (i64), so pointers and sizes survive. Returns -1 + errno on failure. */
  syscall(nr: number, a: number, b: number, c: number, d: number, e: number, f: number): number;
  /** A fresh anonymous or ring mapping; -1 on failure (errno set). */
  mmap(length: number, prot: number, flags: number, fd: number, offset: number): number;
  /** An ArrayBuffer aliasing `length` bytes at `address` (no copy, no finalizer). */
  view(address: number, length: number): ArrayBuffer;
  errno(): number;
}

const LIBC = "libc.so.6";

export async function loadUringSys(runtime: "bun" | "deno"): Promise<UringSys> {
  return runtime === "bun" ? loadBun() : loadDeno();
}

async function loadBun(): Promise<UringSys> {
  const ffi = await import("bun:ffi");
  const { symbols: s } = ffi.dlopen(LIBC, {
    syscall: { args: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"], returns: "i32" },
    mmap: { args: ["i64", "u64", "i32", "i32", "i32", "i64"], returns: ffi.FFIType.i64_fast },
    __errno_location: { args: [], returns: "ptr" },
  });
  const errnoAt = s.__errno_location();
  if (errnoAt === null) throw new Error("__errno_location() returned NULL");
  const errnoCell = new Int32Array(ffi.toArrayBuffer(errnoAt, 0, 4));
  const { syscall, mmap } = s;
  return {
    syscall: (nr, a, b, c, d, e, f) => syscall(nr, a, b, c, d, e, f),
    mmap: (length, prot, flags, fd, offset) => Number(mmap(0, length, prot, flags, fd, offset)),
    view: (address, length) => ffi.toArrayBuffer(address, 0, length),
    errno: () => errnoCell[0]!,
  };
}

/** Deno.UnsafePointer, which deno-ffi.ts (shared with the epoll back end) does not declare. */
interface DenoPointers {
  UnsafePointer: { create(value: number | bigint): DenoPointer };
}

function loadDeno(): UringSys {
  const deno = denoNamespace() as (DenoFfiNamespace & DenoPointers) | undefined;
  if (!deno) throw new Error("Deno.dlopen is not available in this runtime");
  const library = deno.dlopen(LIBC, {
    syscall: { parameters: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"], result: "i32" },
    mmap: { parameters: ["usize", "usize", "i32", "i32", "i32", "i64"], result: "isize" },
    __errno_location: { parameters: [], result: "pointer" },
  } as never);
  const s = library.symbols as unknown as {
    syscall(nr: number, a: number, b: number, c: number, d: number, e: number, f: number): number;
    mmap(addr: number, length: number, prot: number, flags: number, fd: number, offset: number): number | bigint;
    __errno_location(): DenoPointer;
  };
  const errnoAt = s.__errno_location();
  if (errnoAt === null) throw new Error("__errno_location() returned NULL");
  const errnoCell = new Int32Array(deno.UnsafePointerView.getArrayBuffer(errnoAt, 4));
  return {
    syscall: (nr, a, b, c, d, e, f) => s.syscall(nr, a, b, c, d, e, f),
    mmap: (length, prot, flags, fd, offset) => Number(s.mmap(0, length, prot, flags, fd, offset)),
    view: (address, length) => {
      const pointer = deno.UnsafePointer.create(address);
      if (pointer === null) throw new Error("view of NULL");
      return deno.UnsafePointerView.getArrayBuffer(pointer, length);
    },
    errno: () => errnoCell[0]!,
  };
}
