/**
 * The frame reader (RFC 6455 §5.2): incremental over reads split anywhere, strict about §5.1–5.5
 * before a frame reaches anyone, UTF-8-checking text as it arrives (§8.1), and reassembling
 * fragmented messages (§5.4). It hands each finished message or control frame to a
 * {@link FrameSink}, unmasked. A single-frame message whose bytes are all in the read is
 * unmasked straight into the sink's outgoing buffer (uWebSockets' echo costs no copy beyond that
 * one); any other message is gathered in a buffer sized to what it declared, dropped afterwards,
 * so an idle session holds no payload buffer.
 */
import { isSendableCloseCode, Limits, Opcode, ReadError, type ReadErrorKind } from "./constants.ts";
import { Utf8, validateUtf8 } from "./utf8.ts";

/** Where the reader delivers what it read. */
export interface FrameSink {
  /**
   * A whole single-frame message of `length` bytes is in this read: the sink returns the offset
   * in {@link FrameSink.out} where its unmasked payload goes (the outgoing frame header already
   * written before it). Nothing is sent until {@link FrameSink.commit}: a message that fails its
   * UTF-8 check is never committed.
   */
  reserve(opcode: number, length: number): number;
  /** The buffer `reserve` pointed into; read after each `reserve`. */
  readonly out: Uint8Array;
  /** The reserved message is unmasked and valid. */
  commit(): void;
  /** A message gathered across reads or fragments: `payload[0, length)`, valid only during the call. */
  message(opcode: number, payload: Uint8Array, length: number): void;
  /** A ping, pong or close (already checked): `payload[0, length)`, valid only during the call. Returns false to stop reading. */
  control(opcode: number, payload: Uint8Array, length: number): boolean;
}

/** The reader's steps; FAILED and STOPPED read nothing more. */
export const ReaderStep = { HEADER: 0, PAYLOAD: 1, FAILED: 2, STOPPED: 3 } as const;

/** Header bytes: 2, then 0, 2 or 8 of extended length (§5.2), then the 4-byte mask. */
const LEN16 = 126;
const LEN64 = 127;

export class FrameReader {
  /** One of {@link ReaderStep}. */
  step: number = ReaderStep.HEADER;
  /** Why the reader failed, once it has (FAILED); the close code is `ReadError[error]`. */
  error: ReadErrorKind | null = null;

  // The frame in progress. `headerBytes` counts the header bytes seen; `headerSize` is its full size once byte 1 is known.
  private headerBytes = 0;
  private headerSize = 2;
  private fin = false;
  private opcode = 0;
  private length = 0;
  private got = 0;
  /** The frame's masking key, its 4 bytes big-endian in one integer (a field, not a buffer: one object less per session). */
  private maskKey = 0;

  // The fragmented message in progress (opcode 0 = none) and its UTF-8 state when it is text.
  private messageOpcode = 0;
  private messageLength = 0;
  private utf8: number = Utf8.ACCEPT;
  /** Payload gathered across reads or fragments; null between such messages. */
  private buffer: Uint8Array | null = null;
  /** A control frame split across reads (§5.5: it may arrive between a message's fragments). */
  private control: Uint8Array | null = null;

  constructor(private readonly maxMessage: number) {}

  /** Reads `bytes[pos, end)`. Stops at the first violation (step FAILED, `error` set) or when the sink says so. */
  read(bytes: Uint8Array, pos: number, end: number, sink: FrameSink): void {
    while (pos < end && this.step < ReaderStep.FAILED) {
      if (this.step === ReaderStep.HEADER) {
        pos = this.readHeader(bytes, pos, end, sink);
      } else pos = this.readPayload(bytes, pos, end, sink);
    }
  }

  private fail(kind: ReadErrorKind): void {
    this.step = ReaderStep.FAILED;
    this.error = kind;
    this.buffer = null;
  }

  private readHeader(bytes: Uint8Array, pos: number, end: number, sink: FrameSink): number {
    while (pos < end) {
      const b = bytes[pos++]!;
      const i = this.headerBytes++;
      if (i === 0) {
        if (!this.firstByte(b)) return pos;
      } else if (i === 1) {
        if (!this.secondByte(b)) return pos;
      } else if (i < this.headerSize - 4) {
        this.length = this.length * 256 + b;
        // §5.2: "the most significant bit MUST be 0" of a 64-bit length.
        if (i === 2 && this.headerSize === 14 && b >= 0x80) {
          this.fail("LENGTH_TOP_BIT");
          return pos;
        }
        if (i === this.headerSize - 5 && !this.lengthKnown()) return pos;
      } else {
        this.maskKey = (this.maskKey << 8) | b;
      }
      if (this.headerBytes === this.headerSize) {
        this.step = ReaderStep.PAYLOAD;
        this.got = 0;
        // A zero-length frame is complete with its header.
        if (this.length === 0) this.finishFrame(sink);
        return pos;
      }
    }
    return pos;
  }

  /** FIN, RSV1–3, opcode (§5.2), and where the frame may stand in the message sequence (§5.4, §5.5). */
  private firstByte(b: number): boolean {
    // §5.2: no extension is negotiated (handshake.ts), so every RSV bit must be 0.
    if ((b & 0x70) !== 0) return this.fail("RESERVED_BITS"), false;
    const opcode = b & 0x0f;
    this.fin = (b & 0x80) !== 0;
    this.opcode = opcode;
    if (opcode >= Opcode.CLOSE) {
      if (opcode > Opcode.PONG) return this.fail("UNKNOWN_OPCODE"), false;
      // §5.5: control frames MUST NOT be fragmented.
      if (!this.fin) return this.fail("CONTROL_FRAGMENTED"), false;
    } else if (opcode === Opcode.CONTINUATION) {
      // §5.4: a continuation only follows a non-final text or binary frame.
      if (this.messageOpcode === 0) return this.fail("CONTINUATION_UNEXPECTED"), false;
    } else if (opcode <= Opcode.BINARY) {
      // §5.4: fragments of one message are not interleaved with another message's.
      if (this.messageOpcode !== 0) return this.fail("MESSAGE_INTERLEAVED"), false;
    } else return this.fail("UNKNOWN_OPCODE"), false;
    return true;
  }

  /** MASK and the 7-bit length (§5.2). */
  private secondByte(b: number): boolean {
    // §5.1: "The server MUST close the connection upon receiving a frame that is not masked."
    if ((b & 0x80) === 0) return this.fail("UNMASKED"), false;
    const len7 = b & 0x7f;
    this.length = len7 < LEN16 ? len7 : 0;
    this.headerSize = len7 < LEN16 ? 6 : len7 === LEN16 ? 8 : 14;
    return len7 < LEN16 ? this.lengthKnown() : true;
  }

  /**
   * The payload length is known: check it before any of the payload is buffered. A length in
   * more bytes than it needs (5 in the 16-bit form) is accepted: §5.2's "minimal number of bytes
   * MUST be used" binds the sender, and the RFC asks no receiver to refuse it.
   */
  private lengthKnown(): boolean {
    const length = this.length;
    if (this.opcode >= Opcode.CLOSE) {
      if (length > Limits.CONTROL_PAYLOAD) return this.fail("CONTROL_TOO_LONG"), false;
      // §5.5.1: a close body starts with a 2-byte code, so one byte is malformed.
      if (this.opcode === Opcode.CLOSE && length === 1) return this.fail("CLOSE_ONE_BYTE"), false;
    } else if (this.messageLength + length > this.maxMessage) return this.fail("MESSAGE_TOO_BIG"), false;
    return true;
  }

  private readPayload(bytes: Uint8Array, pos: number, end: number, sink: FrameSink): number {
    const want = this.length - this.got;
    const n = end - pos < want ? end - pos : want;
    const opcode = this.opcode;
    if (opcode >= Opcode.CLOSE) {
      const ctrl = this.control ?? (this.control = new Uint8Array(Limits.CONTROL_PAYLOAD));
      this.unmask(bytes, pos, n, ctrl, this.got);
    } else if (this.got === 0 && n === want && this.fin && opcode !== Opcode.CONTINUATION) {
      // The fast path: the whole message is here; unmask it into the outgoing frame.
      const at = sink.reserve(opcode, n);
      const out = sink.out;
      this.unmask(bytes, pos, n, out, at);
      // §8.1: a text message must be valid UTF-8 as a whole.
      if (opcode === Opcode.TEXT && validateUtf8(Utf8.ACCEPT, out, at, at + n) !== Utf8.ACCEPT) {
        this.fail("INVALID_UTF8");
        return pos + n;
      }
      sink.commit();
      this.step = ReaderStep.HEADER;
      this.headerBytes = 0;
      return pos + n;
    } else {
      if (this.got === 0) this.beginFragment();
      const buffer = this.buffer!;
      const at = this.messageLength + this.got;
      this.unmask(bytes, pos, n, buffer, at);
      if (this.messageOpcode === Opcode.TEXT) {
        // §8.1 checked as bytes arrive: fail at the first invalid byte, not at the message's end.
        this.utf8 = validateUtf8(this.utf8, buffer, at, at + n);
        if (this.utf8 === Utf8.REJECT) {
          this.fail("INVALID_UTF8");
          return pos + n;
        }
      }
    }
    this.got += n;
    if (this.got === this.length) this.finishFrame(sink);
    return pos + n;
  }

  /** A data frame's first payload byte is here: start the message if it is a first fragment, and make room for the frame. */
  private beginFragment(): void {
    if (this.opcode !== Opcode.CONTINUATION) {
      this.messageOpcode = this.opcode;
      this.messageLength = 0;
      this.utf8 = Utf8.ACCEPT;
    }
    const need = this.messageLength + this.length;
    const buffer = this.buffer;
    if (buffer === null || buffer.length < need) {
      // Room for what was declared (never past maxMessage, checked in lengthKnown); doubling keeps many small fragments linear.
      const grown = new Uint8Array(Math.min(this.maxMessage, Math.max(need, buffer === null ? 0 : buffer.length * 2)));
      if (buffer !== null) grown.set(buffer.subarray(0, this.messageLength));
      this.buffer = grown;
    }
  }

  /** The frame's payload is complete. */
  private finishFrame(sink: FrameSink): void {
    this.step = ReaderStep.HEADER;
    this.headerBytes = 0;
    const opcode = this.opcode;
    if (opcode >= Opcode.CLOSE) {
      const ctrl = this.control ?? (this.control = new Uint8Array(Limits.CONTROL_PAYLOAD));
      if (opcode === Opcode.CLOSE && !this.closeBodyValid(ctrl, this.length)) return;
      if (!sink.control(opcode, ctrl, this.length)) this.step = ReaderStep.STOPPED;
      return;
    }
    // An empty first frame starts its message here: readPayload never ran for it.
    if (this.length === 0 && opcode !== Opcode.CONTINUATION) {
      this.messageOpcode = opcode;
      this.messageLength = 0;
      this.utf8 = Utf8.ACCEPT;
    }
    this.messageLength += this.length;
    if (!this.fin) return;
    // §8.1: a message ending inside a code point is not valid UTF-8.
    if (this.messageOpcode === Opcode.TEXT && this.utf8 !== Utf8.ACCEPT) return this.fail("INVALID_UTF8");
    const buffer = this.buffer ?? EMPTY;
    const messageOpcode = this.messageOpcode;
    const length = this.messageLength;
    this.messageOpcode = 0;
    this.messageLength = 0;
    this.buffer = null;
    sink.message(messageOpcode, buffer, length);
  }

  /** §5.5.1 and §7.4: a close body is empty, or a sendable code and a UTF-8 reason. */
  private closeBodyValid(body: Uint8Array, length: number): boolean {
    if (length === 0) return true;
    const code = (body[0]! << 8) | body[1]!;
    if (!isSendableCloseCode(code)) return this.fail("CLOSE_CODE_INVALID"), false;
    if (validateUtf8(Utf8.ACCEPT, body, 2, length) !== Utf8.ACCEPT) return this.fail("INVALID_UTF8"), false;
    return true;
  }

  /** §5.3: payload byte i is XORed with mask[i mod 4]; `this.got` says where in the payload `src[pos]` is. */
  private unmask(src: Uint8Array, pos: number, n: number, dst: Uint8Array, at: number): void {
    const mask = MASK;
    const key = this.maskKey;
    mask[0] = key >>> 24;
    mask[1] = key >>> 16;
    mask[2] = key >>> 8;
    mask[3] = key;
    let j = this.got & 3;
    for (let i = 0; i < n; i++) {
      dst[at + i] = src[pos + i]! ^ mask[j]!;
      j = (j + 1) & 3;
    }
  }

  /** The close code the failure calls for. */
  get closeCode(): number {
    return this.error === null ? 0 : ReadError[this.error];
  }
}

const EMPTY = new Uint8Array(0);
/** The key's bytes while one unmask runs (the worker unmasks one payload at a time). */
const MASK = new Uint8Array(4);
