/**
 * libc through koffi (Node only): Node has no FFI of its own, and koffi is
 * an optional npm dependency that ships prebuilt Node-API binaries
 * (@koromix/koffi-linux-x64), so no compiler runs on the user's machine
 * and its install script is not needed (allowScripts does not list it).
 *
 * koffi is required lazily, from the running script's directory, through
 * createRequire: the bundle never contains it, Bun and Deno never load it,
 * and where it is missing (`npm install --omit=optional`, or the Node
 * single executable copied somewhere without node_modules/koffi next to it:
 * it embeds the script, not node_modules) the reason comes back as a
 * sentence and `--io auto` falls back to node:net.
 */
import { createRequire } from "node:module";
import { resolve } from "node:path";
import type { Libc } from "./libc.ts";

const LIBC = "libc.so.6";

/** The part of koffi's API this file uses (koffi ships its own index.d.ts; it is optional, so not imported). */
export interface Koffi {
  load(path: string): { func(name: string, result: string, parameters: readonly string[]): (...args: never[]) => unknown };
  /** An ArrayBuffer aliasing `length` bytes of native memory at a pointer koffi returned. */
  view(pointer: unknown, length: number): ArrayBuffer;
  readonly version: string;
}

let koffi: Koffi | string | undefined;

/**
 * koffi, or why it cannot load. Resolved the way the script's own imports
 * would be: from the directory of the script Node runs (dist/ next to
 * node_modules/), or, in a single executable, from the executable's
 * directory; NODE_PATH is honoured. Never from the working directory: that
 * would load native code from wherever the server happens to be started.
 */
export function tryKoffi(): Koffi | string {
  if (koffi !== undefined) return koffi;
  const bases = [globalThis.process?.argv?.[1], globalThis.process?.execPath].filter((b): b is string => typeof b === "string" && b !== "");
  const errors: string[] = [];
  for (const base of bases) {
    try {
      return (koffi = createRequire(resolve(base))("koffi") as Koffi);
    } catch (error) {
      errors.push(firstLine(error));
    }
  }
  return (koffi = `the optional koffi package cannot be loaded here (${errors[0] ?? "no script path"})`);
}

/** koffi, or throws with the reason (bench/ffi.ts). */
export async function loadKoffi(): Promise<Koffi> {
  const k = tryKoffi();
  if (typeof k === "string") throw new Error(k);
  return k;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]!;
}

type I = number;
type B = Uint8Array;

export function loadNodeLibc(): Libc {
  const k = tryKoffi();
  if (typeof k === "string") throw new Error(k);
  const lib = k.load(LIBC);
  // Every count and descriptor fits an int (see libc.ts on ssize_t as i32); "void *" takes a
  // Uint8Array as its address without a copy, and null as NULL.
  const f = <T>(name: string, result: string, parameters: readonly string[]) => lib.func(name, result, parameters) as unknown as T;
  const socket = f<(d: I, t: I, p: I) => I>("socket", "int", ["int", "int", "int"]);
  const setsockopt = f<(fd: I, level: I, name: I, value: B, length: I) => I>("setsockopt", "int", ["int", "int", "int", "void *", "uint32"]);
  const bind = f<(fd: I, address: B, length: I) => I>("bind", "int", ["int", "void *", "uint32"]);
  const listen = f<(fd: I, backlog: I) => I>("listen", "int", ["int", "int"]);
  const getsockname = f<(fd: I, address: B, length: B) => I>("getsockname", "int", ["int", "void *", "void *"]);
  const getpeername = f<(fd: I, address: B, length: B) => I>("getpeername", "int", ["int", "void *", "void *"]);
  const accept4 = f<(fd: I, address: null, length: null, flags: I) => I>("accept4", "int", ["int", "void *", "void *", "int"]);
  const recv = f<(fd: I, buffer: B, length: I, flags: I) => I>("recv", "int", ["int", "void *", "size_t", "int"]);
  const send = f<(fd: I, buffer: B, length: I, flags: I) => I>("send", "int", ["int", "void *", "size_t", "int"]);
  const shutdown = f<(fd: I, how: I) => I>("shutdown", "int", ["int", "int"]);
  const close = f<(fd: I) => I>("close", "int", ["int"]);
  const epollCreate1 = f<(flags: I) => I>("epoll_create1", "int", ["int"]);
  const epollCtl = f<(epfd: I, op: I, fd: I, event: B) => I>("epoll_ctl", "int", ["int", "int", "int", "void *"]);
  const epollWait = f<(epfd: I, events: B, max: I, timeout: I) => I>("epoll_wait", "int", ["int", "void *", "int", "int"]);
  const getrlimit = f<(resource: I, limit: B) => I>("getrlimit", "int", ["int", "void *"]);
  const setrlimit = f<(resource: I, limit: B) => I>("setrlimit", "int", ["int", "void *"]);
  const errnoLocation = f<() => unknown>("__errno_location", "void *", []);
  const errnoAt = errnoLocation();
  if (errnoAt === null) throw new Error("__errno_location() returned NULL");
  // errno is thread-local and the JS thread never changes, so one view serves every read.
  const errnoCell = new Int32Array(k.view(errnoAt, 4));
  return {
    socket,
    setsockopt,
    bind,
    listen,
    getsockname,
    getpeername,
    accept4: (fd, flags) => accept4(fd, null, null, flags),
    recv,
    send,
    shutdown,
    close,
    epollCreate1,
    epollCtl,
    epollWait,
    getrlimit,
    setrlimit,
    errno: () => errnoCell[0]!,
  };
}
