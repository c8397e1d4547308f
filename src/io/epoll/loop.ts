/**
 * The `--io syscall` event loop: one per worker process, owning its
 * sockets through libc (meinheld/picoev's design). Per connection-close
 * request it makes exactly `accept4, recv, send, close`: TCP_DEFER_ACCEPT
 * means the request is there when accept4 returns, so the loop recv()s at
 * once, and the core's answer is sent at once; only a socket that would
 * block (or a kept-alive one) enters epoll.
 *
 * epoll_wait blocks the JS thread, so the loop runs in batches of at most
 * BATCH_MS and yields to the runtime in between: runtime signal handlers
 * (SIGTERM drain, SIGHUP), timers and IPC run there. A signal that lands
 * on the JS thread interrupts epoll_wait (EINTR, never restarted:
 * signal(7)) and yields at once. The yield is setImmediate (≈3 µs), except
 * that it is a setTimeout(0) "park" (≈1–2 ms, the runtime blocks in its own
 * poller) after a batch with no events, and on Deno at least every
 * DENO_PARK_EVERY_MS: Deno 2.9 polls its I/O driver, which receives
 * signals, only when it parks; with setImmediate alone a SIGTERM waited
 * 160–280 ms (measured), with the park 7–18 ms. Bun handles signals on any
 * setImmediate turn (12–15 ms measured), so it parks only when idle.
 */
import type { ConnectionHandler, ListenOptions, Listener } from "../../contract/socket.ts";
import { syscallUnavailableReason, type Runtime } from "../available.ts";
import { EpollConnection, type ConnectionOwner } from "./connection.ts";
import { SyscallError } from "../errno.ts";
import { loadLibc, type Libc } from "../ffi/libc.ts";
import { openListener } from "../listen.ts";
import * as K from "../constants.ts";
import { closeReleased, handlerFailed, LoopTurns, TRANSIENT_ACCEPT_ERRORS, Turn, type SyscallLoopHooks } from "../turns.ts";

const MAX_EVENTS = 256;
/** accept4 calls per listener wake-up, so a connection flood cannot starve open connections. */
const MAX_ACCEPTS_PER_WAKE = 128;
/** One receive buffer per worker; `data` gets a view that is valid only during the call. */
const RECV_BUFFER_SIZE = 64 * 1024;
/** Receive views up to this length are cached per length, so a read allocates nothing. */
const VIEW_CACHE_MAX = 4096;

export type { SyscallLoopHooks };

export interface SyscallServerOptions extends ListenOptions {
  /** false = `--no-eager`: wait for EPOLLIN after accept and EPOLLOUT before every send. */
  eager: boolean;
  runtime: Runtime;
}

export interface SyscallListener extends Listener {
  /** Settles when the loop has ended: stopped and every connection closed (rejects on a fatal error). */
  readonly closed: Promise<void>;
}

/** Binds, then serves on a loop of its own until `stop()` and the last connection closes. */
export async function runSyscallServer<C>(
  options: SyscallServerOptions,
  handler: ConnectionHandler<C>,
  hooks: SyscallLoopHooks,
): Promise<SyscallListener> {
  const reason = syscallUnavailableReason(options.runtime);
  if (reason !== null) throw new Error(reason);
  const libc = await loadLibc(options.runtime);
  const listener = openListener(libc, options);
  const epfd = libc.epollCreate1(K.EPOLL_CLOEXEC);
  if (epfd < 0) {
    const errno = libc.errno();
    libc.close(listener.fd);
    throw new SyscallError("epoll_create1", errno);
  }
  const loop = new SyscallLoop<C>(libc, epfd, listener.fd, options.eager, new LoopTurns(hooks, options.runtime), handler);
  if (!loop.watch(listener.fd, K.EPOLL_CTL_ADD, K.EPOLLIN)) {
    const errno = libc.errno();
    libc.close(listener.fd);
    libc.close(epfd);
    throw new SyscallError("epoll_ctl", errno, "(listener)");
  }
  loop.start();
  return { port: listener.port, stop: () => loop.stop(), closed: loop.closed };
}

class SyscallLoop<C> implements ConnectionOwner {
  /** Open connections by fd (fds are small integers, so an array beats a Map). */
  private readonly conns: (EpollConnection<C> | undefined)[] = [];
  private openCount = 0;
  /** Connections closed inside a callback; the handler's `close` runs once that callback returns. */
  private readonly closedQueue: EpollConnection<C>[] = [];
  private readonly events = new Uint8Array(MAX_EVENTS * K.EPOLL_EVENT_SIZE);
  /** 12-byte packed events are 4-byte aligned: [3i] = events, [3i+1] = low half of data (the fd). */
  private readonly eventWords = new Uint32Array(this.events.buffer);
  private readonly eventCell = new Uint8Array(K.EPOLL_EVENT_SIZE);
  private readonly eventCellWords = new Uint32Array(this.eventCell.buffer);
  private readonly recvBuffer = new Uint8Array(RECV_BUFFER_SIZE);
  private readonly views: (Uint8Array | undefined)[] = [];
  private listening = true;
  private finished = false;
  readonly closed: Promise<void>;
  private settle!: (error?: unknown) => void;

  constructor(
    readonly libc: Libc,
    private readonly epfd: number,
    private readonly listenFd: number,
    readonly eager: boolean,
    private readonly turns: LoopTurns,
    private readonly handler: ConnectionHandler<C>,
  ) {
    this.closed = new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    this.batch = turns.batch({
      finished: () => this.finished,
      drained: () => !this.listening && this.openCount === 0,
      turn: (waitMs) => this.turn(waitMs),
      finish: (error) => this.finish(error),
      afterTick: () => this.flushClosed(),
      resumeAccept: () => {
        if (this.listening) this.watch(this.listenFd, K.EPOLL_CTL_MOD, K.EPOLLIN);
      },
    });
  }

  start(): void {
    setImmediate(this.batch);
  }

  stop(): void {
    if (!this.listening) return;
    this.listening = false;
    this.libc.close(this.listenFd);
  }

  watch(fd: number, op: number, events: number): boolean {
    this.eventCellWords[0] = events;
    this.eventCellWords[1] = fd;
    this.eventCellWords[2] = 0;
    return this.libc.epollCtl(this.epfd, op, fd, this.eventCell) === 0;
  }

  released(conn: EpollConnection<unknown>): void {
    this.conns[conn.fd] = undefined;
    this.openCount--;
    this.closedQueue.push(conn as EpollConnection<C>);
  }

  private readonly batch: () => void;

  /** One wait on the epoll set and the dispatch of what it returned. */
  private turn(waitMs: number): Turn {
    const n = this.libc.epollWait(this.epfd, this.events, MAX_EVENTS, waitMs);
    if (n < 0) {
      const errno = this.libc.errno();
      if (errno === K.Errno.EINTR) return Turn.INTERRUPTED;
      throw new SyscallError("epoll_wait", errno);
    }
    if (n === 0) return Turn.IDLE;
    this.turns.events();
    const words = this.eventWords;
    for (let i = 0; i < n; i++) this.dispatch(words[3 * i]!, words[3 * i + 1]!);
    return Turn.EVENTS;
  }

  private dispatch(events: number, fd: number): void {
    if (fd === this.listenFd) {
      if (this.listening) this.acceptAll();
      return;
    }
    const conn = this.conns[fd];
    if (conn === undefined) return;
    try {
      // An event may be stale when its fd was closed and reused earlier in this batch: every path below tolerates that.
      if (conn.pending !== null && (events & (K.EPOLLOUT | K.EPOLLERR | K.EPOLLHUP)) !== 0) {
        if (conn.flush()) this.handler.drain(conn.state);
      }
      if (!conn.closed && (events & (K.EPOLLIN | K.EPOLLERR | K.EPOLLHUP)) !== 0) {
        if (conn.reading) this.read(conn);
        // Hang-up or error while not reading and with nothing to send: nothing more can happen on it.
        else if ((events & (K.EPOLLERR | K.EPOLLHUP)) !== 0 && conn.pending === null) conn.fail();
      }
    } catch (error) {
      this.contain(conn, error);
    }
    this.flushClosed();
  }

  private acceptAll(): void {
    const { libc } = this;
    for (let i = 0; i < MAX_ACCEPTS_PER_WAKE; i++) {
      const fd = libc.accept4(this.listenFd, K.SOCK_NONBLOCK | K.SOCK_CLOEXEC);
      if (fd < 0) {
        const errno = libc.errno();
        if (errno === K.Errno.EAGAIN) return;
        if (TRANSIENT_ACCEPT_ERRORS.has(errno)) continue;
        return this.backOffAccepting(errno);
      }
      const conn = new EpollConnection<C>(fd, this);
      this.conns[fd] = conn;
      this.openCount++;
      try {
        conn.state = this.handler.open(conn);
        if (this.eager) this.read(conn);
        else {
          conn.armed = true;
          conn.sync();
        }
      } catch (error) {
        this.contain(conn, error);
      }
      this.flushClosed();
    }
  }

  /** Out of descriptors or memory: stop polling the listener for a while instead of spinning on it. */
  private backOffAccepting(errno: number): void {
    this.watch(this.listenFd, K.EPOLL_CTL_MOD, 0);
    this.turns.backOffAccept("accept4", errno);
  }

  private read(conn: EpollConnection<C>): void {
    const n = this.libc.recv(conn.fd, this.recvBuffer, RECV_BUFFER_SIZE, 0);
    if (n > 0) this.handler.data(conn.state, this.view(n));
    else if (n === 0) {
      conn.readEnded = true;
      conn.sync();
      this.handler.end(conn.state);
    } else {
      const errno = this.libc.errno();
      // ECONNRESET and friends end this connection only.
      if (errno !== K.Errno.EAGAIN && errno !== K.Errno.EINTR) return conn.fail();
    }
    if (!conn.armed) {
      conn.armed = true;
      conn.sync();
    }
  }

  private view(length: number): Uint8Array {
    if (length > VIEW_CACHE_MAX) return this.recvBuffer.subarray(0, length);
    return (this.views[length] ??= this.recvBuffer.subarray(0, length));
  }

  private flushClosed(): void {
    closeReleased(this.closedQueue, this.handler, this.turns.warn);
  }

  /** A handler callback threw: drop that connection, keep the worker. */
  private contain(conn: EpollConnection<C>, error: unknown): void {
    this.turns.warn(handlerFailed(error));
    if (!conn.closed) conn.fail();
  }

  private finish(error?: unknown): void {
    this.finished = true;
    this.stop();
    for (const conn of this.conns) if (conn !== undefined) conn.fail();
    this.flushClosed();
    this.libc.close(this.epfd);
    this.settle(error);
  }
}
