/**
 * Finds where a request head ends in a stream of chunks. The common case (a
 * whole head inside one read) is scanned in place with no copy; a head split
 * across reads is gathered in a bounded per-connection buffer. Garbage that
 * can never become a request (a TLS ClientHello, binary noise) is refused at
 * its first byte instead of waiting for a line end that may never come.
 */
import { Byte, Limits, type ParseErrorKind, TCHAR } from "./constants.ts";
import { HeadPrefix } from "./head-prefix.ts";

export const HeadStatus = {
  /** Every byte was taken; the head is not complete yet. */
  NEED_MORE: -1,
  /** The bytes can never form a valid head; see `error`. */
  ERROR: -2,
} as const;

export class HeadReader {
  /** Where the complete head is: `buf[start, end)`, valid until the next `feed`. */
  buf: Uint8Array = EMPTY;
  start = 0;
  end = 0;
  /** Set when `feed` returns ERROR. */
  error: ParseErrorKind | null = null;

  /** Bytes of a split head gathered so far (0 when no head is in progress). */
  pending = 0;
  /** At the last ERROR: bytes gathered before that feed, and in all (0, 0: it failed in the chunk itself). */
  private failedBefore = 0;
  private failedHave = 0;
  /** Allocated on the first split head only: most connections never need it. */
  private acc: Uint8Array | null = null;
  /** Scan position and line bookkeeping, relative to the head's first byte. */
  private scanFrom = 0;
  /** The grammar check of a head still arriving. */
  private readonly prefix = new HeadPrefix();
  private lineStart = 0;
  private requestLineEnd = 0;

  constructor(private readonly maxHeaderSize: number) {}

  /** Largest head the reader will gather: the request line and field-section limits plus the blank line. */
  get capacity(): number {
    return Limits.REQUEST_LINE + this.maxHeaderSize + 4;
  }

  /**
   * Takes bytes from chunk[pos, end). Returns the index in `chunk` just past
   * the head when one is complete (then read it from buf/start/end), or a
   * {@link HeadStatus}.
   */
  feed(chunk: Uint8Array, pos: number, end: number): number {
    if (this.pending === 0) {
      this.failedBefore = 0;
      this.scanFrom = this.lineStart = this.requestLineEnd = 0;
      this.prefix.reset();
      const h = this.scan(chunk, pos, end);
      if (h >= 0) {
        this.buf = chunk;
        this.start = pos;
        this.end = h;
        return h;
      }
      if (h === HeadStatus.ERROR) return h;
      return this.gather(chunk, pos, end, 0);
    }
    const before = this.pending;
    this.failedBefore = before;
    const taken = this.gather(chunk, pos, end, before);
    if (taken === HeadStatus.ERROR) return taken;
    const acc = this.acc!;
    const h = this.scan(acc, 0, this.pending);
    if (h >= 0) {
      this.buf = acc;
      this.start = 0;
      this.end = h;
      this.pending = 0;
      return pos + (h - before);
    }
    return h === HeadStatus.ERROR ? h : this.overLimit(this.pending);
  }

  /**
   * After `feed(chunk, pos, end)` returned ERROR: the bytes of the refused head from its first byte,
   * those gathered from earlier reads and the rest of `chunk` (a copy). Off the fast path: only
   * a protocol switch looking for the HTTP/2 preface asks.
   */
  failedBytes(chunk: Uint8Array, pos: number, end: number): Uint8Array {
    if (this.failedHave === 0) return chunk.slice(pos, end);
    const rest = chunk.subarray(Math.min(end, pos + this.failedHave - this.failedBefore), end);
    const out = new Uint8Array(this.failedHave + rest.length);
    out.set(this.acc!.subarray(0, this.failedHave));
    out.set(rest, this.failedHave);
    return out;
  }

  /** Forget a head in progress (after an error or a timeout). */
  clear(): void {
    this.pending = 0;
  }

  /** Copies chunk[pos, end) after `have` gathered bytes; refuses what would exceed the capacity. */
  private gather(chunk: Uint8Array, pos: number, end: number, have: number): number {
    const cap = this.capacity;
    this.acc ??= new Uint8Array(cap);
    const room = cap - have;
    const n = Math.min(room, end - pos);
    this.acc.set(chunk.subarray(pos, pos + n), have);
    this.pending = have + n;
    if (have === 0) return this.overLimit(this.pending);
    return HeadStatus.NEED_MORE;
  }

  /** An incomplete head that already passed a limit will never be accepted. */
  private overLimit(have: number): number {
    // RFC 9112 §3: a request line longer than any the server parses gets 414.
    if (this.requestLineEnd === 0 && have > Limits.REQUEST_LINE) return this.fail("URI_TOO_LONG");
    // RFC 6585 §5: a header section over the limit gets 431.
    if (this.requestLineEnd > 0 && have - this.requestLineEnd > this.maxHeaderSize + 2) return this.fail("HEADERS_TOO_LARGE");
    if (have >= this.capacity) return this.fail(this.requestLineEnd === 0 ? "URI_TOO_LONG" : "HEADERS_TOO_LARGE");
    return HeadStatus.NEED_MORE;
  }

  private fail(kind: ParseErrorKind): number {
    this.error = kind;
    this.failedHave = this.pending;
    this.pending = 0;
    return HeadStatus.ERROR;
  }

  /**
   * Looks for the empty line that ends the head in buf[start, end), resuming
   * where the last scan stopped. Offsets in the state are relative to start.
   */
  private scan(buf: Uint8Array, start: number, end: number): number {
    let i = start + this.scanFrom;
    for (;;) {
      const lf = buf.indexOf(Byte.LF, i);
      if (lf === -1 || lf >= end) {
        this.scanFrom = end - start;
        // Only an incomplete head is checked here, as far as it has come: a complete one is
        // parsed byte by byte anyway (head.ts).
        const error = this.prefix.check(buf, start, end);
        return error === null ? HeadStatus.NEED_MORE : this.fail(error);
      }
      // RFC 9112 §2.2: a bare LF is not a line terminator this server accepts (it would let a
      // proxy and this server disagree on where a field ends), so the request is refused.
      if (lf === start || buf[lf - 1] !== Byte.CR) return this.fail("BARE_LF");
      const rel = lf + 1 - start;
      if (lf - 1 - start === this.lineStart) {
        if (this.requestLineEnd === 0) return this.fail("BAD_REQUEST_LINE");
        return lf + 1;
      }
      if (this.requestLineEnd === 0) {
        this.requestLineEnd = rel;
        if (this.checkMethodPrefix(buf, start, lf) === HeadStatus.ERROR) return HeadStatus.ERROR;
      }
      this.lineStart = rel;
      i = lf + 1;
    }
  }

  /** RFC 9112 §3: a request starts with a method token (of at most Limits.METHOD bytes) and SP; anything else is refused now. */
  private checkMethodPrefix(buf: Uint8Array, start: number, end: number): number {
    for (let i = start; i < end; i++) {
      const b = buf[i]!;
      if (b === Byte.SP) return i === start ? this.fail("BAD_REQUEST_LINE") : HeadStatus.NEED_MORE;
      if (TCHAR[b] !== 1) return this.fail("BAD_REQUEST_LINE");
      // RFC 9112 §3: a method longer than any implemented gets 501, at the byte head.ts and head-prefix.ts judge it.
      if (i - start === Limits.METHOD) return this.fail("METHOD_NOT_IMPLEMENTED");
    }
    return HeadStatus.NEED_MORE;
  }
}

const EMPTY = new Uint8Array(0);
