/** Opens the listening socket with libc: socket → setsockopt → bind → listen → getsockname. */
import type { ListenOptions } from "../contract/socket.ts";
import type { Libc } from "./ffi/libc.ts";
import { SyscallError } from "./errno.ts";
import * as K from "./constants.ts";

const SOCKADDR_IN_SIZE = 16;
const SOCKADDR_IN6_SIZE = 28;
/**
 * TCP_DEFER_ACCEPT wakes accept only once the request's first bytes have
 * arrived, which is what lets the loop recv at once after accept4 with no
 * readiness wait. Seconds; the kernel rounds it to SYN-ACK retransmits.
 */
const DEFER_ACCEPT_SECONDS = 1;

/** A sockaddr_in or sockaddr_in6 for a literal address (the back end does no DNS). */
export function encodeSockaddr(host: string, port: number): Uint8Array {
  const name = host === "localhost" ? "127.0.0.1" : host;
  const v4 = parseIPv4(name);
  if (v4) {
    const sa = new Uint8Array(SOCKADDR_IN_SIZE);
    const view = new DataView(sa.buffer);
    view.setUint16(0, K.AF_INET, true);
    view.setUint16(2, port, false); // sin_port is network byte order
    sa.set(v4, 4);
    return sa;
  }
  const v6 = parseIPv6(name);
  if (v6) {
    const sa = new Uint8Array(SOCKADDR_IN6_SIZE);
    const view = new DataView(sa.buffer);
    view.setUint16(0, K.AF_INET6, true);
    view.setUint16(2, port, false);
    sa.set(v6, 8);
    return sa;
  }
  throw new Error(`--io syscall binds IP addresses only (no DNS lookup); got host '${host}'`);
}

/** Whether `encodeSockaddr` can bind `host`: an IPv4 or IPv6 literal, or `localhost`. */
export function isAddressLiteral(host: string): boolean {
  return host === "localhost" || parseIPv4(host) !== null || parseIPv6(host) !== null;
}

function parseIPv4(s: string): Uint8Array | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    out[i] = Number(p);
  }
  return out;
}

function parseIPv6(s: string): Uint8Array | null {
  if (!/^[0-9a-fA-F:]+$/.test(s) || s.split("::").length > 2) return null;
  const [head = "", tail] = s.split("::");
  const groups = (x: string) => (x === "" ? [] : x.split(":"));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const missing = 8 - h.length - t.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return null;
  const all = [...h, ...Array<string>(tail === undefined ? 0 : missing).fill("0"), ...t];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = all[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  }
  return out;
}

function int32(n: number): Uint8Array {
  const cell = new Uint8Array(4);
  new DataView(cell.buffer).setInt32(0, n, true);
  return cell;
}

/** A bound, listening, non-blocking socket and the port it got. Closes the fd on any failure. */
export function openListener(libc: Libc, options: ListenOptions): { fd: number; port: number } {
  const where = `${options.host}:${options.port}`;
  const address = encodeSockaddr(options.host, options.port);
  const family = address.length === SOCKADDR_IN_SIZE ? K.AF_INET : K.AF_INET6;
  const fd = libc.socket(family, K.SOCK_STREAM | K.SOCK_NONBLOCK | K.SOCK_CLOEXEC, 0);
  if (fd < 0) throw new SyscallError("socket", libc.errno());
  try {
    const option = (level: number, name: number, label: string, value: number) => {
      if (libc.setsockopt(fd, level, name, int32(value), 4) < 0) throw new SyscallError("setsockopt", libc.errno(), label);
    };
    option(K.SOL_SOCKET, K.SO_REUSEADDR, "SO_REUSEADDR", 1);
    if (options.reusePort) option(K.SOL_SOCKET, K.SO_REUSEPORT, "SO_REUSEPORT", 1);
    // Accepted sockets inherit TCP_NODELAY from the listener on Linux, so no setsockopt per connection.
    option(K.IPPROTO_TCP, K.TCP_NODELAY, "TCP_NODELAY", 1);
    option(K.IPPROTO_TCP, K.TCP_DEFER_ACCEPT, "TCP_DEFER_ACCEPT", DEFER_ACCEPT_SECONDS);
    if (family === K.AF_INET6) option(K.IPPROTO_IPV6, K.IPV6_V6ONLY, "IPV6_V6ONLY", 0);
    if (libc.bind(fd, address, address.length) < 0) throw new SyscallError("bind", libc.errno(), where);
    if (libc.listen(fd, options.backlog) < 0) throw new SyscallError("listen", libc.errno(), where);
    const bound = new Uint8Array(SOCKADDR_IN6_SIZE);
    const length = int32(bound.length);
    if (libc.getsockname(fd, bound, length) < 0) throw new SyscallError("getsockname", libc.errno(), where);
    return { fd, port: new DataView(bound.buffer).getUint16(2, false) };
  } catch (error) {
    libc.close(fd);
    throw error;
  }
}
