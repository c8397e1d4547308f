/** libc through bun:ffi (Bun only; imported dynamically so the bundle loads on Node and Deno). */
import type { Libc } from "./libc.ts";

const LIBC = "libc.so.6";

export async function loadBunLibc(): Promise<Libc> {
  const ffi = await import("bun:ffi");
  const { symbols: s } = ffi.dlopen(LIBC, {
    socket: { args: ["i32", "i32", "i32"], returns: "i32" },
    setsockopt: { args: ["i32", "i32", "i32", "ptr", "u32"], returns: "i32" },
    bind: { args: ["i32", "ptr", "u32"], returns: "i32" },
    listen: { args: ["i32", "i32"], returns: "i32" },
    getsockname: { args: ["i32", "ptr", "ptr"], returns: "i32" },
    getpeername: { args: ["i32", "ptr", "ptr"], returns: "i32" },
    accept4: { args: ["i32", "ptr", "ptr", "i32"], returns: "i32" },
    recv: { args: ["i32", "ptr", "u64", "i32"], returns: "i32" },
    send: { args: ["i32", "ptr", "u64", "i32"], returns: "i32" },
    shutdown: { args: ["i32", "i32"], returns: "i32" },
    close: { args: ["i32"], returns: "i32" },
    epoll_create1: { args: ["i32"], returns: "i32" },
    epoll_ctl: { args: ["i32", "i32", "i32", "ptr"], returns: "i32" },
    epoll_wait: { args: ["i32", "ptr", "i32", "i32"], returns: "i32" },
    getrlimit: { args: ["i32", "ptr"], returns: "i32" },
    setrlimit: { args: ["i32", "ptr"], returns: "i32" },
    __errno_location: { args: [], returns: "ptr" },
  });
  const errnoAt = s.__errno_location();
  if (errnoAt === null) throw new Error("__errno_location() returned NULL");
  // errno is thread-local and the JS thread never changes, so one view serves every read.
  const errnoCell = new Int32Array(ffi.toArrayBuffer(errnoAt, 0, 4));
  const { socket, setsockopt, bind, listen, getsockname, getpeername, accept4, recv, send, shutdown, close } = s;
  const { epoll_create1, epoll_ctl, epoll_wait, getrlimit, setrlimit } = s;
  return {
    socket: (d, t, p) => socket(d, t, p),
    setsockopt: (fd, level, name, value, length) => setsockopt(fd, level, name, value, length),
    bind: (fd, address, length) => bind(fd, address, length),
    listen: (fd, backlog) => listen(fd, backlog),
    getsockname: (fd, address, length) => getsockname(fd, address, length),
    getpeername: (fd, address, length) => getpeername(fd, address, length),
    accept4: (fd, flags) => accept4(fd, null, null, flags),
    recv: (fd, buffer, length, flags) => recv(fd, buffer, length, flags),
    send: (fd, buffer, length, flags) => send(fd, buffer, length, flags),
    shutdown: (fd, how) => shutdown(fd, how),
    close: (fd) => close(fd),
    epollCreate1: (flags) => epoll_create1(flags),
    epollCtl: (epfd, op, fd, event) => epoll_ctl(epfd, op, fd, event),
    epollWait: (epfd, events, max, timeout) => epoll_wait(epfd, events, max, timeout),
    getrlimit: (resource, limit) => getrlimit(resource, limit),
    setrlimit: (resource, limit) => setrlimit(resource, limit),
    errno: () => errnoCell[0]!,
  };
}
