/**
 * The stateless HPACK encoder for response and trailer blocks. It never
 * inserts into the peer's dynamic table (every field is a literal without
 * indexing, RFC 7541 §6.2.2), so a block depends on nothing but its fields
 * and can be built once, cached and sent on any connection.
 */
import { Representation } from "./constants.ts";
import { huffmanEncode, huffmanEncodedLength } from "./huffman.ts";
import { STATIC_NAME_INDEX, STATIC_STATUS_INDEX } from "./static-table.ts";

/** The static index of the name `:status` (Appendix A). */
const STATUS_NAME_INDEX = 8;
/** Upper-case ASCII: RFC 9113 §8.2.1 makes a field name with one malformed. */
const UPPER_A = 0x41;
const UPPER_Z = 0x5a;

/**
 * `:status` first (a static index where one exists: `:status 200` is the one
 * octet 0x88), then each field as a literal without indexing, with a static
 * name index where one exists. Names must be lower-case; names and values are
 * latin1 strings (char codes 0-255).
 */
export function encodeResponseHeaders(status: number, fields: ReadonlyArray<readonly [string, string]>): Uint8Array {
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new TypeError(`bad :status ${status}`);
  const w = new BlockWriter(fields);
  const indexed = STATIC_STATUS_INDEX.get(status);
  if (indexed !== undefined) w.integer(Representation.INDEXED, Representation.INDEXED_PREFIX, indexed);
  else w.literal(STATUS_NAME_INDEX, "", String(status));
  w.fields(fields);
  return w.finish();
}

/** The same for a trailer block (no `:status`), e.g. grpc-status. */
export function encodeTrailers(fields: ReadonlyArray<readonly [string, string]>): Uint8Array {
  const w = new BlockWriter(fields);
  w.fields(fields);
  return w.finish();
}

class BlockWriter {
  private out: Uint8Array;
  private pos = 0;

  constructor(fields: ReadonlyArray<readonly [string, string]>) {
    // An upper bound: a prefix octet, two strings with their length integers
    // (≤ 6 octets each), never more octets than chars as the shorter form wins.
    let bound = 16;
    for (const [name, value] of fields) bound += name.length + value.length + 16;
    this.out = new Uint8Array(bound);
  }

  fields(fields: ReadonlyArray<readonly [string, string]>): void {
    for (const [name, value] of fields) {
      checkName(name);
      checkLatin1(value);
      this.literal(STATIC_NAME_INDEX.get(name) ?? 0, name, value);
    }
  }

  /** §6.2.2: literal without indexing; `nameIndex` 0 sends the name as a string. */
  literal(nameIndex: number, name: string, value: string): void {
    this.integer(Representation.WITHOUT_INDEXING, Representation.LITERAL_PREFIX, nameIndex);
    if (nameIndex === 0) this.string(name);
    this.string(value);
  }

  /** §5.2: raw octets unless the Huffman form is shorter. */
  private string(s: string): void {
    const huffman = huffmanEncodedLength(s);
    if (huffman < s.length) {
      this.integer(Representation.HUFFMAN, Representation.STRING_PREFIX, huffman);
      this.pos = huffmanEncode(s, this.out, this.pos);
      return;
    }
    this.integer(0, Representation.STRING_PREFIX, s.length);
    for (let i = 0; i < s.length; i++) this.out[this.pos++] = s.charCodeAt(i);
  }

  /** §5.1: `value` with an N-bit prefix, under the pattern bits `high`. */
  integer(high: number, prefixBits: number, value: number): void {
    const max = (1 << prefixBits) - 1;
    if (value < max) {
      this.out[this.pos++] = high | value;
      return;
    }
    this.out[this.pos++] = high | max;
    let rest = value - max;
    while (rest >= 128) {
      this.out[this.pos++] = (rest % 128) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.out[this.pos++] = rest;
  }

  finish(): Uint8Array {
    return this.out.slice(0, this.pos);
  }
}

function checkName(name: string): void {
  if (name.length === 0) throw new TypeError("empty field name");
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= UPPER_A && c <= UPPER_Z) || c > 0xff) throw new TypeError(`field name must be lower-case latin1: ${name}`);
  }
}

function checkLatin1(value: string): void {
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) > 0xff) throw new TypeError(`field value must be latin1: ${JSON.stringify(value)}`);
  }
}
