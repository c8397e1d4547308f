/**
 * Outgoing frames (RFC 6455 §5.2, server to client: never masked, §5.1) built in one buffer that
 * every session of the worker shares. A session builds one read's frames at the buffer's end and
 * hands them to `Transport.write` as one view in the same call, then the next session starts
 * after them: the bytes handed out are never written again (a back end may hold them until they
 * are flushed, src/adapters/types.ts), so no copy per message and no buffer per idle session.
 * The worker is single-threaded and a batch never outlives the call that built it.
 */

/** A fresh buffer's size: many small echoes fit before the next allocation. */
const SLAB_SIZE = 64 * 1024;

/** The largest server frame header: 2 bytes and a 64-bit length (§5.2). */
export const MAX_HEADER = 10;

let slab = new Uint8Array(SLAB_SIZE);
/** Where the batch in progress starts, and its end. */
let start = 0;
let end = 0;

/** Starts a batch: whatever an earlier caller left unfinished is forgotten. */
export function beginBatch(): void {
  start = end;
}

/** The buffer the batch lives in: read it again after every {@link reserve}, which may move the batch. */
export function batchBuffer(): Uint8Array {
  return slab;
}

/** Bytes in the batch so far. */
export function batchLength(): number {
  return end - start;
}

/**
 * Room for `n` more bytes at the batch's end; returns where they start. Not part of the batch
 * until {@link commit}. A batch that does not fit moves to a new buffer, so it stays one view.
 */
export function reserve(n: number): number {
  if (end + n > slab.length) {
    const length = end - start;
    const next = new Uint8Array(Math.max(SLAB_SIZE, length + n));
    next.set(slab.subarray(start, end));
    slab = next;
    start = 0;
    end = length;
  }
  return end;
}

/** The batch now ends at `at` (after bytes written into a {@link reserve}d range). */
export function commit(at: number): void {
  end = at;
}

/** Hands the batch out and starts the next one after it. */
export function takeBatch(): Uint8Array {
  const out = slab.subarray(start, end);
  start = end;
  return out;
}

/** Writes a final frame's header (FIN, `opcode`, the shortest length form) at `at`; returns its size. */
export function writeHeader(buf: Uint8Array, at: number, opcode: number, length: number): number {
  buf[at] = 0x80 | opcode;
  if (length < 126) {
    buf[at + 1] = length;
    return 2;
  }
  if (length < 0x10000) {
    buf[at + 1] = 126;
    buf[at + 2] = length >>> 8;
    buf[at + 3] = length & 0xff;
    return 4;
  }
  buf[at + 1] = 127;
  const hi = Math.floor(length / 0x100000000);
  const lo = length >>> 0;
  buf[at + 2] = 0;
  buf[at + 3] = 0;
  buf[at + 4] = hi >>> 8;
  buf[at + 5] = hi & 0xff;
  buf[at + 6] = lo >>> 24;
  buf[at + 7] = (lo >>> 16) & 0xff;
  buf[at + 8] = (lo >>> 8) & 0xff;
  buf[at + 9] = lo & 0xff;
  return 10;
}

/** Appends a whole frame with `payload[0, length)` to the batch. */
export function appendFrame(opcode: number, payload: Uint8Array, length: number): void {
  const at = reserve(MAX_HEADER + length);
  const buf = slab;
  const header = writeHeader(buf, at, opcode, length);
  buf.set(length === payload.length ? payload : payload.subarray(0, length), at + header);
  commit(at + header + length);
}

/** Appends a close frame: no body when `code` is 0 (§5.5.1: the body is optional), else the 2-byte code. */
export function appendClose(code: number): void {
  const at = reserve(4);
  const buf = slab;
  buf[at] = 0x88;
  if (code === 0) {
    buf[at + 1] = 0;
    return commit(at + 2);
  }
  buf[at + 1] = 2;
  buf[at + 2] = code >>> 8;
  buf[at + 3] = code & 0xff;
  commit(at + 4);
}
