/**
 * One io_uring instance driven from TypeScript: setup with the best flags
 * the kernel takes, the rings mapped into this process, SQE preparation,
 * io_uring_enter, and a provided-buffer ring for multishot recv.
 *
 * Memory ordering. The kernel and this thread share the ring heads and
 * tails. The producer of a ring must make its entries visible before the
 * tail that publishes them (a release store), and the consumer must read
 * the tail before the entries (an acquire load); the kernel side does
 * smp_load_acquire / smp_store_release. Here every head and tail access is
 * Atomics.load / Atomics.store on a Uint32Array (Uint16Array for the buffer
 * ring's tail) aliasing the mapped memory: sequentially consistent, which
 * is at least acquire/release, and the JITs (JSC, V8) neither reorder
 * ordinary accesses across an Atomics access nor keep them in registers.
 * On x86-64 (TSO) that compiles to plain loads and an xchg store; on arm64
 * to ldar/stlr, which is what the barriers need there too. SQEs, CQEs and
 * buffer entries themselves are ordinary typed-array accesses.
 */
import { SyscallError } from "../errno.ts";
import * as U from "./constants.ts";
import type { UringSys } from "../ffi/uring.ts";

/** io_uring cannot be used here; the message says why (the fallback line prints it). */
export class UringRefused extends Error {
  override name = "UringRefused";
}

/** Setup flag sets tried in order: the first the kernel accepts wins (EINVAL = it lacks a flag). */
const FLAG_SETS: readonly number[] = [
  U.Setup.SINGLE_ISSUER | U.Setup.DEFER_TASKRUN | U.Setup.SUBMIT_ALL | U.Setup.CQSIZE,
  U.Setup.SINGLE_ISSUER | U.Setup.COOP_TASKRUN | U.Setup.SUBMIT_ALL | U.Setup.CQSIZE,
  U.Setup.COOP_TASKRUN | U.Setup.CQSIZE,
  U.Setup.CQSIZE,
];

const REQUIRED_FEATURES: readonly (readonly [number, string])[] = [
  [U.Feature.SINGLE_MMAP, "IORING_FEAT_SINGLE_MMAP (5.4)"],
  [U.Feature.NODROP, "IORING_FEAT_NODROP (5.5)"],
  [U.Feature.EXT_ARG, "IORING_FEAT_EXT_ARG (5.11)"],
  [U.Feature.CQE_SKIP, "IORING_FEAT_CQE_SKIP (5.17)"],
];

const REQUIRED_OPS: readonly (readonly [number, string])[] = [
  [U.Op.ACCEPT, "ACCEPT"],
  [U.Op.ASYNC_CANCEL, "ASYNC_CANCEL"],
  [U.Op.CLOSE, "CLOSE"],
  [U.Op.SEND, "SEND"],
  [U.Op.RECV, "RECV"],
];

const PAGE = 4096;
/** Scratch page layout: params, then the getevents arg, its timespec, buf_reg, probe. */
const SCRATCH_ARG = 128;
const SCRATCH_TS = 160;
const SCRATCH_BUF_REG = 192;
const SCRATCH_PROBE = 256;
const PROBE_OPS = 64;
const TWO_32 = 4294967296;

/** Names the flags of a setup flag set, for the listening line and tests. */
export function describeSetupFlags(flags: number): string {
  const names: string[] = [];
  for (const [name, bit] of Object.entries(U.Setup)) if ((flags & bit) !== 0) names.push(name);
  return names.join("|") || "none";
}

export class Ring {
  readonly fd: number;
  readonly flags: number;
  private readonly scratch: number;
  private readonly scratchWords: Uint32Array;
  /** The SQ and CQ rings (one mapping). */
  private readonly ringWords: Uint32Array;
  private readonly ringInts: Int32Array;
  /** The SQE array, as u32 words: SQE i starts at word 16 i. */
  readonly sqes: Uint32Array;
  private readonly sqHead: number;
  private readonly sqTail: number;
  private readonly sqMask: number;
  readonly sqEntries: number;
  /** Runs before a submission the ring makes on its own (a full SQ): the loop publishes recycled buffers there. */
  beforeSubmit: (() => void) | undefined;
  /** Our copy of the SQ tail: SQEs up to it are prepared, `published` of them are visible to the kernel. */
  private tail = 0;
  private published = 0;
  /** The kernel's SQ head as last read. */
  private headSeen = 0;
  readonly cqHead: number;
  readonly cqTail: number;
  readonly cqMask: number;
  /** Word index of CQE 0 in {@link ringWords}. */
  readonly cqes: number;

  /** Sets up a ring with `entries` SQEs and `cqEntries` CQEs; throws UringRefused when the kernel says no. */
  constructor(
    private readonly sys: UringSys,
    entries: number,
    cqEntries: number,
  ) {
    const page = sys.mmap(PAGE, U.PROT_READ_WRITE, U.MAP_PRIVATE | U.MAP_ANONYMOUS, -1, 0);
    if (page === null) throw new SyscallError("mmap", sys.errno(), "(io_uring scratch page)");
    const scratch = page.address;
    this.scratch = scratch;
    this.scratchWords = new Uint32Array(page.bytes);
    const p = this.scratchWords;
    let fd = -1;
    let flags = 0;
    for (const set of FLAG_SETS) {
      p.fill(0, 0, U.Params.SIZE / 4);
      p[U.Params.FLAGS / 4] = set;
      p[U.Params.CQ_ENTRIES / 4] = cqEntries;
      fd = sys.syscall(U.SYS_io_uring_setup, entries, scratch, 0, 0, 0, 0);
      if (fd >= 0) {
        flags = set;
        break;
      }
      const errno = sys.errno();
      if (errno === U.E.EINVAL) continue;
      throw new UringRefused(refusal(errno));
    }
    if (fd < 0) throw new UringRefused("io_uring_setup refused every flag set (EINVAL): the kernel is older than 5.11");
    this.fd = fd;
    this.flags = flags;
    const features = p[U.Params.FEATURES / 4]!;
    for (const [bit, name] of REQUIRED_FEATURES) {
      if ((features & bit) === 0) {
        this.close();
        throw new UringRefused(`the kernel lacks ${name}`);
      }
    }
    const word = (offset: number) => p[offset / 4]!;
    this.sqEntries = word(U.Params.SQ_ENTRIES);
    const cqCount = word(U.Params.CQ_ENTRIES);
    const ringBytes = Math.max(word(U.Params.SQ_ARRAY) + this.sqEntries * 4, word(U.Params.CQ_CQES) + cqCount * U.CQE_SIZE);
    const rings = sys.mmap(ringBytes, U.PROT_READ_WRITE, U.MAP_SHARED | U.MAP_POPULATE, fd, U.OFF_SQ_RING);
    const sqes = sys.mmap(this.sqEntries * U.SQE_SIZE, U.PROT_READ_WRITE, U.MAP_SHARED | U.MAP_POPULATE, fd, U.OFF_SQES);
    if (rings === null || sqes === null) {
      const errno = sys.errno();
      this.close();
      throw new SyscallError("mmap", errno, "(io_uring rings)");
    }
    this.ringWords = new Uint32Array(rings.bytes);
    this.ringInts = new Int32Array(rings.bytes);
    this.sqes = new Uint32Array(sqes.bytes);
    this.sqHead = word(U.Params.SQ_HEAD) / 4;
    this.sqTail = word(U.Params.SQ_TAIL) / 4;
    this.sqMask = this.ringWords[word(U.Params.SQ_RING_MASK) / 4]!;
    this.cqHead = word(U.Params.CQ_HEAD) / 4;
    this.cqTail = word(U.Params.CQ_TAIL) / 4;
    this.cqMask = this.ringWords[word(U.Params.CQ_RING_MASK) / 4]!;
    this.cqes = word(U.Params.CQ_CQES) / 4;
    // The SQ index array maps ring slot i to SQE i, once: SQEs are then filled in ring order.
    const array = word(U.Params.SQ_ARRAY) / 4;
    for (let i = 0; i < this.sqEntries; i++) this.ringWords[array + i] = i;
    this.tail = this.published = this.headSeen = Atomics.load(this.ringWords, this.sqTail);
  }

  /** The opcodes this kernel lacks among those the loop uses (IORING_REGISTER_PROBE, 5.6). */
  missingOps(): string[] {
    const probe = this.scratch + SCRATCH_PROBE;
    const bytes = new Uint8Array(this.scratchWords.buffer, SCRATCH_PROBE, U.PROBE_HEADER + PROBE_OPS * U.PROBE_OP_SIZE);
    bytes.fill(0);
    if (this.sys.syscall(U.SYS_io_uring_register, this.fd, U.REGISTER_PROBE, probe, PROBE_OPS, 0, 0) < 0) {
      return [`IORING_REGISTER_PROBE (${new SyscallError("io_uring_register", this.sys.errno()).message})`];
    }
    const lastOp = bytes[0]!;
    return REQUIRED_OPS.filter(([op]) => {
      if (op > lastOp) return true;
      const flags = bytes[U.PROBE_HEADER + op * U.PROBE_OP_SIZE + 2]! | (bytes[U.PROBE_HEADER + op * U.PROBE_OP_SIZE + 3]! << 8);
      return (flags & U.PROBE_OP_SUPPORTED) === 0;
    }).map(([, name]) => name);
  }

  /**
   * A zeroed SQE, as its first word index in {@link sqes}. When the SQ is full the
   * prepared ones are submitted first (one extra io_uring_enter, only in a burst).
   */
  sqe(): number {
    // The kernel's SQ head is read only when our last copy says the SQ is full: without
    // SQPOLL it consumes every SQE inside io_uring_enter, so the copy is rarely stale.
    if (((this.tail - this.headSeen) >>> 0) >= this.sqEntries) this.headSeen = Atomics.load(this.ringWords, this.sqHead);
    for (let tries = 0; ((this.tail - this.headSeen) >>> 0) >= this.sqEntries; tries++) {
      // Never write over an SQE the kernel has not consumed: submit, with GETEVENTS so that a
      // CQ overflow backlog (which can make a bare submission fail with EBUSY) is flushed too.
      if (tries === 8) throw new SyscallError("io_uring_enter", this.sys.errno(), "(the SQ stays full)");
      this.beforeSubmit?.();
      const n = this.enter(0, -1, U.ENTER_GETEVENTS);
      if (n < 0) {
        const errno = this.sys.errno();
        if (errno !== U.E.EINTR && errno !== U.E.EBUSY && errno !== U.E.EAGAIN) throw new SyscallError("io_uring_enter", errno, "(submitting a full SQ)");
      }
      this.headSeen = Atomics.load(this.ringWords, this.sqHead);
    }
    const w = (this.tail & this.sqMask) * 16;
    this.tail = (this.tail + 1) >>> 0;
    // Sixteen plain stores: cheaper than a fill() call per SQE on JSC.
    const q = this.sqes;
    q[w] = q[w + 1] = q[w + 2] = q[w + 3] = q[w + 4] = q[w + 5] = q[w + 6] = q[w + 7] = 0;
    q[w + 8] = q[w + 9] = q[w + 10] = q[w + 11] = q[w + 12] = q[w + 13] = q[w + 14] = q[w + 15] = 0;
    return w;
  }

  /** SQEs prepared and not yet submitted. */
  get queued(): number {
    return (this.tail - this.published) >>> 0;
  }

  /**
   * Publishes the prepared SQEs (release store of the tail), submits them and, with
   * GETEVENTS, runs the deferred completions and waits until `minComplete` CQEs are
   * there or `timeoutMs` passed (-1 = no wait at all). Returns the kernel's result:
   * SQEs submitted, or -1 with errno (EINTR: a signal; ETIME: the timeout).
   */
  enter(minComplete: number, timeoutMs: number, flags = U.ENTER_GETEVENTS): number {
    const toSubmit = (this.tail - this.published) >>> 0;
    Atomics.store(this.ringWords, this.sqTail, this.tail);
    this.published = this.tail;
    const s = this.scratchWords;
    let argAddress = 0;
    let argSize = 0;
    if (timeoutMs >= 0 && minComplete > 0) {
      // struct io_uring_getevents_arg { sigmask = 0, sigmask_sz = 0, min_wait_usec = 0, ts = &timespec }
      const ts = this.scratch + SCRATCH_TS;
      s[SCRATCH_ARG / 4] = s[SCRATCH_ARG / 4 + 1] = s[SCRATCH_ARG / 4 + 2] = s[SCRATCH_ARG / 4 + 3] = 0;
      s[SCRATCH_ARG / 4 + 4] = ts % TWO_32;
      s[SCRATCH_ARG / 4 + 5] = Math.floor(ts / TWO_32);
      const ms = Math.floor(timeoutMs);
      s[SCRATCH_TS / 4] = Math.floor(ms / 1000);
      s[SCRATCH_TS / 4 + 1] = 0;
      s[SCRATCH_TS / 4 + 2] = (ms % 1000) * 1_000_000;
      s[SCRATCH_TS / 4 + 3] = 0;
      argAddress = this.scratch + SCRATCH_ARG;
      argSize = U.GETEVENTS_ARG_SIZE;
      flags |= U.ENTER_EXT_ARG;
    }
    if (timeoutMs < 0) minComplete = 0;
    if (toSubmit === 0 && minComplete === 0 && (flags & U.ENTER_GETEVENTS) === 0) return 0;
    return this.sys.syscall(U.SYS_io_uring_enter, this.fd, toSubmit, minComplete, flags, argAddress, argSize);
  }

  /** CQ tail, acquire: CQEs below it are complete. */
  cqReady(): number {
    return Atomics.load(this.ringWords, this.cqTail);
  }

  /** CQ head, release: the kernel may reuse the CQEs below it. */
  cqRelease(head: number): void {
    Atomics.store(this.ringWords, this.cqHead, head);
  }

  cqHeadValue(): number {
    return Atomics.load(this.ringWords, this.cqHead);
  }

  /** The CQ as words (user_data lo/hi, flags) and as ints (res); CQE i starts at word cqes + 4 (i & cqMask). */
  get cqWords(): Uint32Array {
    return this.ringWords;
  }

  get cqInts(): Int32Array {
    return this.ringInts;
  }

  /** Registers a provided-buffer ring of `entries` buffers of `size` bytes as group `group` (5.19). */
  registerBufferRing(group: number, entries: number, size: number): BufferRing {
    const ringBytes = Math.max(PAGE, entries * U.BUF_SIZE);
    const ring = this.sys.mmap(ringBytes, U.PROT_READ_WRITE, U.MAP_PRIVATE | U.MAP_ANONYMOUS | U.MAP_POPULATE, -1, 0);
    // One buffer more than the ring holds: the staging buffer BufferRing.take copies into.
    const pool = this.sys.mmap((entries + 1) * size, U.PROT_READ_WRITE, U.MAP_PRIVATE | U.MAP_ANONYMOUS, -1, 0);
    if (ring === null || pool === null) throw new SyscallError("mmap", this.sys.errno(), "(provided buffers)");
    const reg = this.scratchWords;
    const at = SCRATCH_BUF_REG / 4;
    reg.fill(0, at, at + U.BUF_REG_SIZE / 4);
    reg[at] = ring.address % TWO_32;
    reg[at + 1] = Math.floor(ring.address / TWO_32);
    reg[at + 2] = entries;
    reg[at + 3] = group; // bgid (u16), flags (u16) = 0
    if (this.sys.syscall(U.SYS_io_uring_register, this.fd, U.REGISTER_PBUF_RING, this.scratch + SCRATCH_BUF_REG, 1, 0, 0) < 0) {
      const errno = this.sys.errno();
      throw new UringRefused(`IORING_REGISTER_PBUF_RING failed (${new SyscallError("io_uring_register", errno).message}): the kernel is older than 5.19`);
    }
    const buffers = new BufferRing(ring.bytes, new Uint8Array(pool.bytes), pool.address, entries, size);
    for (let bid = 0; bid < entries; bid++) buffers.recycle(bid);
    buffers.publish();
    return buffers;
  }

  close(): void {
    // close(2) through syscall(2) (nr 3 on x86_64): the ring's fd is the one descriptor this file opens.
    this.sys.syscall(3, this.fd, 0, 0, 0, 0, 0);
  }
}

/** The provided buffers multishot recv fills; the loop hands each back once its `data` call returned. */
export class BufferRing {
  private readonly words: Uint32Array;
  private readonly halves: Uint16Array;
  private tail = 0;
  private readonly mask: number;
  /** Views of the staging buffer, one per length, made once: a receive then allocates nothing. */
  private readonly views: (Uint8Array | undefined)[] = [];
  private readonly stage: number;

  constructor(
    ring: ArrayBuffer,
    readonly pool: Uint8Array,
    private readonly poolAddress: number,
    entries: number,
    readonly size: number,
  ) {
    this.words = new Uint32Array(ring);
    this.halves = new Uint16Array(ring);
    this.mask = entries - 1;
    this.stage = entries * size;
  }

  /**
   * Buffer `bid`'s first `length` bytes, copied (copyWithin, no allocation) into the staging
   * buffer and seen through a cached view of that length, as the epoll loop's one receive
   * buffer is: valid until the next take. A subarray per receive instead was garbage the GC
   * had to collect at every request; the copy of a request (tens to hundreds of bytes) is cheaper.
   */
  take(bid: number, length: number): Uint8Array {
    const start = bid * this.size;
    this.pool.copyWithin(this.stage, start, start + length);
    return (this.views[length] ??= this.pool.subarray(this.stage, this.stage + length));
  }

  /** Puts buffer `bid` back at the tail (not yet visible to the kernel: see {@link publish}). */
  recycle(bid: number): void {
    const i = this.tail & this.mask;
    const address = this.poolAddress + bid * this.size;
    this.words[i * 4] = address % TWO_32;
    this.words[i * 4 + 1] = Math.floor(address / TWO_32);
    this.words[i * 4 + 2] = this.size;
    this.halves[i * 8 + 6] = bid;
    this.tail = (this.tail + 1) & 0xffff;
  }

  /** Release store of the u16 tail, which overlays buf[0].resv: the entries written before it become the kernel's. */
  publish(): void {
    Atomics.store(this.halves, 7, this.tail);
  }
}

function refusal(errno: number): string {
  if (errno === U.E.ENOSYS) return "io_uring_setup: ENOSYS (this kernel has no io_uring, or it is compiled out)";
  if (errno === U.E.EPERM) {
    return "io_uring_setup: EPERM (refused by seccomp, as Docker's and containerd's default profiles do, or by kernel.io_uring_disabled)";
  }
  if (errno === U.E.EACCES) return "io_uring_setup: EACCES (kernel.io_uring_disabled=1 and this process is not in kernel.io_uring_group)";
  return new SyscallError("io_uring_setup", errno).message;
}
