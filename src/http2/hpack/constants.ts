/** Closed tables of the HPACK coder (RFC 7541). */

/** Outcome of decoding one header block, a closed table. */
export const HpackResult = {
  OK: 0,
  /** The header list passed the limit; the block was still decoded, so the table is in step (RFC 9113 §6.5.2, §10.5.1). */
  TOO_LARGE: 1,
  /** The block cannot be decoded: a connection error (RFC 9113 §4.3). */
  COMPRESSION_ERROR: 2,
} as const;
export type HpackResultCode = (typeof HpackResult)[keyof typeof HpackResult];

/**
 * The first octet of each field representation (RFC 7541 §6): the pattern
 * bits, and the width of the integer prefix that follows them.
 */
export const Representation = {
  /** §6.1 indexed field: 1xxxxxxx. */
  INDEXED: 0x80,
  INDEXED_PREFIX: 7,
  /** §6.2.1 literal with incremental indexing: 01xxxxxx. */
  INCREMENTAL: 0x40,
  INCREMENTAL_PREFIX: 6,
  /** §6.3 dynamic table size update: 001xxxxx. */
  SIZE_UPDATE: 0x20,
  SIZE_UPDATE_PREFIX: 5,
  /** §6.2.2 without indexing (0000xxxx) and §6.2.3 never indexed (0001xxxx). */
  WITHOUT_INDEXING: 0x00,
  NEVER_INDEXED: 0x10,
  LITERAL_PREFIX: 4,
  /** §5.2: the high bit of a string's length says Huffman. */
  HUFFMAN: 0x80,
  STRING_PREFIX: 7,
} as const;

export const HpackLimits = {
  /** SETTINGS_HEADER_TABLE_SIZE's default (RFC 9113 §6.5.2). */
  DEFAULT_TABLE_SIZE: 4096,
  /** §4.1: an entry's size is its name and value octets plus 32. */
  ENTRY_OVERHEAD: 32,
  /**
   * §5.1 leaves integers unbounded; a decoder must refuse what it cannot hold
   * (§7.4 Security). Nothing in a header block needs more than 2^31−1 (frames
   * are at most 2^24−1 octets), and past it the sum would lose exactness.
   */
  MAX_INTEGER: 0x7fffffff,
  /** At most this many continuation octets (5 × 7 bits ≥ 31 bits), so a run of 0x80 octets cannot spin. */
  MAX_INTEGER_OCTETS: 5,
} as const;
