/** libc through Deno.dlopen (Deno only; needs --allow-ffi, which -A includes). */
import type { Libc } from "./libc.ts";
import { denoNamespace, type DenoPointer } from "./deno-ffi.ts";

const LIBC = "libc.so.6";

// "buffer" parameters take a Uint8Array and stay on V8's fast-call path; the
// NULL address arguments of accept4 are "pointer" so they can be null. A
// "usize" stays on it only when given a BigInt (see recv below).
const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  accept4: { parameters: ["i32", "pointer", "pointer", "i32"], result: "i32" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type I = number;
type B = Uint8Array;
interface Symbols {
  socket(d: I, t: I, p: I): I;
  setsockopt(fd: I, level: I, name: I, value: B, length: I): I;
  bind(fd: I, address: B, length: I): I;
  listen(fd: I, backlog: I): I;
  getsockname(fd: I, address: B, length: B): I;
  getpeername(fd: I, address: B, length: B): I;
  accept4(fd: I, address: null, length: null, flags: I): I;
  recv(fd: I, buffer: B, length: bigint, flags: I): I;
  send(fd: I, buffer: B, length: bigint, flags: I): I;
  shutdown(fd: I, how: I): I;
  close(fd: I): I;
  epoll_create1(flags: I): I;
  epoll_ctl(epfd: I, op: I, fd: I, event: B): I;
  epoll_wait(epfd: I, events: B, max: I, timeout: I): I;
  getrlimit(resource: I, limit: B): I;
  setrlimit(resource: I, limit: B): I;
  __errno_location(): DenoPointer;
}

export function loadDenoLibc(): Libc {
  const deno = denoNamespace();
  if (!deno) throw new Error("Deno.dlopen is not available in this runtime");
  let library;
  try {
    library = deno.dlopen(LIBC, SYMBOLS);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot load ${LIBC} with Deno.dlopen (run deno with --allow-ffi or -A): ${reason}`);
  }
  const s = library.symbols as unknown as Symbols;
  const errnoAt = s.__errno_location();
  if (errnoAt === null) throw new Error("__errno_location() returned NULL");
  // errno is thread-local and the JS thread never changes, so one view serves every read.
  const errnoCell = new Int32Array(deno.UnsafePointerView.getArrayBuffer(errnoAt, 4));
  return {
    socket: (d, t, p) => s.socket(d, t, p),
    setsockopt: (fd, level, name, value, length) => s.setsockopt(fd, level, name, value, length),
    bind: (fd, address, length) => s.bind(fd, address, length),
    listen: (fd, backlog) => s.listen(fd, backlog),
    getsockname: (fd, address, length) => s.getsockname(fd, address, length),
    getpeername: (fd, address, length) => s.getpeername(fd, address, length),
    accept4: (fd, flags) => s.accept4(fd, null, null, flags),
    // size_t as a BigInt: Deno declares its fast calls with Int64Representation::BigInt, so a
    // Number for a "usize" parameter fails V8's fast-call type check and takes the slow path:
    // 546 → 104 ns of user CPU per recv (bench/ffi.ts --cpu; BigInt(n) of a small n allocates nothing measurable).
    recv: (fd, buffer, length, flags) => s.recv(fd, buffer, BigInt(length), flags),
    send: (fd, buffer, length, flags) => s.send(fd, buffer, BigInt(length), flags),
    shutdown: (fd, how) => s.shutdown(fd, how),
    close: (fd) => s.close(fd),
    epollCreate1: (flags) => s.epoll_create1(flags),
    epollCtl: (epfd, op, fd, event) => s.epoll_ctl(epfd, op, fd, event),
    epollWait: (epfd, events, max, timeout) => s.epoll_wait(epfd, events, max, timeout),
    getrlimit: (resource, limit) => s.getrlimit(resource, limit),
    setrlimit: (resource, limit) => s.setrlimit(resource, limit),
    errno: () => errnoCell[0]!,
  };
}
