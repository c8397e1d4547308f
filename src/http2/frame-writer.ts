/**
 * Encodes frames into one output batch, so that everything produced while
 * handling a read goes out in a single Transport.write (h2o and Go coalesce
 * their write queues the same way). Batches are cut from one slab that every
 * session of the worker shares, appended at its end and never rewritten once
 * handed out (a back end may keep a reference until flushed, src/contract/socket.ts),
 * as the WebSocket output does (src/ws/output.ts): an idle session holds no
 * buffer, only where its unfinished batch lies.
 */
import { Flag, FrameType, Protocol } from "./constants.ts";

/**
 * Slab size: many reads' worth of small answers (32 streams of HEADERS + a short DATA fit in
 * under 2 KiB); a batch larger than this gets a slab of its own size. One per worker, not per
 * session: a 4 KiB slab per session was half of what an idle h2c connection cost (8.1 KB of RSS
 * against 1.4 KB for an idle HTTP/1.1 one, bench/h2/held.ts, 10,000 on Bun).
 */
const SLAB = 64 * 1024;

const EMPTY = new Uint8Array(0);

/** The worker's slab and where its unclaimed room starts: bytes before `end` belong to some batch. */
let shared = new Uint8Array(SLAB);
let sharedEnd = 0;

export class FrameWriter {
  /** The slab holding this writer's batch; EMPTY between batches, so an idle session keeps no slab alive. */
  private slab: Uint8Array = EMPTY;
  private start = 0;
  private pos = 0;

  /** Bytes in the current batch. */
  get length(): number {
    return this.pos - this.start;
  }

  /** The batch so far, handed out for writing; the writer starts a new batch after it. */
  take(): Uint8Array {
    const out = this.slab.subarray(this.start, this.pos);
    this.slab = EMPTY;
    this.start = this.pos = 0;
    return out;
  }

  /**
   * Room for `n` more bytes at the batch's end, claimed from the shared slab. The batch grows in
   * place while it is the last thing in the slab; after another session's frames (a write
   * outside a read) or at the slab's end it moves, so that it stays one view.
   */
  private ensure(n: number): void {
    if (this.slab === shared && this.pos === sharedEnd && this.pos + n <= shared.length) {
      sharedEnd += n;
      return;
    }
    const batch = this.pos - this.start;
    if (sharedEnd + batch + n > shared.length) {
      shared = new Uint8Array(Math.max(SLAB, batch + n));
      sharedEnd = 0;
    }
    if (batch > 0) shared.set(this.slab.subarray(this.start, this.pos), sharedEnd);
    this.slab = shared;
    this.start = sharedEnd;
    this.pos = sharedEnd + batch;
    sharedEnd = this.pos + n;
  }

  private header(length: number, type: number, flags: number, streamId: number): void {
    this.ensure(Protocol.FRAME_HEADER + length);
    const b = this.slab;
    const p = this.pos;
    b[p] = length >>> 16;
    b[p + 1] = (length >>> 8) & 0xff;
    b[p + 2] = length & 0xff;
    b[p + 3] = type;
    b[p + 4] = flags;
    this.u32at(p + 5, streamId);
    this.pos = p + Protocol.FRAME_HEADER;
  }

  private u32at(p: number, v: number): void {
    const b = this.slab;
    b[p] = (v >>> 24) & 0xff;
    b[p + 1] = (v >>> 16) & 0xff;
    b[p + 2] = (v >>> 8) & 0xff;
    b[p + 3] = v & 0xff;
  }

  private u32(v: number): void {
    this.u32at(this.pos, v);
    this.pos += 4;
  }

  private bytes(src: Uint8Array, from: number, to: number): void {
    this.slab.set(src.subarray(from, to), this.pos);
    this.pos += to - from;
  }

  /** SETTINGS with `entries` as [id, value] pairs (§6.5.1). */
  settings(entries: ReadonlyArray<readonly [number, number]>): void {
    this.header(entries.length * 6, FrameType.SETTINGS, 0, 0);
    for (const [id, value] of entries) {
      this.slab[this.pos] = id >>> 8;
      this.slab[this.pos + 1] = id & 0xff;
      this.pos += 2;
      this.u32(value);
    }
  }

  settingsAck(): void {
    this.header(0, FrameType.SETTINGS, Flag.ACK, 0);
  }

  /** PING (§6.7) with the 8 opaque octets at data[at..at+8]. */
  ping(ack: boolean, data: Uint8Array, at: number): void {
    this.header(8, FrameType.PING, ack ? Flag.ACK : 0, 0);
    this.bytes(data, at, at + 8);
  }

  goAway(lastStreamId: number, code: number): void {
    this.header(8, FrameType.GOAWAY, 0, 0);
    this.u32(lastStreamId & 0x7fffffff);
    this.u32(code);
  }

  rstStream(streamId: number, code: number): void {
    this.header(4, FrameType.RST_STREAM, 0, streamId);
    this.u32(code);
  }

  windowUpdate(streamId: number, increment: number): void {
    this.header(4, FrameType.WINDOW_UPDATE, 0, streamId);
    this.u32(increment & 0x7fffffff);
  }

  /** A header block as one HEADERS and as many CONTINUATIONs as the peer's frame size needs (§4.3, §6.10). */
  headers(streamId: number, block: Uint8Array, endStream: boolean, maxFrameSize: number): void {
    let at = 0;
    let type: number = FrameType.HEADERS;
    do {
      const n = Math.min(maxFrameSize, block.length - at);
      const last = at + n === block.length;
      let flags = last ? Flag.END_HEADERS : 0;
      // END_STREAM lives on the HEADERS frame even when CONTINUATIONs follow (§6.2).
      if (type === FrameType.HEADERS && endStream) flags |= Flag.END_STREAM;
      this.header(n, type, flags, streamId);
      this.bytes(block, at, at + n);
      at += n;
      type = FrameType.CONTINUATION;
    } while (at < block.length);
  }

  /** DATA frames carrying src[from, to), each at most `maxFrameSize`; END_STREAM on the last when `end` (§6.1). */
  data(streamId: number, src: Uint8Array, from: number, to: number, end: boolean, maxFrameSize: number): void {
    do {
      const n = Math.min(maxFrameSize, to - from);
      const last = from + n === to;
      this.header(n, FrameType.DATA, last && end ? Flag.END_STREAM : 0, streamId);
      this.bytes(src, from, from + n);
      from += n;
    } while (from < to);
  }
}
