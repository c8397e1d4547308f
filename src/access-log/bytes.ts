/**
 * The bytes of access-log lines, written in place: ASCII as it is, and only a character that
 * needs it escaped (nginx's `\xHH` for the text form, JSON.stringify's escapes for the JSON
 * form). Writing bytes directly replaced a string per field, a template per line,
 * JSON.stringify of an object per entry and a TextEncoder per line (bench/micro/access-log.ts).
 */

const HEX = "0123456789ABCDEF";
const hex = "0123456789abcdef";

/** JSON.stringify's short escapes for control characters (ECMA-262 QuoteJSONString), by code. */
const JSON_SHORT: Readonly<Record<number, number>> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 };

/** A growable byte buffer of pending lines: [head, n) is written, not yet sent. */
export class LineBytes {
  buf: Uint8Array;
  head = 0;
  n = 0;

  constructor(size = 16 * 1024) {
    this.buf = new Uint8Array(size);
  }

  /** Room for `extra` more bytes; grows, never moves what is there (a line in the making keeps its start). */
  ensure(extra: number): void {
    if (this.n + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + extra));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }

  /** Between lines: drops what was sent, moving the rest to the front when room runs short. */
  compact(room: number): void {
    if (this.head === this.n) {
      this.head = this.n = 0;
    } else if (this.head > 0 && this.buf.length - this.n < room) {
      this.buf.copyWithin(0, this.head, this.n);
      this.n -= this.head;
      this.head = 0;
    }
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.n++] = b;
  }

  /** A string known to be printable ASCII (field names, an address, a fixed word). */
  ascii(s: string): void {
    this.ensure(s.length);
    const buf = this.buf;
    let n = this.n;
    for (let i = 0; i < s.length; i++) buf[n++] = s.charCodeAt(i);
    this.n = n;
  }

  /** A copy of bytes prepared once (a cached time stamp). */
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }

  /** A non-negative integer in decimal; anything else as String() gives it. */
  int(v: number): void {
    if (!(v >= 0 && v <= Number.MAX_SAFE_INTEGER && Math.floor(v) === v)) return this.ascii(String(v));
    this.ensure(16);
    const buf = this.buf;
    if (v < 10) {
      buf[this.n++] = 0x30 + v;
      return;
    }
    let digits = 0;
    for (let t = v; t >= 1; t = Math.floor(t / 10)) digits++;
    let p = this.n + digits;
    this.n = p;
    for (let t = v; t >= 1; t = Math.floor(t / 10)) buf[--p] = 0x30 + (t % 10);
  }

  /** `s` (its first `cap` UTF-16 units) as nginx escapes inside quotes: `"`, `\`, control and non-ASCII bytes as \xHH of their UTF-8. */
  nginx(s: string, cap: number): void {
    const len = s.length < cap ? s.length : cap;
    // At worst a unit is 3 bytes of UTF-8 (a lone surrogate: U+FFFD), each 4 bytes escaped.
    this.ensure(len * 12);
    const buf = this.buf;
    let n = this.n;
    for (let i = 0; i < len; i++) {
      let c = s.charCodeAt(i);
      if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) {
        buf[n++] = c;
        continue;
      }
      if (c < 0x80) {
        n = escapeX(buf, n, c);
      } else if (c < 0x800) {
        n = escapeX(buf, n, 0xc0 | (c >> 6));
        n = escapeX(buf, n, 0x80 | (c & 0x3f));
      } else {
        const d = i + 1 < len ? s.charCodeAt(i + 1) : 0;
        if (c >= 0xd800 && c < 0xdc00 && d >= 0xdc00 && d < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          n = escapeX(buf, n, 0xf0 | (c >> 18));
          n = escapeX(buf, n, 0x80 | ((c >> 12) & 0x3f));
        } else {
          // A lone surrogate: TextEncoder's replacement character, as the string form wrote it.
          if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
          n = escapeX(buf, n, 0xe0 | (c >> 12));
        }
        n = escapeX(buf, n, 0x80 | ((c >> 6) & 0x3f));
        n = escapeX(buf, n, 0x80 | (c & 0x3f));
      }
    }
    this.n = n;
  }

  /** `s` (its first `cap` UTF-16 units) as a JSON string's content, byte for byte what JSON.stringify writes, in UTF-8. */
  json(s: string, cap: number): void {
    const len = s.length < cap ? s.length : cap;
    // At worst a unit is 6 bytes (\u001f, or a lone surrogate's \udxxx).
    this.ensure(len * 6);
    const buf = this.buf;
    let n = this.n;
    for (let i = 0; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x20 && c < 0x80) {
        if (c === 0x22 || c === 0x5c) buf[n++] = 0x5c;
        buf[n++] = c;
      } else if (c < 0x20) {
        buf[n++] = 0x5c;
        const short = JSON_SHORT[c];
        if (short !== undefined) {
          buf[n++] = short;
        } else {
          n = unicodeEscape(buf, n, c);
        }
      } else if (c < 0x800) {
        buf[n++] = 0xc0 | (c >> 6);
        buf[n++] = 0x80 | (c & 0x3f);
      } else if (c < 0xd800 || c >= 0xe000) {
        buf[n++] = 0xe0 | (c >> 12);
        buf[n++] = 0x80 | ((c >> 6) & 0x3f);
        buf[n++] = 0x80 | (c & 0x3f);
      } else {
        const d = i + 1 < len ? s.charCodeAt(i + 1) : 0;
        if (c < 0xdc00 && d >= 0xdc00 && d < 0xe000) {
          const p = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          buf[n++] = 0xf0 | (p >> 18);
          buf[n++] = 0x80 | ((p >> 12) & 0x3f);
          buf[n++] = 0x80 | ((p >> 6) & 0x3f);
          buf[n++] = 0x80 | (p & 0x3f);
        } else {
          // A lone surrogate: well-formed JSON.stringify (ES2019) escapes it, lower-case hex.
          buf[n++] = 0x5c;
          n = unicodeEscape(buf, n, c);
        }
      }
    }
    this.n = n;
  }
}

function escapeX(buf: Uint8Array, n: number, byte: number): number {
  buf[n] = 0x5c;
  buf[n + 1] = 0x78;
  buf[n + 2] = HEX.charCodeAt(byte >> 4);
  buf[n + 3] = HEX.charCodeAt(byte & 15);
  return n + 4;
}

/** `uXXXX` (the backslash already written), lower-case as JSON.stringify writes it. */
function unicodeEscape(buf: Uint8Array, n: number, c: number): number {
  buf[n] = 0x75;
  buf[n + 1] = hex.charCodeAt(c >> 12);
  buf[n + 2] = hex.charCodeAt((c >> 8) & 15);
  buf[n + 3] = hex.charCodeAt((c >> 4) & 15);
  buf[n + 4] = hex.charCodeAt(c & 15);
  return n + 5;
}
