/**
 * Linux x86_64 ABI numbers the syscall back end passes to libc. Values from
 * the kernel's uapi headers (asm-generic/socket.h, netinet/tcp.h,
 * sys/epoll.h, asm-generic/errno*.h); they differ on other architectures,
 * which is one reason the back end refuses to run anywhere else.
 */

export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;

export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_REUSEPORT = 15;
/** `struct linger { int l_onoff; int l_linger; }`: {1, 0} makes close(2) send an RST (socket(7)). */
export const SO_LINGER = 13;
export const LINGER_RESET = new Uint8Array(Int32Array.of(1, 0).buffer);
export const IPPROTO_TCP = 6;
export const TCP_NODELAY = 1;
export const TCP_DEFER_ACCEPT = 9;
export const IPPROTO_IPV6 = 41;
export const IPV6_V6ONLY = 26;

export const SHUT_WR = 1;
/** No SIGPIPE on a peer that reset: send fails with EPIPE instead. */
export const MSG_NOSIGNAL = 0x4000;
/** Hold the data for more: the close() that follows sends it with the FIN in one segment. */
export const MSG_MORE = 0x8000;

/** getrlimit(2) resource: the per-process open-file limit (asm-generic/resource.h). */
export const RLIMIT_NOFILE = 7;
/** sizeof(struct rlimit): rlim_cur, rlim_max as u64. */
export const RLIMIT_SIZE = 16;

export const EPOLL_CLOEXEC = 0o2000000;
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;
export const EPOLLIN = 0x001;
export const EPOLLOUT = 0x004;
export const EPOLLERR = 0x008;
export const EPOLLHUP = 0x010;
/** `struct epoll_event` is `__attribute__((packed))` on x86_64: u32 events + u64 data = 12 bytes. */
export const EPOLL_EVENT_SIZE = 12;

/** errno values the epoll and io_uring code branch on (asm-generic/errno*.h); the rest are only named in messages (errno.ts). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EBUSY: 16,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  EPIPE: 32,
  ENOSYS: 38,
  ETIME: 62,
  EPROTO: 71,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECANCELED: 125,
} as const;
