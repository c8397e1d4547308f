/**
 * The protobuf wire format, as little of it as the health and echo services need
 * (https://protobuf.dev/programming-guides/encoding/): a strict reader that walks
 * (field number, wire type) pairs and skips what it does not know, and a writer into a buffer
 * the caller sized. Hand-written rather than protobufjs or @bufbuild/protobuf: two messages of
 * one or two fields each do not justify a dependency, a schema compiler or a decode that
 * allocates an object per message; here a decode allocates nothing and an encode one buffer.
 */

/** Wire types (the low three bits of a tag). 3 and 4 are the deprecated groups. */
export const WireType = {
  VARINT: 0,
  I64: 1,
  LEN: 2,
  SGROUP: 3,
  EGROUP: 4,
  I32: 5,
} as const;
export type WireTypeCode = (typeof WireType)[keyof typeof WireType];

/** What {@link ProtoReader.next} found: a field, the end, or why the bytes are not a message. */
export const ProtoResult = {
  /** A field: `field`, `wire` and its span are set. */
  FIELD: 0,
  /** The message ended exactly at a field boundary. */
  END: 1,
  /** A tag, varint, length or fixed value runs past the end. */
  TRUNCATED: 2,
  /** A varint of more than 10 bytes, or a 10th byte above 1: more than 64 bits. */
  VARINT_OVERFLOW: 3,
  /** A tag whose field number is 0 or above 2^29 - 1. */
  BAD_FIELD: 4,
  /** Wire type 3 or 4: groups, which no proto3 message has and we do not walk. */
  GROUP: 5,
  /** Wire type 6 or 7: undefined. */
  BAD_WIRE_TYPE: 6,
  /** A length beyond 2^53 - 1 (a JS number cannot hold it; no message here comes near). */
  TOO_BIG: 7,
} as const;
export type ProtoResultCode = (typeof ProtoResult)[keyof typeof ProtoResult];

/** 2^29 - 1: the largest field number (the encoding guide's "Field numbers"). */
export const MAX_FIELD = 0x1fffffff;
/** A 64-bit varint takes at most ceil(64 / 7) bytes. */
const MAX_VARINT_BYTES = 10;

/** Where a varint starts and how it ends: `end` past its last byte, or a negative {@link ProtoResult}. */
function varintEnd(buf: Uint8Array, pos: number, end: number): number {
  const limit = Math.min(end, pos + MAX_VARINT_BYTES);
  for (let p = pos; p < limit; p++) {
    const b = buf[p]!;
    if (b < 0x80) {
      // The 10th byte carries bit 63 only: anything above 1 does not fit in 64 bits.
      if (p - pos === MAX_VARINT_BYTES - 1 && b > 1) return -ProtoResult.VARINT_OVERFLOW;
      return p + 1;
    }
  }
  return limit === pos + MAX_VARINT_BYTES ? -ProtoResult.VARINT_OVERFLOW : -ProtoResult.TRUNCATED;
}

/**
 * The value of the well-formed varint at [pos, end) as a number, or -1 beyond 2^53 - 1.
 * Partial sums stay exact below 2^53, and a larger value never rounds down below it, so the
 * final comparison is exact.
 */
function varintValue(buf: Uint8Array, pos: number, end: number): number {
  let value = 0;
  let scale = 1;
  for (let p = pos; p < end; p++) {
    value += (buf[p]! & 0x7f) * scale;
    scale *= 128;
  }
  return value > Number.MAX_SAFE_INTEGER ? -1 : value;
}

/**
 * Decodes one varint at `pos`: its value, with the position after it in `next`; or a negative
 * {@link ProtoResult} (VARINT_OVERFLOW, TRUNCATED, TOO_BIG beyond 2^53 - 1).
 */
export function readVarint(buf: Uint8Array, pos: number, end: number, next: { pos: number }): number {
  const after = varintEnd(buf, pos, end);
  if (after < 0) return after;
  const value = varintValue(buf, pos, after);
  if (value < 0) return -ProtoResult.TOO_BIG;
  next.pos = after;
  return value;
}

/**
 * A strict walk over one message's fields. Each `next()` reads a tag and the whole value, so an
 * unknown field is skipped by not looking at it (every wire type but the groups). A field's
 * bytes are `[start, end)` of `buf`: the varint's bytes, the fixed value's, or a LEN field's
 * content without its length.
 */
export class ProtoReader {
  field = 0;
  wire: WireTypeCode = WireType.VARINT;
  start = 0;
  end = 0;
  private pos: number;
  private readonly next_ = { pos: 0 };

  constructor(
    private readonly buf: Uint8Array,
    begin = 0,
    private readonly limit = buf.length,
  ) {
    this.pos = begin;
  }

  next(): ProtoResultCode {
    const { buf, limit } = this;
    if (this.pos === limit) return ProtoResult.END;
    const tag = readVarint(buf, this.pos, limit, this.next_);
    if (tag < 0) return -tag as ProtoResultCode;
    // A tag is a uint32 (field << 3 | wire); the field number is at least 1.
    const field = Math.floor(tag / 8);
    if (field === 0 || field > MAX_FIELD) return ProtoResult.BAD_FIELD;
    const wire = tag % 8;
    let p = this.next_.pos;
    let start = p;
    switch (wire) {
      case WireType.VARINT: {
        p = varintEnd(buf, p, limit);
        if (p < 0) return -p as ProtoResultCode;
        break;
      }
      case WireType.I64:
        p += 8;
        break;
      case WireType.I32:
        p += 4;
        break;
      case WireType.LEN: {
        const length = readVarint(buf, p, limit, this.next_);
        if (length < 0) return -length as ProtoResultCode;
        start = this.next_.pos;
        p = start + length;
        break;
      }
      case WireType.SGROUP:
      case WireType.EGROUP:
        return ProtoResult.GROUP;
      default:
        return ProtoResult.BAD_WIRE_TYPE;
    }
    if (p > limit) return ProtoResult.TRUNCATED;
    this.field = field;
    this.wire = wire as WireTypeCode;
    this.start = start;
    this.end = p;
    this.pos = p;
    return ProtoResult.FIELD;
  }

  /** The current VARINT field's value; -1 beyond 2^53 - 1 (refused: no field here needs it). */
  uint(): number {
    return varintValue(this.buf, this.start, this.end);
  }
}

/** Bytes a varint of `value` (0 .. 2^53 - 1) takes. */
export function varintSize(value: number): number {
  let n = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/** Bytes a LEN field with `length` bytes of content takes, tag and length included. */
export function lenFieldSize(field: number, length: number): number {
  return varintSize(field * 8) + varintSize(length) + length;
}

/** Bytes a VARINT field takes, tag included. */
export function varintFieldSize(field: number, value: number): number {
  return varintSize(field * 8) + varintSize(value);
}

/** UTF-8 length of a string, without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3; // a lone surrogate becomes U+FFFD (3 bytes), as TextEncoder writes it
  }
  return n;
}

const utf8 = new TextEncoder();

/** Writes fields into `buf` from `pos` on; the caller sized `buf` with the *Size functions. */
export class ProtoWriter {
  constructor(
    readonly buf: Uint8Array,
    public pos = 0,
  ) {}

  varint(value: number): this {
    const { buf } = this;
    while (value >= 128) {
      buf[this.pos++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    buf[this.pos++] = value;
    return this;
  }

  tag(field: number, wire: WireTypeCode): this {
    return this.varint(field * 8 + wire);
  }

  uintField(field: number, value: number): this {
    return this.tag(field, WireType.VARINT).varint(value);
  }

  /** A LEN field's tag and length; its `length` content bytes are the caller's to write next. */
  lenHeader(field: number, length: number): this {
    return this.tag(field, WireType.LEN).varint(length);
  }

  bytesField(field: number, bytes: Uint8Array): this {
    this.lenHeader(field, bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** A string field, UTF-8 (its length from {@link utf8Length}). */
  stringField(field: number, s: string): this {
    const length = utf8Length(s);
    this.lenHeader(field, length);
    utf8.encodeInto(s, this.buf.subarray(this.pos, this.pos + length));
    this.pos += length;
    return this;
  }

  /** A string of octets (HTTP/2 field values as HPACK decodes them: one char per octet), copied as they are. */
  latin1Field(field: number, s: string): this {
    this.lenHeader(field, s.length);
    const { buf } = this;
    for (let i = 0; i < s.length; i++) buf[this.pos++] = s.charCodeAt(i);
    return this;
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** [start, end) of `buf` as a string, or null when it is not valid UTF-8 (proto3 requires it of string fields). */
export function decodeUtf8(buf: Uint8Array, start: number, end: number): string | null {
  try {
    return strictUtf8.decode(buf.subarray(start, end));
  } catch {
    return null;
  }
}
