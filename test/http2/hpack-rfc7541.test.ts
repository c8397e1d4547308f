/** RFC 7541 Appendix C: every example decoded, its table checked after each block. */
import { describe, expect, test } from "bun:test";
import { HpackDecoder, HpackResult } from "../../src/http2/hpack/index.ts";
import { RFC_SEQUENCES, hex, type Field } from "./hpack-rfc7541-cases.ts";

describe("RFC 7541 Appendix C", () => {
  for (const seq of RFC_SEQUENCES) {
    const forms = seq.blocks[0]!.wires.length;
    for (let form = 0; form < forms; form++) {
      test(`${seq.name}${forms > 1 ? (form === 0 ? " (raw)" : " (Huffman)") : ""}`, () => {
        const decoder = new HpackDecoder(seq.maxTableSize);
        for (const block of seq.blocks) {
          const wire = hex(block.wires[form]!);
          const fields: Field[] = [];
          const result = decoder.decode(wire, 0, wire.length, 1 << 20, (n, v) => fields.push([n, v]));
          expect(result).toBe(HpackResult.OK);
          expect(fields).toEqual(block.fields.map((f) => [...f] as const));
          const table: Field[] = [];
          for (let i = 1; i <= decoder.tableLength; i++) table.push(decoder.tableEntry(i));
          expect(table).toEqual(block.table.map((f) => [...f] as const));
          expect(decoder.tableSize).toBe(block.tableSize);
        }
      });
    }
  }

  test("a block inside a larger buffer decodes from start to end only", () => {
    const wire = hex("ff ff 82 86 84 ff");
    const fields: Field[] = [];
    expect(new HpackDecoder().decode(wire, 2, 5, 1 << 20, (n, v) => fields.push([n, v]))).toBe(HpackResult.OK);
    expect(fields).toEqual([[":method", "GET"], [":scheme", "http"], [":path", "/"]]);
  });
});
