/**
 * A connected socket's peer or local address, read with getpeername/getsockname through the
 * libc table: the syscall and io_uring back ends' remoteAddress()/localAddress(). Only echo and
 * the access log ask (the peer once per connection: the transports keep it), so this costs a
 * request nothing unless it is echoed or logged.
 */
import type { SocketAddress } from "../contract/address.ts";
import type { Libc } from "./ffi/libc.ts";
import * as K from "./constants.ts";

/** Room for a sockaddr_in6, the larger of the two families served. */
const SOCKADDR_SIZE = 28;

export type { SocketAddress };

export function socketAddress(libc: Libc, fd: number, peer: boolean): SocketAddress | null {
  const sa = new Uint8Array(SOCKADDR_SIZE);
  const length = new Uint8Array(4);
  const view = new DataView(length.buffer);
  view.setUint32(0, SOCKADDR_SIZE, true);
  if ((peer ? libc.getpeername(fd, sa, length) : libc.getsockname(fd, sa, length)) < 0) return null;
  return decodeSockaddr(sa);
}

/** sockaddr_in / sockaddr_in6 → text address and port (IPv6 in RFC 5952 form, v4-mapped as ::ffff:a.b.c.d). */
export function decodeSockaddr(sa: Uint8Array): SocketAddress | null {
  const view = new DataView(sa.buffer, sa.byteOffset, sa.byteLength);
  const family = view.getUint16(0, true);
  const port = view.getUint16(2, false); // network byte order
  if (family === K.AF_INET) return { address: sa.subarray(4, 8).join("."), port };
  if (family !== K.AF_INET6) return null;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(view.getUint16(8 + 2 * i, false));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return { address: `::ffff:${sa.subarray(20, 24).join(".")}`, port };
  }
  return { address: formatIPv6(groups), port };
}

/** RFC 5952 §4: lower case, no leading zeros, the longest run (two or more) of zero groups as `::`. */
function formatIPv6(groups: number[]): string {
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLength).join(":")}`;
}
