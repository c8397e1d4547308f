/**
 * The libc calls of the open-loop client: the server's own table
 * (src/io/ffi/libc.ts: socket, send, recv, close, epoll, errno) plus
 * connect(2), which a server never makes, bound here through bun:ffi.
 * Bun only: the generator is a benchmark tool run by bench/compare.ts,
 * which runs on Bun.
 *
 * Usage: const libc = await loadClientLibc(); libc.connect(fd, sockaddrIn("127.0.0.1", 8000), 16)
 */
import * as K from "../../src/io/constants.ts";
import { loadLibc, type Libc } from "../../src/io/ffi/libc.ts";

export interface ClientLibc extends Libc {
  connect(fd: number, address: Uint8Array, length: number): number;
}

export async function loadClientLibc(): Promise<ClientLibc> {
  if (typeof Bun === "undefined") throw new Error("the open-loop generator runs on Bun (bun:ffi)");
  const libc = await loadLibc("bun");
  const ffi = await import("bun:ffi");
  const { symbols } = ffi.dlopen("libc.so.6", { connect: { args: ["i32", "ptr", "u32"], returns: "i32" } });
  const connect = symbols.connect;
  return { ...libc, connect: (fd, address, length) => connect(fd, address, length) };
}

/** `struct sockaddr_in` for an IPv4 address (family, port in network order, address). */
export function sockaddrIn(ipv4: string, port: number): Uint8Array {
  const parts = ipv4.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ipv4}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad port ${port}`);
  const a = new Uint8Array(16);
  new DataView(a.buffer).setUint16(0, K.AF_INET, true);
  a[2] = port >> 8;
  a[3] = port & 0xff;
  a.set(parts, 4);
  return a;
}
