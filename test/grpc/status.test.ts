/** grpc-status codes, the HTTP-to-gRPC table, grpc-timeout and grpc-message, as data. */
import { describe, expect, test } from "bun:test";
import { decodeGrpcMessage, encodeGrpcMessage, GRPC_STATUS_NAMES, GrpcStatus, grpcStatusFromHttp, isGrpcStatus, MALFORMED_TIMEOUT, parseGrpcTimeout } from "../../src/grpc/status.ts";

describe("codes", () => {
  test("0..16 with statuscodes.md's names, in order", () => {
    expect(GRPC_STATUS_NAMES).toEqual([
      "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ]);
    GRPC_STATUS_NAMES.forEach((name, code) => expect(GrpcStatus[name as keyof typeof GrpcStatus]).toBe(code as never));
    expect([-1, 0, 16, 17, 1.5].map(isGrpcStatus)).toEqual([false, true, true, false, false]);
  });
});

describe("HTTP to gRPC (doc/http-grpc-status-mapping.md)", () => {
  const TABLE: readonly [number, number][] = [
    [400, GrpcStatus.INTERNAL],
    [401, GrpcStatus.UNAUTHENTICATED],
    [403, GrpcStatus.PERMISSION_DENIED],
    [404, GrpcStatus.UNIMPLEMENTED],
    [429, GrpcStatus.UNAVAILABLE],
    [502, GrpcStatus.UNAVAILABLE],
    [503, GrpcStatus.UNAVAILABLE],
    [504, GrpcStatus.UNAVAILABLE],
    [500, GrpcStatus.UNKNOWN],
    [200, GrpcStatus.UNKNOWN],
    [418, GrpcStatus.UNKNOWN],
    [501, GrpcStatus.UNKNOWN],
  ];
  for (const [http, grpc] of TABLE) test(`${http} → ${GRPC_STATUS_NAMES[grpc]}`, () => expect(grpcStatusFromHttp(http)).toBe(grpc as never));
});

describe("grpc-timeout", () => {
  const TIMEOUTS: readonly [string, number][] = [
    ["1H", 3_600_000],
    ["2M", 120_000],
    ["3S", 3000],
    ["250m", 250],
    ["1500u", 1.5],
    ["2000000n", 2],
    ["99999999S", 99_999_999_000],
    ["00000001m", 1],
    ["0m", 0],
  ];
  for (const [raw, ms] of TIMEOUTS) test(`${raw} = ${ms} ms`, () => expect(parseGrpcTimeout(raw)).toBeCloseTo(ms, 9));
  const MALFORMED = ["", "S", "1", "100", "123456789S", "1s", "1h", "1.5S", "-1S", " 1S", "1S ", "1 S", "+1S", "1x", "١S"];
  for (const raw of MALFORMED) test(`malformed: ${JSON.stringify(raw)}`, () => expect(parseGrpcTimeout(raw)).toBe(MALFORMED_TIMEOUT));
});

describe("grpc-message percent-encoding", () => {
  const MESSAGES: readonly [string, string][] = [
    ["", ""],
    ["unknown service", "unknown service"],
    ["100%", "100%25"],
    ["a\r\nb", "a%0D%0Ab"],
    ["é", "%C3%A9"],
    ["😀 ok", "%F0%9F%98%80 ok"],
    ["~ !$", "~ !$"],
    ["\x7f", "%7F"],
  ];
  for (const [text, wire] of MESSAGES) {
    test(JSON.stringify(text), () => {
      expect(encodeGrpcMessage(text)).toBe(wire);
      expect(decodeGrpcMessage(wire)).toBe(text);
    });
  }
  test("decoding keeps a malformed % sequence as it is", () => {
    expect(decodeGrpcMessage("50%")).toBe("50%");
    expect(decodeGrpcMessage("%zz%4")).toBe("%zz%4");
    expect(decodeGrpcMessage("%FF")).toBe("\ufffd");
  });
});
