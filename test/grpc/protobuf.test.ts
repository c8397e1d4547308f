/** The protobuf wire format: reader cases as data (every wire type skipped, every way to be malformed), varint edges, the writer. */
import { describe, expect, test } from "bun:test";
import { ProtoReader, ProtoResult, ProtoWriter, readVarint, utf8Length, varintSize, type ProtoResultCode } from "../../src/grpc/protobuf.ts";
import { hex, toHex } from "./helpers.ts";

type Walk = { field: number; wire: number; bytes: string }[];
interface ReaderCase {
  readonly name: string;
  readonly wire: string;
  /** The fields walked before the end or the error. */
  readonly fields: Walk;
  readonly result: ProtoResultCode;
}

const READER_CASES: readonly ReaderCase[] = [
  { name: "empty message", wire: "", fields: [], result: ProtoResult.END },
  { name: "varint field 1 = 150 (the encoding guide's example)", wire: "08 96 01", fields: [{ field: 1, wire: 0, bytes: "9601" }], result: ProtoResult.END },
  { name: "string field 2 'testing'", wire: "12 07 74 65 73 74 69 6e 67", fields: [{ field: 2, wire: 2, bytes: "74657374696e67" }], result: ProtoResult.END },
  { name: "I64 and I32 are walked over", wire: "19 0102030405060708 25 01020304 08 01", fields: [{ field: 3, wire: 1, bytes: "0102030405060708" }, { field: 4, wire: 5, bytes: "01020304" }, { field: 1, wire: 0, bytes: "01" }], result: ProtoResult.END },
  { name: "a 10-byte varint (max uint64) is skippable", wire: "08 ffffffffffffffffff01", fields: [{ field: 1, wire: 0, bytes: "ffffffffffffffffff01" }], result: ProtoResult.END },
  { name: "largest field number 2^29-1", wire: "f8 ff ff ff 0f 00", fields: [{ field: 0x1fffffff, wire: 0, bytes: "00" }], result: ProtoResult.END },
  { name: "empty LEN field", wire: "0a 00", fields: [{ field: 1, wire: 2, bytes: "" }], result: ProtoResult.END },
  { name: "field number 0", wire: "00 01", fields: [], result: ProtoResult.BAD_FIELD },
  { name: "field number 2^29 (tag 2^32)", wire: "80 80 80 80 10 00", fields: [], result: ProtoResult.BAD_FIELD },
  { name: "start group", wire: "0b 0c", fields: [], result: ProtoResult.GROUP },
  { name: "end group", wire: "08 01 0c", fields: [{ field: 1, wire: 0, bytes: "01" }], result: ProtoResult.GROUP },
  { name: "wire type 6", wire: "0e 00", fields: [], result: ProtoResult.BAD_WIRE_TYPE },
  { name: "wire type 7", wire: "0f 00", fields: [], result: ProtoResult.BAD_WIRE_TYPE },
  { name: "tag cut inside its varint", wire: "80", fields: [], result: ProtoResult.TRUNCATED },
  { name: "varint value missing", wire: "08", fields: [], result: ProtoResult.TRUNCATED },
  { name: "varint value cut", wire: "08 96", fields: [], result: ProtoResult.TRUNCATED },
  { name: "LEN past the end", wire: "0a 05 61 62", fields: [], result: ProtoResult.TRUNCATED },
  { name: "LEN length cut", wire: "0a 80", fields: [], result: ProtoResult.TRUNCATED },
  { name: "I64 cut", wire: "09 01020304050607", fields: [], result: ProtoResult.TRUNCATED },
  { name: "I32 cut", wire: "0d 010203", fields: [], result: ProtoResult.TRUNCATED },
  { name: "11-byte varint", wire: "08 ffffffffffffffffff8001", fields: [], result: ProtoResult.VARINT_OVERFLOW },
  { name: "10th byte above 1 (65 bits)", wire: "08 ffffffffffffffffff02", fields: [], result: ProtoResult.VARINT_OVERFLOW },
  { name: "LEN length beyond 2^53", wire: "0a ffffffffffffffff7f", fields: [], result: ProtoResult.TOO_BIG },
];

function walk(bytes: Uint8Array): { fields: Walk; result: ProtoResultCode } {
  const reader = new ProtoReader(bytes);
  const fields: Walk = [];
  for (let i = 0; i < 100; i++) {
    const r = reader.next();
    if (r !== ProtoResult.FIELD) return { fields, result: r };
    fields.push({ field: reader.field, wire: reader.wire, bytes: toHex(bytes.subarray(reader.start, reader.end)) });
  }
  throw new Error("reader did not end");
}

describe("ProtoReader", () => {
  for (const c of READER_CASES) {
    test(c.name, () => {
      expect(walk(hex(c.wire))).toEqual({ fields: c.fields, result: c.result });
    });
  }

  test("every proper prefix of a well-formed message is refused or ends early, never read past", () => {
    const whole = hex("08 96 01 12 07 74 65 73 74 69 6e 67 19 0102030405060708 25 01020304");
    const boundaries = new Set([0, 3, 12, 21, 26]);
    for (let n = 0; n < whole.length; n++) {
      const { result } = walk(whole.subarray(0, n));
      expect({ n, result }).toEqual({ n, result: boundaries.has(n) ? ProtoResult.END : ProtoResult.TRUNCATED });
    }
  });

  test("a reader over a window of a larger buffer stops at the window", () => {
    const buf = hex("ff 08 01 08 02 ff");
    const reader = new ProtoReader(buf, 1, 5);
    expect([reader.next(), reader.uint(), reader.next(), reader.uint(), reader.next()]).toEqual([ProtoResult.FIELD, 1, ProtoResult.FIELD, 2, ProtoResult.END]);
  });
});

describe("varints", () => {
  const VALUES: readonly [string, number][] = [
    ["00", 0],
    ["01", 1],
    ["7f", 127],
    ["8001", 128],
    ["ac02", 300],
    ["ffffffff0f", 0xffffffff],
    ["8080808010", 2 ** 32],
    ["ffffffffffffff0f", 2 ** 53 - 1],
  ];
  for (const [wire, value] of VALUES) {
    test(`${wire} = ${value}, both ways`, () => {
      const next = { pos: 0 };
      expect(readVarint(hex(wire), 0, wire.length / 2, next)).toBe(value);
      expect(next.pos).toBe(wire.length / 2);
      const w = new ProtoWriter(new Uint8Array(varintSize(value)));
      w.varint(value);
      expect(toHex(w.buf)).toBe(wire);
      expect(w.pos).toBe(w.buf.length);
    });
  }

  test("2^53 and the 64-bit maximum are refused as values, yet skipped as unknown fields", () => {
    const next = { pos: 0 };
    expect(readVarint(hex("8080808080808010"), 0, 8, next)).toBe(-ProtoResult.TOO_BIG);
    expect(readVarint(hex("ffffffffffffffffff01"), 0, 10, next)).toBe(-ProtoResult.TOO_BIG);
    const reader = new ProtoReader(hex("08 ffffffffffffffffff01"));
    expect(reader.next()).toBe(ProtoResult.FIELD);
    expect(reader.uint()).toBe(-1);
  });
});

describe("ProtoWriter", () => {
  test("fields: uint, bytes, string (UTF-8), latin1 octets", () => {
    const w = new ProtoWriter(new Uint8Array(64));
    w.uintField(1, 150).bytesField(2, hex("0001ff")).stringField(3, "é€😀").latin1Field(4, "\u00ff\u0041");
    expect(toHex(w.buf.subarray(0, w.pos))).toBe("089601" + "12030001ff" + "1a09c3a9e282acf09f9880" + "2202ff41");
  });

  test("utf8Length agrees with TextEncoder, lone surrogates included", () => {
    for (const s of ["", "a", "é", "€", "😀", "a\ud800b", "\udc00", "x".repeat(300)]) {
      expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
    }
  });
});
