/** One accepted socket as a {@link Transport}: the core's calls become send/shutdown/close/epoll_ctl. */
import type { Transport } from "../../contract/socket.ts";
import type { Libc } from "../ffi/libc.ts";
import * as K from "../constants.ts";
import { socketAddress, type SocketAddress } from "../address.ts";

/** What a connection needs from the loop that owns it. */
export interface ConnectionOwner {
  readonly libc: Libc;
  /** false = `--no-eager`: every send waits for EPOLLOUT first. */
  readonly eager: boolean;
  /** epoll_ctl on the loop's set; false (errno set) on failure. */
  watch(fd: number, op: number, events: number): boolean;
  /** The fd was closed: forget it, and call the handler's `close` once the current callback returns. */
  released(conn: EpollConnection<unknown>): void;
}

/**
 * States, in order: open (reading) → [paused ⇄ reading] → [read ended] →
 * [close wanted while output is pending] → closed. `closed` is final.
 */
export class EpollConnection<C> implements Transport {
  /** The core's state for this connection; set right after `handler.open`. */
  state!: C;
  /**
   * Bytes `write` took that the kernel has not: held by reference (the
   * core never mutates what it wrote), so a short send costs no copy. At
   * most one buffer; a second `write` is refused until it drains.
   */
  pending: Uint8Array | null = null;
  /** How much of `pending` the kernel already took. */
  private pendingOffset = 0;
  /** A `write` was refused because `pending` was set: call `drain` once it is flushed. */
  private wantDrain = false;
  /** The core asked for no `data` events. */
  private paused = false;
  /** recv returned 0 (peer sent FIN): never read again. */
  readEnded = false;
  /** shutdown() was called while output was pending: send FIN once flushed. */
  private shutdownWanted = false;
  /** close() was called while output was pending: close once flushed. */
  private closeWanted = false;
  /** The fd is closed; every method is a no-op. */
  closed = false;
  /**
   * Set once the first read is done (eager) or at accept (`--no-eager`).
   * Until then the socket is kept out of epoll: a request answered and
   * closed on its first recv never costs an epoll_ctl.
   */
  armed = false;
  /** In the epoll set, with `interest` as its event mask. */
  private watched = false;
  private interest = 0;

  /** The peer's address, read at the first remoteAddress() (undefined: not yet). */
  private peer: SocketAddress | null | undefined = undefined;

  constructor(
    readonly fd: number,
    private readonly owner: ConnectionOwner,
  ) {}

  /** The core wants `data` events and the peer has not ended. */
  get reading(): boolean {
    return !this.paused && !this.readEnded && !this.closed;
  }

  write(data: Uint8Array, last = false): number {
    if (this.closed || this.closeWanted) return 0;
    if (this.pending !== null) {
      this.wantDrain = true;
      return 0;
    }
    const length = data.length;
    let taken = 0;
    if (this.owner.eager) {
      const { libc } = this.owner;
      taken = libc.send(this.fd, data, length, last ? K.MSG_NOSIGNAL | K.MSG_MORE : K.MSG_NOSIGNAL);
      if (taken === length) return length;
      if (taken < 0) {
        const errno = libc.errno();
        // EPIPE / ECONNRESET: this connection is gone, the worker is not.
        if (errno !== K.Errno.EAGAIN && errno !== K.Errno.EINTR) {
          this.fail();
          return 0;
        }
        taken = 0;
      }
    }
    this.pending = data;
    this.pendingOffset = taken;
    this.sync();
    return length;
  }

  pause(): void {
    this.paused = true;
    this.sync();
  }

  resume(): void {
    this.paused = false;
    this.sync();
  }

  shutdown(): void {
    if (this.closed) return;
    if (this.pending !== null) this.shutdownWanted = true;
    // ENOTCONN after a reset is harmless: the next recv reports the reset.
    else this.owner.libc.shutdown(this.fd, K.SHUT_WR);
  }

  close(): void {
    if (this.closed) return;
    if (this.pending !== null) {
      this.closeWanted = true;
      this.sync();
    } else this.closeNow();
  }

  /**
   * EPOLLOUT: sends what is pending. Returns true when the core should get
   * `drain` (a write was refused and everything is flushed now).
   */
  flush(): boolean {
    const data = this.pending;
    if (data === null || this.closed) return false;
    const { libc } = this.owner;
    const rest = this.pendingOffset === 0 ? data : data.subarray(this.pendingOffset);
    const sent = libc.send(this.fd, rest, rest.length, K.MSG_NOSIGNAL);
    if (sent < 0) {
      const errno = libc.errno();
      if (errno !== K.Errno.EAGAIN && errno !== K.Errno.EINTR) this.fail();
      return false;
    }
    if (sent < rest.length) {
      this.pendingOffset += sent;
      return false;
    }
    this.pending = null;
    this.pendingOffset = 0;
    if (this.closeWanted) {
      this.closeNow();
      return false;
    }
    if (this.shutdownWanted) {
      this.shutdownWanted = false;
      libc.shutdown(this.fd, K.SHUT_WR);
    }
    this.sync();
    if (!this.wantDrain) return false;
    this.wantDrain = false;
    return true;
  }

  abort(): void {
    if (!this.closed) this.fail();
  }

  reset(): void {
    if (this.closed) return;
    // Should setsockopt fail, the close below still ends the connection (with a FIN).
    this.owner.libc.setsockopt(this.fd, K.SOL_SOCKET, K.SO_LINGER, K.LINGER_RESET, K.LINGER_RESET.length);
    this.fail();
  }

  // getpeername/getsockname only when echo or the access log asks: accept4 is called without an address buffer.
  remoteAddress(): SocketAddress | null {
    if (this.closed) return null;
    // A TCP peer never changes: one getpeername per connection, not one per logged or echoed request.
    if (this.peer === undefined) this.peer = socketAddress(this.owner.libc, this.fd, true);
    return this.peer;
  }
  localAddress(): SocketAddress | null {
    return this.closed ? null : socketAddress(this.owner.libc, this.fd, false);
  }

  /** The socket failed (reset, broken pipe): close it without flushing. */
  fail(): void {
    this.pending = null;
    this.closeNow();
  }

  /** Makes the epoll interest match the state: EPOLLIN while reading, EPOLLOUT while output is pending. */
  sync(): void {
    if (this.closed) return;
    const want = (this.reading ? K.EPOLLIN : 0) | (this.pending !== null ? K.EPOLLOUT : 0);
    if (!this.watched) {
      if (want === 0 || (!this.armed && this.pending === null)) return;
      if (!this.owner.watch(this.fd, K.EPOLL_CTL_ADD, want)) return this.fail();
      this.watched = true;
    } else if (want !== this.interest) {
      if (!this.owner.watch(this.fd, K.EPOLL_CTL_MOD, want)) return this.fail();
    }
    this.interest = want;
  }

  private closeNow(): void {
    this.closed = true;
    // close() also removes the fd from the epoll set (no other descriptor refers to it), so no EPOLL_CTL_DEL.
    this.owner.libc.close(this.fd);
    this.owner.released(this);
  }
}
