/** The stateless response encoder: exact octets for the common cases, and what it refuses. */
import { describe, expect, test } from "bun:test";
import { encodeResponseHeaders, encodeTrailers } from "../../src/http2/hpack/index.ts";
import { hex } from "./hpack-rfc7541-cases.ts";

const CASES: ReadonlyArray<{ name: string; status: number | null; fields: ReadonlyArray<readonly [string, string]>; wire: string }> = [
  { name: ":status 200 is the one octet 0x88", status: 200, fields: [], wire: "88" },
  { name: "every static :status is indexed", status: 404, fields: [], wire: "8d" },
  { name: "other statuses: literal with the :status name index", status: 503, fields: [], wire: "0803 3530 33" },
  // "text/plain" is 10 octets raw, 8 in Huffman: Huffman wins; "bar" is 3 raw, 3 Huffman: raw.
  {
    name: "static name index, Huffman only when shorter",
    status: 200,
    fields: [["content-type", "text/plain"], ["x-foo", "bar"]],
    wire: "88 0f10 8749 7ca5 8ae8 19aa 0084 f2b4 a73f 0362 6172",
  },
  { name: "an empty value", status: 204, fields: [["server", ""]], wire: "89 0f27 00" },
  // "grpc-status": 11 octets raw, 8 in Huffman (python3-hpack's encoder agrees).
  { name: "trailers have no :status", status: null, fields: [["grpc-status", "0"]], wire: "0088 9aca c8b2 1234 da8f 0130" },
];

describe("encodeResponseHeaders / encodeTrailers", () => {
  for (const c of CASES) {
    test(c.name, () => {
      const block = c.status === null ? encodeTrailers(c.fields) : encodeResponseHeaders(c.status, c.fields);
      expect(Array.from(block)).toEqual(Array.from(hex(c.wire)));
    });
  }

  test("a long value gets a multi-octet length (§5.1)", () => {
    const value = "x".repeat(300);
    const block = encodeTrailers([["a", value]]);
    // 'x' is 7 bits in Huffman, so 300 × 7 / 8 = 263 octets beat 300 raw.
    expect(Array.from(block.subarray(0, 6))).toEqual([0x00, 0x01, 0x61, 0xff, 0x88, 0x01]);
    expect(block.length).toBe(6 + 263);
  });

  test("refuses upper-case names, non-latin1 text and impossible statuses", () => {
    expect(() => encodeTrailers([["Content-Type", "x"]])).toThrow(TypeError);
    expect(() => encodeTrailers([["x", "\u0100"]])).toThrow(TypeError);
    expect(() => encodeTrailers([["", "x"]])).toThrow(TypeError);
    expect(() => encodeResponseHeaders(99, [])).toThrow(TypeError);
    expect(() => encodeResponseHeaders(1000, [])).toThrow(TypeError);
  });
});
