/**
 * The `--io uring` loop: one io_uring per worker, completion-driven.
 *
 * One multishot ACCEPT on the listener yields every new connection; one
 * multishot RECV per connection, into a provided-buffer ring, yields its
 * bytes; the core's answers are copied into mapped send slots and go out
 * as SEND (MSG_WAITALL, and MSG_MORE + a linked CLOSE when the connection
 * ends, so the answer leaves with the FIN as in the epoll back end);
 * CLOSE and ASYNC_CANCEL go through the ring too (a half-close does not:
 * see shutdownFd). A loop turn is
 * one io_uring_enter(GETEVENTS): it submits every SQE the previous turn
 * queued, runs the kernel's deferred completions (DEFER_TASKRUN) and waits
 * for at least one CQE or the core's next timer. Under load one turn
 * serves many connections, which is how it gets below one system call per
 * request.
 *
 * The JS thread blocks in io_uring_enter, so turns run in batches of at
 * most BATCH_MS and the loop yields to the runtime in between, as the epoll
 * loop does (src/io/epoll/loop.ts: the same yields, the same Deno park rule), so
 * SIGTERM, SIGHUP and timers run.
 *
 * user_data of every SQE: low word = connection index (send slot for SEND),
 * high word = operation | generation << 8. A generation check drops stale
 * completions of a connection whose index was reused.
 */
import type { ConnectionHandler } from "../../contract/socket.ts";
import type { SyscallListener } from "../epoll/loop.ts";
import { closeReleased, handlerFailed, LoopTurns, TRANSIENT_ACCEPT_ERRORS, Turn, type SyscallLoopHooks } from "../turns.ts";
import type { Runtime } from "../available.ts";
import type { ListenOptions } from "../../contract/socket.ts";
import { SyscallError, describeErrno } from "../errno.ts";
import { loadLibc, type Libc } from "../ffi/libc.ts";
import { openListener } from "../listen.ts";
import * as K from "../constants.ts";
import * as U from "./constants.ts";
import { BufferRing, Ring, UringRefused, describeSetupFlags } from "./ring.ts";
import { loadUringSys, type UringSys } from "../ffi/uring.ts";
import { SendSlots, UringConnection, type UringConnectionOwner } from "./connection.ts";

const SQ_ENTRIES = 4096;
/** Many connections complete in one turn at 16k connections; a CQ overflow is not lost (NODROP), only slower. */
const CQ_ENTRIES = 16384;
/** Provided receive buffers: recycled right after their `data` call, so they only bound one turn's receives. */
const BUFFER_COUNT = 4096;
const BUFFER_SIZE = 4096;
const BUFFER_GROUP = 0;

const OP_ACCEPT = 1;
const OP_RECV = 2;
const OP_SEND = 3;
const OP_CLOSE = 4;
const OP_CANCEL = 5;

export interface UringServerOptions extends ListenOptions {
  runtime: Runtime;
}

export interface UringListener extends SyscallListener {
  /** The io_uring_setup flags the kernel took, e.g. `SINGLE_ISSUER|DEFER_TASKRUN|SUBMIT_ALL|CQSIZE`. */
  readonly setupFlags: string;
}

/**
 * Sets up the ring (throwing {@link UringRefused} with the reason when the kernel refuses
 * io_uring or lacks what the loop needs), binds, and serves until `stop()` and the last
 * connection closes.
 */
export async function runUringServer<C>(
  options: UringServerOptions,
  handler: ConnectionHandler<C>,
  hooks: SyscallLoopHooks,
): Promise<UringListener> {
  const runtime = options.runtime;
  const sys = await loadUringSys(runtime);
  const fake = globalThis.process?.env?.HELLO_URING_FAKE_ERRNO;
  if (fake !== undefined && fake !== "") {
    // Tests force the refusal path with the errno a seccomp profile would give (EPERM = 1).
    throw new UringRefused(`io_uring_setup: ${describeErrno(Number(fake))} (forced by HELLO_URING_FAKE_ERRNO)`);
  }
  const ring = new Ring(sys, SQ_ENTRIES, CQ_ENTRIES);
  let listenFd = -1;
  try {
    const missing = ring.missingOps();
    if (missing.length > 0) throw new UringRefused(`the kernel lacks io_uring opcodes ${missing.join(", ")}`);
    const buffers = ring.registerBufferRing(BUFFER_GROUP, BUFFER_COUNT, BUFFER_SIZE);
    const libc = await loadLibc(runtime);
    const listener = openListener(libc, options);
    listenFd = listener.fd;
    const loop = new UringLoop<C>(sys, libc, ring, buffers, listener.fd, new LoopTurns(hooks, runtime), handler);
    loop.probeMultishot();
    loop.start();
    return { port: listener.port, stop: () => loop.stop(), closed: loop.closed, setupFlags: describeSetupFlags(ring.flags) };
  } catch (error) {
    ring.close();
    if (listenFd >= 0) (await loadLibc(runtime)).close(listenFd);
    throw error;
  }
}

export class UringLoop<C> implements UringConnectionOwner<C> {
  /** Connections by index; an index is reused once its CLOSE has completed. */
  private readonly conns: (UringConnection<C> | undefined)[] = [];
  private readonly freeIndexes: number[] = [];
  private generation = 0;
  private openCount = 0;
  readonly slots: SendSlots;
  private readonly dirty: UringConnection<C>[] = [];
  private readonly closedQueue: UringConnection<C>[] = [];
  private readonly sq: Uint32Array;
  private listening = true;
  /** A multishot ACCEPT is in the kernel: its last CQE (no CQE_F_MORE) has not been reaped yet. */
  private acceptArmed = false;
  private finished = false;
  /** While reaping: the CQ head just past the CQE being handled (-1 otherwise). */
  private reapHead = -1;
  readonly closed: Promise<void>;
  private settle!: (error?: unknown) => void;

  constructor(
    private readonly sys: UringSys,
    readonly libc: Libc,
    private readonly ring: Ring,
    private readonly buffers: BufferRing,
    private readonly listenFd: number,
    private readonly turns: LoopTurns,
    private readonly handler: ConnectionHandler<C>,
  ) {
    this.slots = new SendSlots(sys);
    this.sq = ring.sqes;
    ring.beforeSubmit = () => {
      buffers.publish();
      if (this.reapHead >= 0) ring.cqRelease(this.reapHead);
    };
    this.closed = new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    this.batch = turns.batch({
      finished: () => this.finished,
      // After stop(), not before the cancelled ACCEPT's last CQE: one posted before the cancel may hold a connection.
      drained: () => !this.listening && this.openCount === 0 && !this.acceptArmed,
      turn: (waitMs) => this.turn(waitMs),
      settle: () => this.submitQueued(),
      finish: (error) => this.finish(error),
      afterTick: () => this.flushClosed(),
      resumeAccept: () => {
        if (this.listening) this.armAccept();
      },
    });
  }

  /**
   * Multishot RECV needs 6.0 and multishot ACCEPT 5.19; IORING_REGISTER_PROBE lists opcodes,
   * not their flags. Both are tried here: an old kernel rejects the flag at submission
   * (EINVAL), a new one runs the RECV on the listening socket (ENOTCONN) and arms the ACCEPT.
   */
  probeMultishot(): void {
    this.armAccept();
    const w = this.ring.sqe();
    this.sq[w] = U.Op.RECV | (U.IOSQE_BUFFER_SELECT << 8) | (U.RECV_MULTISHOT << 16);
    this.sq[w + U.Sqe.FD] = this.listenFd;
    this.sq[w + U.Sqe.BUF_GROUP] = BUFFER_GROUP;
    this.sq[w + U.Sqe.USER_DATA_LO] = 0;
    this.sq[w + U.Sqe.USER_DATA_HI] = OP_RECV;
    const n = this.ring.enter(0, -1);
    if (n < 0) throw new SyscallError("io_uring_enter", this.sys.errno(), "(probe)");
    const words = this.ring.cqWords;
    const ints = this.ring.cqInts;
    let head = this.ring.cqHeadValue();
    const tail = this.ring.cqReady();
    for (; head !== tail; head = (head + 1) >>> 0) {
      const w = this.ring.cqes + ((head & this.ring.cqMask) << 2);
      const op = words[w + 1]! & 0xff;
      const res = ints[w + 2]!;
      if (res === -U.E.EINVAL) {
        throw new UringRefused(`the kernel rejects multishot ${op === OP_ACCEPT ? "accept (5.19)" : "recv (6.0)"}`);
      }
      if (op === OP_ACCEPT) this.completeAccept(res, words[w + 3]!);
    }
    this.ring.cqRelease(head);
  }

  start(): void {
    setImmediate(this.batch);
  }

  stop(): void {
    if (!this.listening) return;
    this.listening = false;
    this.cancel(0, OP_ACCEPT);
    // Submitted now, not at the next turn: the ACCEPT holds the listening socket open until it is cancelled.
    this.ring.enter(0, -1, 0);
    this.libc.close(this.listenFd);
  }

  markDirty(conn: UringConnection<C>): void {
    if (conn.dirty) return;
    conn.dirty = true;
    this.dirty.push(conn);
  }

  private userData(w: number, low: number, op: number, generation: number): void {
    this.sq[w + U.Sqe.USER_DATA_LO] = low;
    this.sq[w + U.Sqe.USER_DATA_HI] = (op | (generation << 8)) >>> 0;
  }

  private armAccept(): void {
    const w = this.ring.sqe();
    this.sq[w] = U.Op.ACCEPT | (U.ACCEPT_MULTISHOT << 16);
    this.sq[w + U.Sqe.FD] = this.listenFd;
    this.sq[w + U.Sqe.OP_FLAGS] = K.SOCK_NONBLOCK | K.SOCK_CLOEXEC;
    this.userData(w, 0, OP_ACCEPT, 0);
    this.acceptArmed = true;
  }

  /**
   * A connection's first RECV is single-shot: a request answered with a close (the
   * connection-close case) then needs no ASYNC_CANCEL and no final -ECANCELED CQE. Every
   * later one is multishot: one SQE for the rest of a kept-alive connection's life.
   */
  armRecv(conn: UringConnection<C>, multishot = true): void {
    const w = this.ring.sqe();
    this.sq[w] = U.Op.RECV | (U.IOSQE_BUFFER_SELECT << 8) | ((multishot ? U.RECV_MULTISHOT : 0) << 16);
    this.sq[w + U.Sqe.FD] = conn.fd;
    this.sq[w + U.Sqe.BUF_GROUP] = BUFFER_GROUP;
    this.userData(w, conn.index, OP_RECV, conn.generation);
    conn.recvArmed = true;
    conn.recvCancelled = false;
  }

  cancelRecv(conn: UringConnection<C>): void {
    conn.recvCancelled = true;
    this.cancel(conn.index, (OP_RECV | (conn.generation << 8)) >>> 0);
  }

  /** ASYNC_CANCEL of the request whose user_data is (low, high); its success needs no CQE. */
  private cancel(low: number, high: number): void {
    const w = this.ring.sqe();
    this.sq[w] = U.Op.ASYNC_CANCEL | (U.IOSQE_CQE_SKIP_SUCCESS << 8);
    this.sq[w + U.Sqe.ADDR_LO] = low;
    this.sq[w + U.Sqe.ADDR_HI] = high;
    this.userData(w, 0, OP_CANCEL, 0);
  }

  /** ASYNC_CANCEL of every request on the connection's fd (abort). */
  private cancelAll(conn: UringConnection<C>): void {
    const w = this.ring.sqe();
    this.sq[w] = U.Op.ASYNC_CANCEL | (U.IOSQE_CQE_SKIP_SUCCESS << 8);
    this.sq[w + U.Sqe.FD] = conn.fd;
    this.sq[w + U.Sqe.OP_FLAGS] = U.ASYNC_CANCEL_FD | U.ASYNC_CANCEL_ALL;
    this.userData(w, 0, OP_CANCEL, 0);
  }

  /**
   * `last`: MSG_MORE and linked to the CLOSE that follows, so the answer leaves with the FIN;
   * its success posts no CQE (the CLOSE's completion says it is done and frees the slot).
   */
  private send(conn: UringConnection<C>, slot: number, length: number, last: boolean): void {
    const w = this.ring.sqe();
    this.sq[w] = U.Op.SEND | ((last ? U.IOSQE_IO_LINK | U.IOSQE_CQE_SKIP_SUCCESS : 0) << 8);
    this.sq[w + U.Sqe.FD] = conn.fd;
    const address = this.slots.address(slot);
    this.sq[w + U.Sqe.ADDR_LO] = address % 4294967296;
    this.sq[w + U.Sqe.ADDR_HI] = Math.floor(address / 4294967296);
    this.sq[w + U.Sqe.LEN] = length;
    this.sq[w + U.Sqe.OP_FLAGS] = K.MSG_NOSIGNAL | U.MSG_WAITALL | (last ? K.MSG_MORE : 0);
    this.userData(w, slot, OP_SEND, conn.generation);
    conn.sending = slot;
    conn.sendLinked = last;
  }

  private closeFd(conn: UringConnection<C>): void {
    const w = this.ring.sqe();
    this.sq[w] = U.Op.CLOSE;
    this.sq[w + U.Sqe.FD] = conn.fd;
    this.userData(w, conn.index, OP_CLOSE, conn.generation);
    conn.closing = true;
  }

  /**
   * A plain shutdown(2), off the ring. The ring's SHUTDOWN always runs in an io-wq worker, which
   * resolves the fd only when it runs: a CLOSE issued meanwhile (the peer closed first) frees the
   * number, the next accept takes the lowest free one, and the late SHUTDOWN then half-closed that
   * new connection (measured: 61 of 12,000 keep-alive connections ended after their first answer,
   * beside refused requests whose clients closed at once; the metrics listener's sockets, in the
   * same process, too). Only refusals and drains shut down, so the system call costs nothing here.
   */
  private shutdownFd(conn: UringConnection<C>): void {
    this.libc.shutdown(conn.fd, K.SHUT_WR);
  }

  /** The socket failed, or the core aborted it: cancel what is in flight, close, release now. */
  fail(conn: UringConnection<C>): void {
    if (conn.closed) return;
    if (!conn.closing) {
      // The fd is still this connection's (no CLOSE issued yet), so cancelling by fd is safe.
      this.cancelAll(conn);
      this.closeFd(conn);
    } else if (conn.sending >= 0) {
      // A CLOSE is linked behind this SEND (a peer that does not read): cancel the SEND by its
      // user_data, never by fd, which may already be another connection's; the CLOSE then
      // completes with -ECANCELED and is issued again on its own.
      this.cancel(conn.sending, (OP_SEND | (conn.generation << 8)) >>> 0);
    }
    if (conn.out >= 0) {
      this.slots.release(conn.out);
      conn.out = -1;
    }
    this.release(conn);
  }

  private release(conn: UringConnection<C>): void {
    conn.closed = true;
    this.openCount--;
    this.closedQueue.push(conn);
  }

  /** Turns this turn's writes and closes into SQEs (and a wanted half-close into shutdown(2)). */
  private flush(conn: UringConnection<C>): void {
    if (conn.rearm) {
      conn.rearm = false;
      if (!conn.recvArmed && conn.reading) this.armRecv(conn);
    }
    if (conn.closed || conn.closing || conn.sending >= 0) return;
    if (conn.out >= 0 && conn.outLength > 0) {
      const slot = conn.out;
      const length = conn.outLength;
      conn.out = -1;
      conn.outLength = 0;
      const last = conn.closeWanted;
      if (last) {
        if (conn.recvArmed && !conn.recvCancelled) this.cancelRecv(conn);
        this.send(conn, slot, length, true);
        this.closeFd(conn);
        return;
      }
      this.send(conn, slot, length, false);
      if (conn.wantDrain) {
        conn.wantDrain = false;
        this.handler.drain(conn.state);
      }
      return;
    }
    if (conn.closeWanted) {
      if (conn.out >= 0) {
        this.slots.release(conn.out);
        conn.out = -1;
      }
      if (conn.recvArmed && !conn.recvCancelled) this.cancelRecv(conn);
      this.closeFd(conn);
      return;
    }
    if (conn.shutdownWanted) {
      conn.shutdownWanted = false;
      this.shutdownFd(conn);
    }
  }

  private flushDirty(): void {
    const list = this.dirty;
    for (let i = 0; i < list.length; i++) {
      const conn = list[i]!;
      conn.dirty = false;
      try {
        this.flush(conn);
      } catch (error) {
        this.contain(conn, error);
      }
    }
    list.length = 0;
    this.flushClosed();
  }

  private readonly batch: () => void;

  /** Submits what is queued, waits for one completion (or `waitMs`) and reaps every CQE there is. */
  private turn(waitMs: number): Turn {
    this.flushDirty();
    this.buffers.publish();
    const n = this.ring.enter(1, waitMs);
    let interrupted = false;
    if (n < 0) {
      const errno = this.sys.errno();
      if (errno === U.E.EINTR) interrupted = true;
      else if (errno !== U.E.ETIME && errno !== U.E.EBUSY && errno !== U.E.EAGAIN) throw new SyscallError("io_uring_enter", errno);
    }
    // One clock read per turn, as the epoll loop does after its wait (see SyscallLoopHooks.clock).
    this.turns.events();
    return (this.reap() > 0 ? Turn.EVENTS : Turn.IDLE) | (interrupted ? Turn.INTERRUPTED : Turn.IDLE);
  }

  /** What the last turn's completions queued goes out before the runtime gets its turn. */
  private submitQueued(): void {
    this.flushDirty();
    this.buffers.publish();
    if (this.ring.queued > 0) this.ring.enter(0, -1, 0);
  }

  /** Consumes every CQE there is (acquire the tail, read, release the head); returns how many. */
  private reap(): number {
    const ring = this.ring;
    const words = ring.cqWords;
    const ints = ring.cqInts;
    const base = ring.cqes;
    const mask = ring.cqMask;
    let head = ring.cqHeadValue();
    let count = 0;
    for (let tail = ring.cqReady(); head !== tail; tail = ring.cqReady()) {
      while (head !== tail) {
        const w = base + ((head & mask) << 2);
        const low = words[w]!;
        const high = words[w + 1]!;
        const res = ints[w + 2]!;
        const flags = words[w + 3]!;
        head = (head + 1) >>> 0;
        count++;
        // Released once per batch below (an Atomics.store per CQE measurably cost Deno user
        // time), or early by a submission a handler triggers (a full SQ): its inline
        // completions need the room.
        this.reapHead = head;
        this.complete(low, high, res, flags);
      }
      ring.cqRelease(head);
    }
    this.reapHead = -1;
    return count;
  }

  private complete(low: number, high: number, res: number, flags: number): void {
    const op = high & 0xff;
    if (op === OP_RECV) return this.completeRecv(low, high >>> 8, res, flags);
    if (op === OP_SEND) return this.completeSend(low, high >>> 8, res);
    if (op === OP_ACCEPT) return this.completeAccept(res, flags);
    if (op === OP_CLOSE) return this.completeClose(low, high >>> 8, res);
    // OP_CANCEL posts only failures (CQE_SKIP_SUCCESS): ENOENT/EALREADY (already done).
  }

  private lookup(index: number, generation: number): UringConnection<C> | undefined {
    const conn = this.conns[index];
    return conn !== undefined && conn.generation === generation ? conn : undefined;
  }

  private completeAccept(res: number, flags: number): void {
    if ((flags & U.CQE_F_MORE) === 0) this.acceptArmed = false;
    if (res >= 0) {
      // Served even after stop(): the kernel accepted it before the cancel took effect, and its
      // client may have sent a request already; closing it would reset that request (a rolling
      // restart's lost connection). The core, draining, answers it with Connection: close.
      this.open(res);
    } else if (res !== -U.E.ECANCELED && !TRANSIENT_ACCEPT_ERRORS.has(-res) && (flags & U.CQE_F_MORE) === 0) {
      // Out of descriptors or memory: the multishot ACCEPT ended; arm it again after a pause instead of spinning.
      this.turns.backOffAccept("accept", -res);
      return;
    }
    if ((flags & U.CQE_F_MORE) === 0 && this.listening && !this.turns.acceptBackingOff) this.armAccept();
  }

  private open(fd: number): void {
    const index = this.freeIndexes.length > 0 ? this.freeIndexes.pop()! : this.conns.length;
    this.generation = (this.generation + 1) & 0xffffff;
    const conn = new UringConnection<C>(fd, index, this.generation, this);
    this.conns[index] = conn;
    this.openCount++;
    try {
      conn.state = this.handler.open(conn);
      if (conn.reading) this.armRecv(conn, false);
    } catch (error) {
      this.contain(conn, error);
    }
    this.flushClosed();
  }

  private completeRecv(index: number, generation: number, res: number, flags: number): void {
    const conn = this.lookup(index, generation);
    const bid = (flags & U.CQE_F_BUFFER) !== 0 ? flags >>> U.CQE_BUFFER_SHIFT : -1;
    try {
      if (conn === undefined) return;
      const more = (flags & U.CQE_F_MORE) !== 0;
      if (!more) conn.recvArmed = false;
      if (conn.closed) return;
      if (res > 0) this.handler.data(conn.state, this.buffers.take(bid, res));
      else if (res === 0) {
        conn.readEnded = true;
        this.handler.end(conn.state);
      } else if (res === -U.E.ENOBUFS) {
        // Not now: an immediate RECV would fail again before the recycled buffers are published
        // (publish runs before each io_uring_enter), and could spin in this turn.
        conn.rearm = true;
        this.markDirty(conn);
        return;
      } else if (res !== -U.E.ECANCELED) {
        // ECONNRESET and friends end this connection only.
        return this.fail(conn);
      }
      // Not after the core chose to close: a RECV armed now would only be cancelled again.
      if (!more && !conn.recvArmed && conn.reading && !conn.closeWanted) this.armRecv(conn);
    } catch (error) {
      if (conn !== undefined) this.contain(conn, error);
    } finally {
      if (bid >= 0) this.buffers.recycle(bid);
      this.flushClosed();
    }
  }

  private completeSend(slot: number, generation: number, res: number): void {
    const owner = this.slots.owner[slot] as UringConnection<C> | undefined;
    // Not this SEND's connection any more: the slot was freed already and may be another's now.
    if (owner === undefined || owner.generation !== generation) return;
    this.slots.release(slot);
    owner.sending = -1;
    owner.sendLinked = false;
    if (owner.closed) return;
    try {
      // MSG_WAITALL: anything short of the whole slot means the socket failed.
      if (res < 0 || (res === 0 && !owner.closing)) return this.fail(owner);
      if (owner.out >= 0 || owner.closeWanted || owner.shutdownWanted || owner.wantDrain) this.markDirty(owner);
    } catch (error) {
      this.contain(owner, error);
    } finally {
      this.flushClosed();
    }
  }

  private completeClose(index: number, generation: number, res: number): void {
    const conn = this.lookup(index, generation);
    if (conn === undefined) return;
    conn.closing = false;
    if (res === -U.E.ECANCELED) {
      // The SEND it was linked to failed or was cancelled: the fd is still open, close it on its own.
      this.closeFd(conn);
      return;
    }
    if (conn.sendLinked && conn.sending >= 0) {
      // The linked SEND before it succeeded without a CQE of its own.
      this.slots.release(conn.sending);
      conn.sending = -1;
    }
    this.conns[index] = undefined;
    this.freeIndexes.push(index);
    if (!conn.closed) {
      this.release(conn);
      this.flushClosed();
    }
  }

  private flushClosed(): void {
    closeReleased(this.closedQueue, this.handler, this.turns.warn);
  }

  private contain(conn: UringConnection<C>, error: unknown): void {
    this.turns.warn(handlerFailed(error));
    if (!conn.closed) this.fail(conn);
  }

  private finish(error?: unknown): void {
    this.finished = true;
    this.stop();
    for (const conn of this.conns) if (conn !== undefined && !conn.closed) this.fail(conn);
    this.flushClosed();
    try {
      // The CLOSEs just queued, then the ring itself (closing it cancels whatever is left).
      if (this.ring.queued > 0) this.ring.enter(0, -1, 0);
    } finally {
      this.ring.close();
      this.settle(error);
    }
  }
}
