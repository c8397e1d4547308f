/**
 * The three calls io_uring needs from libc, for Bun (bun:ffi), Deno
 * (Deno.dlopen) and Node (koffi, the optional package of the syscall back
 * end), in one table: `syscall(2)` (io_uring_setup/enter/register
 * have no glibc wrappers), `mmap(2)` for the rings and buffers, and errno.
 * Everything the kernel reads or writes lives in memory mapped here, never
 * in a JS-heap buffer, so a moving GC can never move it under the kernel;
 * addresses are plain numbers (x86_64 user addresses are below 2^47).
 */
import type { RuntimeName } from "../../contract/runtime.ts";
import { denoNamespace, type DenoFfiNamespace, type DenoPointer } from "./deno-ffi.ts";
import { tryKoffi } from "./libc-node.ts";

export interface UringSys {
  /** syscall(nr, a..f): every argument is register-wide (i64), so pointers and sizes survive. Returns -1 + errno on failure. */
  syscall(nr: number, a: number, b: number, c: number, d: number, e: number, f: number): number;
  /** A fresh anonymous or ring mapping and an ArrayBuffer aliasing it (no copy, no finalizer); null on failure (errno set). */
  mmap(length: number, prot: number, flags: number, fd: number, offset: number): Mapping | null;
  errno(): number;
}

export interface Mapping {
  readonly address: number;
  readonly bytes: ArrayBuffer;
}

const LIBC = "libc.so.6";
/** mmap's MAP_FAILED, (void *) -1. */
const MAP_FAILED = -1;

export async function loadUringSys(runtime: RuntimeName): Promise<UringSys> {
  if (runtime === "bun") return loadBun();
  return runtime === "deno" ? loadDeno() : loadNode();
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
    mmap: (length, prot, flags, fd, offset) => {
      const address = Number(mmap(0, length, prot, flags, fd, offset));
      return address === MAP_FAILED ? null : { address, bytes: ffi.toArrayBuffer(address, 0, length) };
    },
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
    mmap: (length, prot, flags, fd, offset) => {
      const address = Number(s.mmap(0, length, prot, flags, fd, offset));
      if (address === MAP_FAILED) return null;
      return { address, bytes: deno.UnsafePointerView.getArrayBuffer(deno.UnsafePointer.create(address)!, length) };
    },
    errno: () => errnoCell[0]!,
  };
}

/** koffi's address(), which libc-node.ts's narrow Koffi type does not declare. */
interface KoffiAddress {
  address(pointer: unknown): bigint;
}

function loadNode(): UringSys {
  const k = tryKoffi();
  if (typeof k === "string") throw new Error(k);
  const koffi = k as typeof k & KoffiAddress;
  const lib = koffi.load(LIBC);
  // Declared with fixed int64 parameters: on x86_64 a variadic call passes integers in the same
  // registers, and glibc's syscall() reads them from there (it never looks at %al).
  const syscall = lib.func("syscall", "int", ["int64_t", "int64_t", "int64_t", "int64_t", "int64_t", "int64_t", "int64_t"]) as unknown as UringSys["syscall"];
  const mmap = lib.func("mmap", "void *", ["void *", "size_t", "int", "int", "int", "int64_t"]) as unknown as (
    a: null, l: number, p: number, f: number, fd: number, o: number) => unknown;
  const errnoAt = (lib.func("__errno_location", "void *", []) as unknown as () => unknown)();
  if (errnoAt === null) throw new Error("__errno_location() returned NULL");
  const errnoCell = new Int32Array(koffi.view(errnoAt, 4));
  return {
    syscall,
    mmap: (length, prot, flags, fd, offset) => {
      const pointer = mmap(null, length, prot, flags, fd, offset);
      const address = pointer === null ? MAP_FAILED : Number(BigInt.asIntN(64, koffi.address(pointer)));
      return address === MAP_FAILED ? null : { address, bytes: koffi.view(pointer, length) };
    },
    errno: () => errnoCell[0]!,
  };
}
