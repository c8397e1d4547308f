/**
 * Reads HTTP/2 frames from bytes that arrive in arbitrary pieces and checks
 * each type's fixed rules (RFC 9113 §4, §6) before the session sees it, in
 * the manner of h2o's frame.c and Go's Framer. A frame split across reads is
 * copied into a buffer of its own size (at most our SETTINGS_MAX_FRAME_SIZE + 9),
 * dropped once the frame is whole; a whole frame inside a read is handed out in
 * place (valid only during the call).
 */
import { CLIENT_PREFACE, ErrorCode, Flag, FrameType, Protocol } from "./constants.ts";

/** One frame as the session sees it; the readers reuse one object (valid only during the sink's call). */
export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  /** The whole payload length, padding included: DATA's flow-controlled size (§6.9). */
  length: number;
  /** The bytes holding the payload; [start, end) is its content with padding and priority fields removed. */
  data: Uint8Array;
  start: number;
  end: number;
  /**
   * A stream error the fixed rules found in a HEADERS frame (a self-dependency, §5.3.1): its
   * header block must still be decoded to keep HPACK in step (§4.3), so it is handed over; 0 = none.
   */
  streamError: ErrorCode;
}

/** Where the reader reports; a `false` from onFrame or any error stops the read. */
export interface FrameSink {
  onFrame(frame: Frame): boolean;
  onConnectionError(code: ErrorCode, reason: string): void;
  /** A stream error found by the fixed rules (§5.4.2); the read goes on. Returns false to stop. */
  onStreamError(streamId: number, code: ErrorCode, reason: string): boolean;
}

function lengthOf(b: Uint8Array, at: number): number {
  return (b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!;
}

/** `buf` (a frame header) in a buffer of `size`. */
function grow(buf: Uint8Array, size: number): Uint8Array {
  if (buf.length >= size) return buf;
  const next = new Uint8Array(size);
  next.set(buf, 0);
  return next;
}

/**
 * The one Frame every reader of the worker hands out: a frame is valid only during its sink call,
 * and no reader reads again before that call returns (the back end delivers one socket's read at
 * a time, and nothing reads a frame after the sink call that received it), so a connection need
 * not keep one of its own.
 */
const frame: Frame = { type: 0, flags: 0, streamId: 0, length: 0, data: new Uint8Array(0), start: 0, end: 0, streamError: ErrorCode.NO_ERROR };

const Phase = { PREFACE: 0, FRAMES: 1, FAILED: 2 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];

export class FrameReader {
  private phase: Phase;
  /** Bytes of a frame split across reads, in a buffer of that frame's size; null between such frames. */
  private buf: Uint8Array | null = null;
  private buffered = 0;
  /** The stream whose header block is open (a HEADERS without END_HEADERS); 0 = none. */
  private continuationStream = 0;

  /** `expectPreface`: the client's 24-octet preface comes first (§3.4). */
  constructor(expectPreface = true) {
    this.phase = expectPreface ? Phase.PREFACE : Phase.FRAMES;
  }

  /** Bytes held from an incomplete frame. */
  get pending(): number {
    return this.buffered;
  }

  /** Reads every complete frame in `bytes`, keeping an incomplete tail. */
  read(bytes: Uint8Array, sink: FrameSink): void {
    let pos = 0;
    const end = bytes.length;
    while (pos < end && this.phase !== Phase.FAILED) {
      if (this.phase === Phase.PREFACE) {
        pos = this.readPreface(bytes, pos, sink);
        continue;
      }
      if (this.buffered > 0) {
        pos = this.fill(bytes, pos, sink);
        if (pos < 0) return;
        continue;
      }
      if (end - pos < Protocol.FRAME_HEADER) {
        this.keep(bytes, pos, end);
        return;
      }
      const length = (bytes[pos]! << 16) | (bytes[pos + 1]! << 8) | bytes[pos + 2]!;
      if (!this.checkLength(length, bytes[pos + 3]!, sink)) return;
      const total = Protocol.FRAME_HEADER + length;
      if (end - pos < total) {
        this.keep(bytes, pos, end);
        return;
      }
      if (!this.dispatch(bytes, pos, length, sink)) return;
      pos += total;
    }
  }

  private readPreface(bytes: Uint8Array, pos: number, sink: FrameSink): number {
    const need = Protocol.PREFACE_LENGTH - this.buffered;
    const n = Math.min(need, bytes.length - pos);
    for (let i = 0; i < n; i++) {
      // §3.4: anything else is a connection error PROTOCOL_ERROR, found at the first wrong octet.
      if (bytes[pos + i] !== CLIENT_PREFACE[this.buffered + i]) {
        this.fail(sink, ErrorCode.PROTOCOL_ERROR, "invalid connection preface");
        return bytes.length;
      }
    }
    this.buffered += n;
    if (this.buffered === Protocol.PREFACE_LENGTH) {
      this.buffered = 0;
      this.phase = Phase.FRAMES;
    }
    return pos + n;
  }

  /** Completes a buffered frame from `bytes`; returns the new position, or -1 when the read must stop. */
  private fill(bytes: Uint8Array, pos: number, sink: FrameSink): number {
    let buf = this.buf!;
    if (this.buffered < Protocol.FRAME_HEADER) {
      const n = Math.min(Protocol.FRAME_HEADER - this.buffered, bytes.length - pos);
      buf.set(bytes.subarray(pos, pos + n), this.buffered);
      this.buffered += n;
      pos += n;
      if (this.buffered < Protocol.FRAME_HEADER) return pos;
      const length = lengthOf(buf, 0);
      if (!this.checkLength(length, buf[3]!, sink)) return -1;
      // The header alone was kept; now the frame's size is known.
      buf = this.buf = grow(buf, Protocol.FRAME_HEADER + length);
    }
    const total = Protocol.FRAME_HEADER + lengthOf(buf, 0);
    const n = Math.min(total - this.buffered, bytes.length - pos);
    buf.set(bytes.subarray(pos, pos + n), this.buffered);
    this.buffered += n;
    pos += n;
    if (this.buffered < total) return pos;
    this.buffered = 0;
    // Released once whole: frames split across reads are the exception, and most connections sit idle between them.
    this.buf = null;
    return this.dispatch(buf, 0, total - Protocol.FRAME_HEADER, sink) ? pos : -1;
  }

  /** Keeps an incomplete frame's bytes in a buffer of its size (of its header's, while the length is not in yet). */
  private keep(bytes: Uint8Array, pos: number, end: number): void {
    const n = end - pos;
    const buf = new Uint8Array(n < Protocol.FRAME_HEADER ? Protocol.FRAME_HEADER : Protocol.FRAME_HEADER + lengthOf(bytes, pos));
    buf.set(bytes.subarray(pos, end), 0);
    this.buf = buf;
    this.buffered = n;
  }

  /** §4.2: we never announce a SETTINGS_MAX_FRAME_SIZE above 16384, so a longer frame is a FRAME_SIZE_ERROR. */
  private checkLength(length: number, type: number, sink: FrameSink): boolean {
    if (length <= Protocol.DEFAULT_MAX_FRAME_SIZE) return true;
    // §4.2 allows a stream error for some types, but we cannot skip what we will not buffer: a connection error for all.
    this.fail(sink, ErrorCode.FRAME_SIZE_ERROR, `frame of type ${type} is ${length} octets`);
    return false;
  }

  private fail(sink: FrameSink, code: ErrorCode, reason: string): void {
    this.phase = Phase.FAILED;
    this.buffered = 0;
    this.buf = null;
    sink.onConnectionError(code, reason);
  }

  /** Checks the fixed rules of the frame at data[pos..] and hands it over. */
  private dispatch(data: Uint8Array, pos: number, length: number, sink: FrameSink): boolean {
    const f = frame;
    f.type = data[pos + 3]!;
    f.flags = data[pos + 4]!;
    // §4.1: the reserved bit is ignored on receipt.
    f.streamId = ((data[pos + 5]! & 0x7f) << 24) | (data[pos + 6]! << 16) | (data[pos + 7]! << 8) | data[pos + 8]!;
    f.length = length;
    f.data = data;
    f.start = pos + Protocol.FRAME_HEADER;
    f.end = f.start + length;
    f.streamError = ErrorCode.NO_ERROR;
    const problem = this.check(f);
    // §5.5: unknown types are dropped here.
    if (problem === null) return f.type > FrameType.CONTINUATION ? true : sink.onFrame(f);
    if (problem.stream) return sink.onStreamError(f.streamId, problem.code, problem.reason);
    this.fail(sink, problem.code, problem.reason);
    return false;
  }

  private check(f: Frame): { code: ErrorCode; stream: boolean; reason: string } | null {
    const conn = (code: ErrorCode, reason: string) => ({ code, stream: false, reason });
    // §6.10: a header block is one HEADERS and its CONTINUATIONs, nothing in between, on one stream.
    if (this.continuationStream !== 0) {
      if (f.type !== FrameType.CONTINUATION || f.streamId !== this.continuationStream) {
        return conn(ErrorCode.PROTOCOL_ERROR, "header block interrupted");
      }
    }
    switch (f.type) {
      case FrameType.DATA:
        // §6.1: DATA belongs to a stream.
        if (f.streamId === 0) return conn(ErrorCode.PROTOCOL_ERROR, "DATA on stream 0");
        return this.unpad(f);
      case FrameType.HEADERS: {
        // §6.2: HEADERS belongs to a stream.
        if (f.streamId === 0) return conn(ErrorCode.PROTOCOL_ERROR, "HEADERS on stream 0");
        const padding = this.unpad(f);
        if (padding !== null) return padding;
        if ((f.flags & Flag.PRIORITY) !== 0) {
          if (f.end - f.start < 5) return conn(ErrorCode.FRAME_SIZE_ERROR, "HEADERS too short for its priority");
          const dependency = this.u31(f.data, f.start);
          f.start += 5;
          // §5.3.1: a stream cannot depend on itself (RFC 9113 keeps this rule although priorities are deprecated).
          if (dependency === f.streamId) f.streamError = ErrorCode.PROTOCOL_ERROR;
        }
        this.openBlock(f);
        return null;
      }
      case FrameType.PRIORITY:
        // §6.3: on a stream, exactly 5 octets; otherwise a stream error. Parsed, then ignored (§5.3.2).
        if (f.streamId === 0) return conn(ErrorCode.PROTOCOL_ERROR, "PRIORITY on stream 0");
        if (f.length !== 5) return { code: ErrorCode.FRAME_SIZE_ERROR, stream: true, reason: "PRIORITY length" };
        if (this.u31(f.data, f.start) === f.streamId) return { code: ErrorCode.PROTOCOL_ERROR, stream: true, reason: "PRIORITY depends on itself" };
        return null;
      case FrameType.RST_STREAM:
        // §6.4
        if (f.streamId === 0) return conn(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0");
        if (f.length !== 4) return conn(ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM length");
        return null;
      case FrameType.SETTINGS:
        // §6.5
        if (f.streamId !== 0) return conn(ErrorCode.PROTOCOL_ERROR, "SETTINGS on a stream");
        if ((f.flags & Flag.ACK) !== 0 && f.length !== 0) return conn(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
        if (f.length % 6 !== 0) return conn(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS length not a multiple of 6");
        return null;
      case FrameType.PUSH_PROMISE:
        // §8.4: a client cannot push.
        return conn(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE from a client");
      case FrameType.PING:
        // §6.7
        if (f.streamId !== 0) return conn(ErrorCode.PROTOCOL_ERROR, "PING on a stream");
        if (f.length !== 8) return conn(ErrorCode.FRAME_SIZE_ERROR, "PING length");
        return null;
      case FrameType.GOAWAY:
        // §6.8
        if (f.streamId !== 0) return conn(ErrorCode.PROTOCOL_ERROR, "GOAWAY on a stream");
        if (f.length < 8) return conn(ErrorCode.FRAME_SIZE_ERROR, "GOAWAY length");
        return null;
      case FrameType.WINDOW_UPDATE:
        // §6.9: length 4; an increment of 0 is an error on whatever it names.
        if (f.length !== 4) return conn(ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE length");
        if (this.u31(f.data, f.start) === 0) {
          if (f.streamId === 0) return conn(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
          return { code: ErrorCode.PROTOCOL_ERROR, stream: true, reason: "WINDOW_UPDATE of 0" };
        }
        return null;
      case FrameType.CONTINUATION:
        // §6.10: only right after a HEADERS or CONTINUATION without END_HEADERS on the same stream (checked above).
        if (this.continuationStream === 0) return conn(ErrorCode.PROTOCOL_ERROR, "CONTINUATION without a header block");
        if ((f.flags & Flag.END_HEADERS) !== 0) this.continuationStream = 0;
        return null;
      default:
        // §5.5: unknown frame types are ignored (but not inside a header block, checked above).
        return null;
    }
  }

  private openBlock(f: Frame): void {
    if ((f.flags & Flag.END_HEADERS) === 0) this.continuationStream = f.streamId;
  }

  /** §6.1, §6.2: strips padding; padding as long as the payload or longer is a connection error. */
  private unpad(f: Frame): { code: ErrorCode; stream: boolean; reason: string } | null {
    if ((f.flags & Flag.PADDED) === 0) return null;
    if (f.length < 1) return { code: ErrorCode.FRAME_SIZE_ERROR, stream: false, reason: "PADDED frame without a pad length" };
    const pad = f.data[f.start]!;
    if (pad >= f.length) return { code: ErrorCode.PROTOCOL_ERROR, stream: false, reason: "padding longer than the payload" };
    f.start += 1;
    f.end -= pad;
    return null;
  }

  private u31(b: Uint8Array, at: number): number {
    return ((b[at]! & 0x7f) << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
  }
}
