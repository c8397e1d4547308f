/**
 * HPACK error and limit cases as data: each block in, the result out
 * (RFC 7541 §4.2, §5.1, §5.2, §6; RFC 9113 §4.3, §6.5.2, §10.5.1).
 */
import { describe, expect, test } from "bun:test";
import { HpackDecoder, HpackResult } from "../../src/http2/hpack/index.ts";
import { hex, type Field } from "./hpack-rfc7541-cases.ts";

type Result = (typeof HpackResult)[keyof typeof HpackResult];
interface Case {
  readonly name: string;
  /** Blocks decoded in order by one decoder; every one but the last must give OK. */
  readonly blocks: readonly string[];
  readonly result: Result;
  /** Our SETTINGS_HEADER_TABLE_SIZE; 4096 when absent. */
  readonly maxTableSize?: number;
  /** A new SETTINGS_HEADER_TABLE_SIZE, acknowledged before the last block. */
  readonly settingsBeforeLast?: number;
  /** Fields the last block gives. */
  readonly fields?: readonly Field[];
}

const { OK, COMPRESSION_ERROR } = HpackResult;

const CASES: readonly Case[] = [
  { name: "§6.1 index 0", blocks: ["80"], result: COMPRESSION_ERROR },
  { name: "§2.3.3 index past the static table, empty dynamic table", blocks: ["be"], result: COMPRESSION_ERROR },
  { name: "§2.3.3 index one past the dynamic table", blocks: ["4001 6101 62", "bf"], result: COMPRESSION_ERROR },
  { name: "§2.3.3 the last dynamic index is fine", blocks: ["4001 6101 62", "be"], result: OK, fields: [["a", "b"]] },
  { name: "§2.3.3 literal's name index past the tables", blocks: ["7e01 61"], result: COMPRESSION_ERROR },
  { name: "§2.3.3 literal-without-indexing name index past the tables", blocks: ["0f2f 0161"], result: COMPRESSION_ERROR },
  { name: "§5.2 Huffman EOS inside a string", blocks: ["0184 ffff ffff"], result: COMPRESSION_ERROR },
  { name: "§5.2 EOS after a symbol", blocks: ["0185 1fff ffff ff"], result: COMPRESSION_ERROR },
  { name: "§5.2 padding longer than 7 bits", blocks: ["0182 1fff"], result: COMPRESSION_ERROR },
  { name: "§5.2 padding not all ones", blocks: ["0181 18"], result: COMPRESSION_ERROR },
  { name: "§5.2 padding of 3 ones is fine", blocks: ["0181 1f"], result: OK, fields: [[":authority", "a"]] },
  { name: "§5.2 a Huffman string that is all padding (8 ones)", blocks: ["0181 ff"], result: COMPRESSION_ERROR },
  { name: "§5.2 an empty Huffman string", blocks: ["0180"], result: OK, fields: [[":authority", ""]] },
  { name: "§5.1 integer past 2^31-1", blocks: ["ffff ffff ffff 0f"], result: COMPRESSION_ERROR },
  { name: "§5.1 integer with endless continuation octets", blocks: ["ff80 8080 8080 8080 8080 01"], result: COMPRESSION_ERROR },
  { name: "§5.1 integer truncated inside its continuation", blocks: ["ff80"], result: COMPRESSION_ERROR },
  { name: "§5.1 string length truncated", blocks: ["017f"], result: COMPRESSION_ERROR },
  { name: "§5.2 truncated literal value", blocks: ["0185 6162"], result: COMPRESSION_ERROR },
  { name: "§5.2 truncated literal name", blocks: ["0005 61"], result: COMPRESSION_ERROR },
  { name: "§6.2 literal with no value", blocks: ["01"], result: COMPRESSION_ERROR },
  { name: "§6.2.1 literal with indexing, no value", blocks: ["4001 61"], result: COMPRESSION_ERROR },
  { name: "§4.2 size update after a field", blocks: ["8220"], result: COMPRESSION_ERROR },
  { name: "§4.2 size update after a literal", blocks: ["0101 613f e11f"], result: COMPRESSION_ERROR },
  { name: "§6.3 size update above the announced 4096", blocks: ["3fe2 1f"], result: COMPRESSION_ERROR },
  { name: "§6.3 size update to exactly 4096", blocks: ["3fe1 1f82"], result: OK, fields: [[":method", "GET"]] },
  { name: "§6.3 size update above a smaller limit", maxTableSize: 100, blocks: ["3f46"], result: COMPRESSION_ERROR },
  { name: "§4.2 two size updates at the start", blocks: ["203f e11f 82"], result: OK, fields: [[":method", "GET"]] },
  { name: "§4.2 size update 0 empties the table", blocks: ["4001 6101 62", "20be"], result: COMPRESSION_ERROR },
  { name: "§4.2 size update 0 then back: entries are gone", blocks: ["4001 6101 62", "203f e11f be"], result: COMPRESSION_ERROR },
  {
    name: "§4.2 limit lowered: the next block must open with an update",
    blocks: ["4001 6101 62", "82"],
    settingsBeforeLast: 0,
    result: COMPRESSION_ERROR,
  },
  {
    name: "§4.2 limit lowered: an empty block is missing the update too",
    blocks: ["4001 6101 62", ""],
    settingsBeforeLast: 0,
    result: COMPRESSION_ERROR,
  },
  {
    name: "§4.2 limit lowered: an update within it is accepted",
    blocks: ["4001 6101 62", "2082"],
    settingsBeforeLast: 0,
    result: OK,
    fields: [[":method", "GET"]],
  },
  {
    name: "§4.2 limit lowered: an update above it is refused",
    blocks: ["4001 6101 62", "3f0182"],
    settingsBeforeLast: 31,
    result: COMPRESSION_ERROR,
  },
  {
    name: "§4.2 limit raised: no update needed, a larger one allowed",
    blocks: ["4001 6101 62", "3fe1 3fbe"],
    settingsBeforeLast: 8192,
    result: OK,
    fields: [["a", "b"]],
  },
];

describe("HPACK error and size-update cases", () => {
  for (const c of CASES) {
    test(c.name, () => {
      const decoder = new HpackDecoder(c.maxTableSize);
      const fields: Field[] = [];
      let result: number = OK;
      for (const [i, text] of c.blocks.entries()) {
        const last = i === c.blocks.length - 1;
        if (last && c.settingsBeforeLast !== undefined) decoder.setMaxTableSize(c.settingsBeforeLast);
        const block = hex(text);
        result = decoder.decode(block, 0, block.length, 1 << 16, (n, v) => {
          if (last) fields.push([n, v]);
        });
        if (!last) expect(result).toBe(OK);
      }
      expect(result).toBe(c.result);
      if (c.fields) expect(fields).toEqual(c.fields.map((f) => [...f] as const));
    });
  }
});

/** A literal with incremental indexing, new name, raw strings (§6.2.1). */
function indexedLiteral(name: string, value: string): number[] {
  return [0x40, ...rawString(name), ...rawString(value)];
}
function rawString(s: string): number[] {
  const out: number[] = [];
  let n = s.length;
  if (n < 127) out.push(n);
  else {
    out.push(127);
    n -= 127;
    while (n >= 128) {
      out.push((n % 128) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
  }
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
  return out;
}

describe("the header-list limit", () => {
  test("TOO_LARGE past the limit, and the table stays in step for the next block", () => {
    const decoder = new HpackDecoder();
    // 82 (:method GET: 7+3+32 = 42), a 100-octet value (1+100+32 = 133), then
    // an indexed literal after the limit, which must still join the table.
    const block = Uint8Array.from([0x82, ...indexedLiteral("x", "v".repeat(100)), ...indexedLiteral("late", "entry"), 0x86]);
    const got: Field[] = [];
    const result = decoder.decode(block, 0, block.length, 100, (n, v) => got.push([n, v]));
    expect(result).toBe(HpackResult.TOO_LARGE);
    expect(got).toEqual([[":method", "GET"]]);
    expect(decoder.tableLength).toBe(2);

    const next = hex("be bf 84");
    const after: Field[] = [];
    expect(decoder.decode(next, 0, next.length, 4096, (n, v) => after.push([n, v]))).toBe(HpackResult.OK);
    expect(after).toEqual([["late", "entry"], ["x", "v".repeat(100)], [":path", "/"]]);
  });

  test("a list exactly at the limit is OK", () => {
    const block = hex("82");
    expect(new HpackDecoder().decode(block, 0, block.length, 42, () => {})).toBe(HpackResult.OK);
    expect(new HpackDecoder().decode(block, 0, block.length, 41, () => {})).toBe(HpackResult.TOO_LARGE);
  });

  test("an encoding error after the limit is still COMPRESSION_ERROR", () => {
    const block = Uint8Array.from([...indexedLiteral("x", "v".repeat(100)), 0x80]);
    expect(new HpackDecoder().decode(block, 0, block.length, 64, () => {})).toBe(HpackResult.COMPRESSION_ERROR);
  });

  test("HPACK bomb: one 4 KiB entry referenced 16,000 times gives TOO_LARGE fast with bounded output", () => {
    const decoder = new HpackDecoder();
    const seed = Uint8Array.from(indexedLiteral("b", "a".repeat(4000)));
    expect(decoder.decode(seed, 0, seed.length, 1 << 16, () => {})).toBe(HpackResult.OK);
    expect(decoder.tableSize).toBe(4033);

    // One 16 KiB frame's worth of one-octet references: 64 MB of header list if expanded.
    const bomb = new Uint8Array(16_000).fill(0xbe);
    let emitted = 0;
    let octets = 0;
    const began = performance.now();
    const result = decoder.decode(bomb, 0, bomb.length, 16_384, (n, v) => {
      emitted++;
      octets += n.length + v.length;
    });
    const elapsed = performance.now() - began;
    expect(result).toBe(HpackResult.TOO_LARGE);
    expect(emitted).toBe(4); // 4 × 4033 ≤ 16,384 < 5 × 4033
    expect(octets).toBeLessThanOrEqual(16_384);
    // Each reference is a table lookup with no copy; measured well under 1 ms here.
    expect(elapsed).toBeLessThan(50);
    // The table is unchanged and still answers.
    const again = hex("be");
    let value = "";
    expect(decoder.decode(again, 0, again.length, 1 << 16, (_, v) => (value = v))).toBe(HpackResult.OK);
    expect(value.length).toBe(4000);
  });

  test("the dynamic table's octets never pass its limit", () => {
    const decoder = new HpackDecoder(256);
    for (let i = 0; i < 50; i++) {
      const block = Uint8Array.from(indexedLiteral(`name-${i}`, "x".repeat(i * 3)));
      expect(decoder.decode(block, 0, block.length, 1 << 16, () => {})).toBe(HpackResult.OK);
      expect(decoder.tableSize).toBeLessThanOrEqual(256);
    }
    // An entry larger than the whole table empties it (§4.4).
    const big = Uint8Array.from(indexedLiteral("big", "y".repeat(300)));
    expect(decoder.decode(big, 0, big.length, 1 << 16, () => {})).toBe(HpackResult.OK);
    expect(decoder.tableLength).toBe(0);
    expect(decoder.tableSize).toBe(0);
  });
});
