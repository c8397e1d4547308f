/** errno → name and a sentence a user can act on. */

const ERRNO: Readonly<Record<number, readonly [string, string]>> = {
  1: ["EPERM", "operation not permitted"],
  4: ["EINTR", "interrupted by a signal"],
  9: ["EBADF", "bad file descriptor"],
  11: ["EAGAIN", "resource temporarily unavailable"],
  12: ["ENOMEM", "out of memory"],
  13: ["EACCES", "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)"],
  14: ["EFAULT", "bad address"],
  22: ["EINVAL", "invalid argument"],
  23: ["ENFILE", "too many open files in the system (raise fs.file-max)"],
  24: ["EMFILE", "too many open files in this process (raise ulimit -n)"],
  32: ["EPIPE", "broken pipe: the peer closed the connection"],
  71: ["EPROTO", "protocol error"],
  88: ["ENOTSOCK", "not a socket"],
  95: ["EOPNOTSUPP", "operation not supported"],
  97: ["EAFNOSUPPORT", "address family not supported (is IPv6 disabled?)"],
  98: ["EADDRINUSE", "address already in use (another process listens on this port without SO_REUSEPORT)"],
  99: ["EADDRNOTAVAIL", "address not available on this machine"],
  103: ["ECONNABORTED", "connection aborted before it was accepted"],
  104: ["ECONNRESET", "connection reset by the peer"],
  105: ["ENOBUFS", "no kernel buffer space"],
  107: ["ENOTCONN", "socket not connected"],
  110: ["ETIMEDOUT", "connection timed out"],
};

/** "EADDRINUSE (address already in use …)" or "errno 123". */
export function describeErrno(errno: number): string {
  const known = ERRNO[errno];
  return known ? `${known[0]} (${known[1]})` : `errno ${errno}`;
}

/** A failed libc call: which call, on what, and the errno in words. */
export class SyscallError extends Error {
  override name = "SyscallError";
  constructor(
    readonly call: string,
    readonly errno: number,
    context = "",
  ) {
    super(`${call}${context ? ` ${context}` : ""} failed: ${describeErrno(errno)}`);
  }
}
