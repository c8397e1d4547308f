/**
 * One accepted socket of the io_uring loop as a {@link Transport}, and the
 * mapped send slots its writes are copied into. The connection only records
 * what the core asked for; the loop turns it into SQEs before the next
 * io_uring_enter (loop.ts, `flush`).
 */
import type { Transport } from "../../contract/socket.ts";
import { SyscallError } from "../errno.ts";
import * as U from "./constants.ts";
import * as K from "../constants.ts";
import type { UringSys } from "../ffi/uring.ts";
import type { Libc } from "../ffi/libc.ts";
import { socketAddress, type SocketAddress } from "../address.ts";

/** One send slot holds what a connection wrote in one turn (pipelined answers coalesce into one SEND). */
export const SLOT_SIZE = 16384;
/** Send slots are mapped in chunks as the number of connections with output in flight grows. */
const SLOTS_PER_CHUNK = 64;

/** What a connection needs from the loop that owns it. */
export interface UringConnectionOwner<C> {
  readonly slots: SendSlots;
  /** For getpeername/getsockname (echo's addresses). */
  readonly libc: Libc;
  /** Flush this connection's writes, close or shutdown before the next io_uring_enter. */
  markDirty(conn: UringConnection<C>): void;
  armRecv(conn: UringConnection<C>): void;
  cancelRecv(conn: UringConnection<C>): void;
  /** Cancel what is in flight, close, release now. */
  fail(conn: UringConnection<C>): void;
}

/** Mapped memory the core's answers are copied into: the kernel reads a SEND's bytes until its CQE. */
export class SendSlots {
  private readonly addresses: number[] = [];
  private readonly bytes: Uint8Array[] = [];
  private readonly free: number[] = [];
  /** The connection a slot belongs to, for its SEND completion. */
  readonly owner: (UringConnection<unknown> | undefined)[] = [];

  constructor(private readonly sys: UringSys) {}

  alloc(conn: UringConnection<unknown>): number {
    if (this.free.length === 0) this.grow();
    const slot = this.free.pop()!;
    this.owner[slot] = conn;
    return slot;
  }

  release(slot: number): void {
    this.owner[slot] = undefined;
    this.free.push(slot);
  }

  address(slot: number): number {
    return this.addresses[slot]!;
  }

  view(slot: number): Uint8Array {
    return this.bytes[slot]!;
  }

  private grow(): void {
    const size = SLOTS_PER_CHUNK * SLOT_SIZE;
    const mapping = this.sys.mmap(size, U.PROT_READ_WRITE, U.MAP_PRIVATE | U.MAP_ANONYMOUS, -1, 0);
    if (mapping === null) throw new SyscallError("mmap", this.sys.errno(), "(send slots)");
    const base = mapping.address;
    const chunk = new Uint8Array(mapping.bytes);
    const first = this.addresses.length;
    for (let i = 0; i < SLOTS_PER_CHUNK; i++) {
      this.addresses.push(base + i * SLOT_SIZE);
      this.bytes.push(chunk.subarray(i * SLOT_SIZE, (i + 1) * SLOT_SIZE));
    }
    for (let i = SLOTS_PER_CHUNK - 1; i >= 0; i--) this.free.push(first + i);
  }
}

/**
 * One accepted socket as a {@link Transport}. States: reading (a multishot
 * RECV armed) ⇄ paused → [read ended] → close wanted → closing (CLOSE
 * submitted, maybe linked after the last SEND) → gone (CLOSE completed).
 * `closed` (released to the core) may come before `gone` on abort.
 */
export class UringConnection<C> implements Transport {
  state!: C;
  /** Slot collecting this turn's writes (-1: none), and how much it holds. */
  out = -1;
  outLength = 0;
  /** Slot of the SEND in flight (-1: none). At most one, so answers stay in order. */
  sending = -1;
  /** That SEND is linked to the CLOSE (and posts no CQE when it succeeds). */
  sendLinked = false;
  /** A write took less than asked: `drain` once the collecting slot has gone out. */
  wantDrain = false;
  paused = false;
  readEnded = false;
  /** A multishot RECV is in the kernel (until its CQE without F_MORE). */
  recvArmed = false;
  /** That RECV was asked to stop (pause or close). */
  recvCancelled = false;
  shutdownWanted = false;
  closeWanted = false;
  /** A CLOSE SQE is in flight: exactly one per connection at a time, so a reused fd is never closed. */
  closing = false;
  /** Released to the core: every Transport method is a no-op. */
  closed = false;
  /** In the loop's list of connections to flush before the next io_uring_enter. */
  dirty = false;
  /** The multishot RECV ended for want of buffers (ENOBUFS): arm it again once recycled buffers are published. */
  rearm = false;

  /** The peer's address, read at the first remoteAddress() (undefined: not yet). */
  private peer: SocketAddress | null | undefined = undefined;

  constructor(
    readonly fd: number,
    readonly index: number,
    readonly generation: number,
    private readonly loop: UringConnectionOwner<C>,
  ) {}

  get reading(): boolean {
    return !this.paused && !this.readEnded && !this.closed && !this.closing;
  }

  write(data: Uint8Array): number {
    if (this.closed || this.closeWanted) return 0;
    const loop = this.loop;
    if (this.out < 0) {
      this.out = loop.slots.alloc(this as UringConnection<unknown>);
      this.outLength = 0;
    }
    const room = SLOT_SIZE - this.outLength;
    const n = data.length <= room ? data.length : room;
    if (n > 0) {
      loop.slots.view(this.out).set(n === data.length ? data : data.subarray(0, n), this.outLength);
      this.outLength += n;
      loop.markDirty(this);
    }
    if (n < data.length) this.wantDrain = true;
    return n;
  }

  pause(): void {
    this.paused = true;
    if (this.recvArmed && !this.recvCancelled) this.loop.cancelRecv(this);
  }

  resume(): void {
    this.paused = false;
    if (!this.recvArmed && this.reading) this.loop.armRecv(this);
  }

  shutdown(): void {
    if (this.closed) return;
    this.shutdownWanted = true;
    this.loop.markDirty(this);
  }

  close(): void {
    if (this.closed || this.closeWanted) return;
    this.closeWanted = true;
    this.loop.markDirty(this);
  }

  abort(): void {
    if (!this.closed) this.loop.fail(this);
  }

  reset(): void {
    if (this.closed || this.closing) return this.abort();
    // A plain setsockopt, off the ring; the CLOSE that `fail` queues then sends the RST.
    this.loop.libc.setsockopt(this.fd, K.SOL_SOCKET, K.SO_LINGER, K.LINGER_RESET, K.LINGER_RESET.length);
    this.loop.fail(this);
  }

  // Plain system calls, off the ring: only echo and the access log ask, the peer once per connection.
  remoteAddress(): SocketAddress | null {
    if (this.closed || this.closing) return null;
    // A TCP peer never changes: one getpeername per connection, not one per logged or echoed request.
    if (this.peer === undefined) this.peer = socketAddress(this.loop.libc, this.fd, true);
    return this.peer;
  }
  localAddress(): SocketAddress | null {
    return this.closed || this.closing ? null : socketAddress(this.loop.libc, this.fd, false);
  }
}

