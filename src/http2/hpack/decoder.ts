/**
 * The HPACK decoder (RFC 7541): one per connection, fed every header block
 * in order, even a block whose stream is refused, so its table stays in step
 * with the peer's encoder (RFC 9113 §4.3).
 */
import { HpackLimits, HpackResult, Representation, type HpackResultCode } from "./constants.ts";
import { DynamicTable } from "./dynamic-table.ts";
import { huffmanDecode, huffmanDecodedMax } from "./huffman.ts";
import { latin1 } from "./latin1.ts";
import { STATIC_NAMES, STATIC_TABLE_LENGTH, STATIC_VALUES } from "./static-table.ts";

/** What an integer or string read returns when the block is malformed. */
const BAD = -1;

/** Huffman output, shared by every decoder: one block is decoded at a time per thread. */
let scratch = new Uint8Array(256);

/** Literals a decoder remembers, and the longest (encoded) it remembers: a peer repeats a few short ones. */
const LITERAL_SLOTS = 8;
const LITERAL_MAX_OCTETS = 64;

export class HpackDecoder {
  private readonly table: DynamicTable;
  /** The read position inside the block being decoded. */
  private pos = 0;
  /** The last string literal read (valid when the read did not return BAD). */
  private text = "";
  /** §4.2: our limit was lowered below the table's size, so the next block must start with a size update. */
  private updateDue = false;
  /**
   * The last few short string literals, as their encoded octets (prefix octet included) and the
   * string each decoded to. Some encoders never index a field: nghttp2 (curl, h2load, Envoy)
   * sends `:path` and `content-length` as literals every time, so the same octets come again and
   * again. A repeat costs a byte comparison instead of a Huffman decode, and yields the very same
   * string, which RequestHead then needs no second look at. Made at the first literal.
   */
  private literalOctets: Uint8Array[] | null = null;
  private literalTexts: string[] | null = null;
  private literalNext = 0;

  /** `maxTableSize`: the SETTINGS_HEADER_TABLE_SIZE this side announced; the largest size update the peer may send (§4.2, §6.3). */
  constructor(maxTableSize: number = HpackLimits.DEFAULT_TABLE_SIZE) {
    this.table = new DynamicTable(maxTableSize);
  }

  /**
   * A new SETTINGS_HEADER_TABLE_SIZE, from when the peer acknowledged it.
   * Lowered below the size in force, the table shrinks now and the peer's
   * next block must open with a size update (§4.2), as nghttp2 requires.
   */
  setMaxTableSize(maxTableSize: number): void {
    if (maxTableSize < this.table.capacity) this.updateDue = true;
    this.table.setLimit(maxTableSize);
  }

  /** Entries and octets in the dynamic table, for tests and metrics. */
  get tableLength(): number {
    return this.table.length;
  }
  get tableSize(): number {
    return this.table.size;
  }
  /** The maximum size now in force (the peer's last size update). */
  get tableCapacity(): number {
    return this.table.capacity;
  }
  /** Name and value of dynamic entry `index` (1 = newest). */
  tableEntry(index: number): readonly [string, string] {
    return [this.table.name(index), this.table.value(index)];
  }

  /**
   * Decodes block[start,end), calling `field(name, value)` per field (latin1
   * strings, exactly the octets). Past `maxListSize` (RFC 9113 §6.5.2: name +
   * value + 32 per field) no more fields are emitted but the block is decoded
   * to its end, and the result is TOO_LARGE. Any encoding error gives
   * COMPRESSION_ERROR, after which the decoder is out of step for good.
   */
  decode(
    block: Uint8Array,
    start: number,
    end: number,
    maxListSize: number,
    field: (name: string, value: string) => void,
  ): HpackResultCode {
    const table = this.table;
    this.pos = start;
    let listSize = 0;
    let tooLarge = false;
    let fieldSeen = false;
    if (this.updateDue && (start >= end || (block[start]! & 0xe0) !== Representation.SIZE_UPDATE)) {
      return HpackResult.COMPRESSION_ERROR;
    }
    while (this.pos < end) {
      const first = block[this.pos]!;
      let name: string;
      let value: string;
      if (first & Representation.INDEXED) {
        const index = this.integer(block, end, Representation.INDEXED_PREFIX);
        // §6.1: index 0 is an error; §2.3.3: so is one past both tables.
        if (index <= 0) return HpackResult.COMPRESSION_ERROR;
        if (index <= STATIC_TABLE_LENGTH) {
          name = STATIC_NAMES[index]!;
          value = STATIC_VALUES[index]!;
        } else if (index - STATIC_TABLE_LENGTH <= table.length) {
          name = table.name(index - STATIC_TABLE_LENGTH);
          value = table.value(index - STATIC_TABLE_LENGTH);
        } else {
          return HpackResult.COMPRESSION_ERROR;
        }
      } else if (first & Representation.INCREMENTAL) {
        const index = this.integer(block, end, Representation.INCREMENTAL_PREFIX);
        // §2.3.3: a name index past both tables is an error.
        if (index === BAD || index > STATIC_TABLE_LENGTH + table.length) return HpackResult.COMPRESSION_ERROR;
        const known = this.indexedName(index);
        if (known === null && this.string(block, end, true) === BAD) return HpackResult.COMPRESSION_ERROR;
        name = known ?? this.text;
        if (this.string(block, end, true) === BAD) return HpackResult.COMPRESSION_ERROR;
        value = this.text;
        // §6.2.1: the field joins the table even when the list is over its limit.
        table.insert(name, value);
      } else if (first & Representation.SIZE_UPDATE) {
        // §4.2: updates only open a block, and never above our announced limit (§6.3).
        if (fieldSeen) return HpackResult.COMPRESSION_ERROR;
        const size = this.integer(block, end, Representation.SIZE_UPDATE_PREFIX);
        if (size === BAD || size > table.limit) return HpackResult.COMPRESSION_ERROR;
        table.resize(size);
        this.updateDue = false;
        continue;
      } else {
        // §6.2.2 and §6.2.3 differ only for intermediaries re-encoding; both are decoded alike.
        const index = this.integer(block, end, Representation.LITERAL_PREFIX);
        // §2.3.3: a name index past both tables is an error.
        if (index === BAD || index > STATIC_TABLE_LENGTH + table.length) return HpackResult.COMPRESSION_ERROR;
        const known = this.indexedName(index);
        if (known === null && this.string(block, end, !tooLarge) === BAD) return HpackResult.COMPRESSION_ERROR;
        name = known ?? this.text;
        if (this.string(block, end, !tooLarge) === BAD) return HpackResult.COMPRESSION_ERROR;
        value = this.text;
      }
      fieldSeen = true;
      if (tooLarge) continue;
      listSize += name.length + value.length + HpackLimits.ENTRY_OVERHEAD;
      if (listSize > maxListSize) tooLarge = true;
      else field(name, value);
    }
    return tooLarge ? HpackResult.TOO_LARGE : HpackResult.OK;
  }

  /** The name a literal refers to by index, null for index 0 (a new name follows); the caller checked the range. */
  private indexedName(index: number): string | null {
    if (index === 0) return null;
    if (index <= STATIC_TABLE_LENGTH) return STATIC_NAMES[index]!;
    return this.table.name(index - STATIC_TABLE_LENGTH);
  }

  /** §5.1: an integer with an N-bit prefix at pos; BAD when truncated or past MAX_INTEGER. */
  private integer(block: Uint8Array, end: number, prefixBits: number): number {
    if (this.pos >= end) return BAD;
    const max = (1 << prefixBits) - 1;
    let value = block[this.pos++]! & max;
    if (value < max) return value;
    let scale = 1;
    for (let octets = 0; octets < HpackLimits.MAX_INTEGER_OCTETS; octets++) {
      if (this.pos >= end) return BAD;
      const b = block[this.pos++]!;
      value += (b & 0x7f) * scale;
      if (value > HpackLimits.MAX_INTEGER) return BAD;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
    return BAD;
  }

  /**
   * §5.2: a string literal at pos into `text`; BAD when truncated or its
   * Huffman form is invalid. With `keep` false the octets are checked but no
   * string is built (a field past the list limit that the table will not hold).
   */
  private string(block: Uint8Array, end: number, keep: boolean): number {
    if (this.pos >= end) return BAD;
    const at = this.pos;
    const huffman = (block[at]! & Representation.HUFFMAN) !== 0;
    const length = this.integer(block, end, Representation.STRING_PREFIX);
    if (length === BAD || length > end - this.pos) return BAD;
    const from = this.pos;
    this.pos += length;
    // The same octets decode to the same string (a Huffman form was checked when first decoded).
    const remember = keep && this.pos - at <= LITERAL_MAX_OCTETS;
    if (remember && this.recall(block, at, this.pos)) return 0;
    if (!huffman) {
      this.text = keep ? latin1(block, from, from + length) : "";
    } else {
      const need = huffmanDecodedMax(length);
      if (scratch.length < need) scratch = new Uint8Array(Math.max(need, scratch.length * 2));
      const n = huffmanDecode(block, from, from + length, scratch);
      if (n === BAD) return BAD;
      this.text = keep ? latin1(scratch, 0, n) : "";
    }
    if (remember) this.keepLiteral(block, at, this.pos);
    return 0;
  }

  /** Sets `text` to the string block[start, end) decoded to before, if it is one of the last literals. */
  private recall(block: Uint8Array, start: number, end: number): boolean {
    const octets = this.literalOctets;
    if (octets === null) return false;
    const n = end - start;
    for (let slot = 0; slot < octets.length; slot++) {
      const known = octets[slot]!;
      if (known.length !== n) continue;
      let i = 0;
      while (i < n && known[i] === block[start + i]) i++;
      if (i === n) {
        this.text = this.literalTexts![slot]!;
        return true;
      }
    }
    return false;
  }

  private keepLiteral(block: Uint8Array, start: number, end: number): void {
    const octets = (this.literalOctets ??= []);
    const texts = (this.literalTexts ??= []);
    const slot = this.literalNext;
    this.literalNext = (slot + 1) % LITERAL_SLOTS;
    octets[slot] = block.slice(start, end);
    texts[slot] = this.text;
  }
}
