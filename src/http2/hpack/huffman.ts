/**
 * The Huffman code of RFC 7541 §5.2 and Appendix B: a decoder driven by a
 * table of one step per input byte, and the encoder the response blocks use.
 */
import { EOS, HUFFMAN_CODES, HUFFMAN_LENGTHS } from "./huffman-codes.ts";

/**
 * One step of the decoder, packed in a 32-bit word: the tree node it ends on
 * (bits 0-7), up to two symbols it completes (bits 8-15, 16-23) and their
 * count (bits 24-25), then two flags. A code is at least 5 bits long, so 8
 * bits complete at most two symbols.
 */
const Step = {
  NODE_MASK: 0xff,
  SYMBOL_MASK: 0xff,
  FIRST_SHIFT: 8,
  SECOND_SHIFT: 16,
  COUNT_SHIFT: 24,
  COUNT_MASK: 0x3,
  /** The byte reached EOS: a string holding EOS is an error (§5.2). */
  FAIL: 1 << 26,
  /** Ending here leaves fewer than 8 bits since the last symbol, all ones: valid padding (§5.2). */
  ACCEPT: 1 << 27,
} as const;

/** A node's children: an inner node's id (0..255), or a leaf as ~symbol. */
let children: Int16Array | null = null;
/** `steps[node << 8 | byte]`, built on the first Huffman string a peer sends. */
let steps: Uint32Array | null = null;

/** The tree of Appendix B: 257 leaves, so 256 inner nodes, the root is 0. */
function buildTree(): Int16Array {
  const kids = new Int16Array(512).fill(-32768);
  let next = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    const code = HUFFMAN_CODES[sym]!;
    const len = HUFFMAN_LENGTHS[sym]!;
    let node = 0;
    for (let i = len - 1; i > 0; i--) {
      const slot = (node << 1) | ((code >>> i) & 1);
      if (kids[slot] === -32768) kids[slot] = next++;
      node = kids[slot]!;
    }
    kids[(node << 1) | (code & 1)] = ~sym;
  }
  return kids;
}

function buildSteps(): Uint32Array {
  const kids = (children ??= buildTree());
  // A node accepts the end of the string when the path to it is all ones and
  // shorter than 8 bits (§5.2: padding is the most significant bits of EOS,
  // and more than 7 bits of it is an error).
  const accepts = new Uint8Array(256);
  for (let node = 0, depth = 0; depth < 8; depth++) {
    accepts[node] = 1;
    const child = kids[(node << 1) | 1]!;
    if (child < 0) break;
    node = child;
  }
  const table = new Uint32Array(256 * 256);
  for (let start = 0; start < 256; start++) {
    for (let byte = 0; byte < 256; byte++) {
      let node = start;
      let count = 0;
      let word = 0;
      for (let bit = 7; bit >= 0; bit--) {
        const child = kids[(node << 1) | ((byte >>> bit) & 1)]!;
        if (child >= 0) {
          node = child;
          continue;
        }
        const sym = ~child;
        if (sym === EOS) {
          word = Step.FAIL;
          break;
        }
        word |= sym << (count === 0 ? Step.FIRST_SHIFT : Step.SECOND_SHIFT);
        count++;
        node = 0;
      }
      if (word & Step.FAIL) {
        table[(start << 8) | byte] = Step.FAIL;
        continue;
      }
      table[(start << 8) | byte] = word | node | (count << Step.COUNT_SHIFT) | (accepts[node] ? Step.ACCEPT : 0);
    }
  }
  return table;
}

/** The most octets `n` Huffman octets can decode to (the shortest code is 5 bits). */
export function huffmanDecodedMax(n: number): number {
  return Math.ceil((n * 8) / 5);
}

/**
 * Decodes src[start,end) into dst from 0; returns the octet count, or -1 when
 * the string holds EOS or its padding is not 0-7 one bits (§5.2). `dst` must
 * hold `huffmanDecodedMax(end - start)` octets.
 */
export function huffmanDecode(src: Uint8Array, start: number, end: number, dst: Uint8Array): number {
  const table = (steps ??= buildSteps());
  let node = 0;
  let out = 0;
  let word: number = Step.ACCEPT;
  for (let i = start; i < end; i++) {
    word = table[(node << 8) | src[i]!]!;
    if (word & Step.FAIL) return -1;
    const count = (word >>> Step.COUNT_SHIFT) & Step.COUNT_MASK;
    if (count !== 0) {
      dst[out++] = (word >>> Step.FIRST_SHIFT) & Step.SYMBOL_MASK;
      if (count === 2) dst[out++] = (word >>> Step.SECOND_SHIFT) & Step.SYMBOL_MASK;
    }
    node = word & Step.NODE_MASK;
  }
  return word & Step.ACCEPT ? out : -1;
}

/** How many octets the Huffman form of a latin1 string takes. */
export function huffmanEncodedLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) bits += HUFFMAN_LENGTHS[s.charCodeAt(i) & 0xff]!;
  return (bits + 7) >>> 3;
}

/** Writes the Huffman form of a latin1 string at dst[pos]; returns the position after it. */
export function huffmanEncode(s: string, dst: Uint8Array, pos: number): number {
  // Pending bits stay under 8 and a code is at most 30 bits, so the
  // accumulator fits a double exactly (under 2^38); no 32-bit shifts on it.
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff;
    const len = HUFFMAN_LENGTHS[sym]!;
    acc = acc * 2 ** len + HUFFMAN_CODES[sym]!;
    bits += len;
    while (bits >= 8) {
      bits -= 8;
      const scale = 2 ** bits;
      dst[pos++] = Math.floor(acc / scale) & 0xff;
      acc %= scale;
    }
  }
  // §5.2: pad with the most significant bits of EOS (all ones).
  if (bits > 0) dst[pos++] = ((acc << (8 - bits)) | (0xff >>> bits)) & 0xff;
  return pos;
}
