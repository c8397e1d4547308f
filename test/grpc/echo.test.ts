/** hello.v1.Echo: EchoRequest decoding cases as data, and an EchoReply checked byte for byte by hand. */
import { describe, expect, test } from "bun:test";
import { decodeEchoRequest, encodeEchoIdentity, encodeEchoReply } from "../../src/grpc/echo.ts";
import { fieldsOf, hex, IDENTITY, toHex } from "./helpers.ts";

describe("EchoRequest", () => {
  const CASES: readonly [string, string, string | null][] = [
    ["empty message", "", ""],
    ["message 'hi'", "0a026869", "6869"],
    ["empty bytes field", "0a00", ""],
    ["last repeated wins, unknown fields skipped", "0a0161 1001 0a0162 2d01020304", "62"],
    ["message as a varint", "0801", null],
    ["truncated", "0a05ff", null],
  ];
  for (const [name, wire, expected] of CASES) {
    test(name, () => {
      const bytes = hex(wire);
      const got = decodeEchoRequest(bytes, 0, bytes.length);
      expect(got === null ? null : toHex(got)).toBe(expected);
    });
  }
});

describe("EchoReply", () => {
  test("identity fields in order, defaults left out", () => {
    // hostname(6) "h", namespace(8) "ns", pid(10) 300, runtime(11) "bun", io(12) "syscall"
    expect(toHex(encodeEchoIdentity(IDENTITY))).toBe("320168" + "42026e73" + "50ac02" + "5a0362756e" + "620773797363616c6c");
  });

  test("a whole reply, prefix included", () => {
    const reply = encodeEchoReply(
      { message: hex("6869"), fields: fieldsOf([["te", "trailers"], ["x-a", "\u00ff"]]), peer: "p", authority: "", protocol: "h2c" },
      encodeEchoIdentity(IDENTITY),
    );
    const body =
      "0a026869" + // message
      "120e" + "0a027465" + "1208747261696c657273" + // metadata te: trailers
      "1208" + "0a03782d61" + "1201ff" + // metadata x-a: one octet 0xff, copied as it came
      "1a0170" + // peer
      "2a03683263" + // protocol
      "320168" + "42026e73" + "50ac02" + "5a0362756e" + "620773797363616c6c";
    expect(toHex(reply)).toBe("00" + (body.length / 2).toString(16).padStart(8, "0") + body);
  });

  test("pseudo-header fields are not metadata", () => {
    const reply = encodeEchoReply({ message: new Uint8Array(0), fields: fieldsOf([[":path", "/x"]]), peer: "", authority: "", protocol: "" }, new Uint8Array(0));
    expect(toHex(reply)).toBe("0000000000");
  });
});
