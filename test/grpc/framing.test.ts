/** Length-prefixed messages (PROTOCOL-HTTP2.md): bodies as data, each with the walk it gives and the grpc-status of its failure. */
import { describe, expect, test } from "bun:test";
import { FRAMING_STATUS, FramingResult, MessageReader, prefixMessage, type FramingResultCode } from "../../src/grpc/framing.ts";
import { GrpcStatus } from "../../src/grpc/status.ts";
import { hex, toHex } from "./helpers.ts";

interface FramingCase {
  readonly name: string;
  readonly body: string;
  readonly encoding?: string;
  readonly max?: number;
  readonly messages: string[];
  readonly result: FramingResultCode;
  /** The grpc-status a failure answers with. */
  readonly status?: number;
}

const CASES: readonly FramingCase[] = [
  { name: "empty body: no message", body: "", messages: [], result: FramingResult.END },
  { name: "one empty message", body: "00 00000000", messages: [""], result: FramingResult.END },
  { name: "one message", body: "00 00000002 0801", messages: ["0801"], result: FramingResult.END },
  { name: "two messages", body: "00 00000001 aa 00 00000002 bbcc", messages: ["aa", "bbcc"], result: FramingResult.END },
  { name: "flag 0 with grpc-encoding gzip is plain", body: "00 00000001 aa", encoding: "gzip", messages: ["aa"], result: FramingResult.END },
  { name: "a prefix cut short", body: "00 000000", messages: [], result: FramingResult.TRUNCATED, status: GrpcStatus.INTERNAL },
  { name: "a length past the body", body: "00 00000005 0102", messages: [], result: FramingResult.TRUNCATED, status: GrpcStatus.INTERNAL },
  { name: "a second message cut", body: "00 00000001 aa 00 00", messages: ["aa"], result: FramingResult.TRUNCATED, status: GrpcStatus.INTERNAL },
  { name: "length at the maximum", body: "00 00000004 01020304", max: 4, messages: ["01020304"], result: FramingResult.END },
  { name: "length past the maximum, before the body is looked at", body: "00 00000005 01", max: 4, messages: [], result: FramingResult.TOO_LARGE, status: GrpcStatus.RESOURCE_EXHAUSTED },
  { name: "a 4 GiB - 1 length stays positive", body: "00 ffffffff 00", messages: [], result: FramingResult.TOO_LARGE, status: GrpcStatus.RESOURCE_EXHAUSTED },
  { name: "compressed with no grpc-encoding", body: "01 00000001 aa", messages: [], result: FramingResult.COMPRESSED_WITHOUT_ENCODING, status: GrpcStatus.INTERNAL },
  { name: "compressed with grpc-encoding identity", body: "01 00000001 aa", encoding: "identity", messages: [], result: FramingResult.COMPRESSED_WITHOUT_ENCODING, status: GrpcStatus.INTERNAL },
  { name: "compressed with gzip, which is not offered", body: "01 00000001 aa", encoding: "gzip", messages: [], result: FramingResult.UNSUPPORTED_ENCODING, status: GrpcStatus.UNIMPLEMENTED },
  { name: "flag 2", body: "02 00000001 aa", messages: [], result: FramingResult.BAD_FLAG, status: GrpcStatus.INTERNAL },
];

describe("MessageReader", () => {
  for (const c of CASES) {
    test(c.name, () => {
      const body = hex(c.body);
      const reader = new MessageReader(body, c.encoding ?? null, c.max ?? 1 << 20);
      const messages: string[] = [];
      let result: FramingResultCode = FramingResult.MESSAGE;
      for (let i = 0; i < 10 && result === FramingResult.MESSAGE; i++) {
        result = reader.next();
        if (result === FramingResult.MESSAGE) messages.push(toHex(body.subarray(reader.start, reader.end)));
      }
      expect({ messages, result }).toEqual({ messages: c.messages, result: c.result });
      if (c.status !== undefined) expect(FRAMING_STATUS[result] as number).toBe(c.status);
    });
  }

  test("reset reads another body from its start", () => {
    const reader = new MessageReader(hex("00 00000001 aa"), null, 10);
    expect(reader.next()).toBe(FramingResult.MESSAGE);
    reader.reset(hex("01 00000000"), null, 10);
    expect(reader.next()).toBe(FramingResult.COMPRESSED_WITHOUT_ENCODING);
  });

  test("prefixMessage: flag 0 and the big-endian length", () => {
    expect(toHex(prefixMessage(hex("0801")))).toBe("00000000020801");
    expect(toHex(prefixMessage(new Uint8Array(0x010203)).subarray(0, 5))).toBe("0000010203");
  });
});
