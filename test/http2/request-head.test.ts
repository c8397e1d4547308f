/**
 * The memos of a repeated request: RequestHead remembers by position the strings whose
 * characters it already checked (request-head.ts), and the HPACK decoder the last short literals
 * it decoded (decoder.ts), so a repeated list skips those checks and decodes. Neither may ever let
 * a bad field through or stand in for other octets: the lists are decoded the way the session
 * decodes them, from real HPACK blocks, so the strings are the decoder's own.
 */
import { expect, test } from "bun:test";
import { HpackDecoder } from "../../src/http2/hpack/decoder.ts";
import { Malformed, RequestHead } from "../../src/http2/request-head.ts";

/** HPACK blocks of one connection (Python's hpack, incremental indexing): the same list twice, the second all indexed. */
const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));
const FIRST = hex("828486418b089d5c0b8170dc0bc07c5f5383f963e7907a8f9c541c722954d3a5358980aed89707");
const REPEAT = hex("828486c0bf90be");

/** One list given as decoded fields, checked as the session checks a header block. */
function checkList(head: RequestHead, fields: readonly (readonly [string, string])[]): Malformed {
  head.begin(false);
  for (const [n, v] of fields) head.field(n, v);
  return head.finish();
}

function decodeList(decoder: HpackDecoder, head: RequestHead, block: Uint8Array): Malformed {
  head.begin(false);
  decoder.decode(block, 0, block.length, 65536, head.field);
  return head.finish();
}

test("a repeated list from the HPACK table is accepted every time, with its fields", () => {
  const decoder = new HpackDecoder();
  const head = new RequestHead();
  expect(decodeList(decoder, head, FIRST)).toBe(Malformed.NONE);
  for (let i = 0; i < 3; i++) {
    expect(decodeList(decoder, head, REPEAT)).toBe(Malformed.NONE);
    expect([head.method, head.scheme, head.path, head.authority]).toEqual(["GET", "http", "/", "127.0.0.1:18092"]);
    expect(head.fields).toEqual(["accept", "*/*", "accept-encoding", "gzip, deflate", "user-agent", "h2load nghttp2/1.52.0"]);
  }
});

/** A clean list's first three fields, then one that varies: each variant is judged afresh after the clean list was remembered. */
const GOOD: [string, string][] = [[":method", "GET"], [":scheme", "http"], [":path", "/"], ["accept", "*/*"]];
const AFTER_GOOD: readonly (readonly [string, readonly [string, string], Malformed])[] = [
  ["an upper-case name at a remembered position", ["Accept", "*/*"], Malformed.UPPERCASE_NAME],
  ["a CR LF in a value", ["accept", "a\r\nb"], Malformed.INVALID_VALUE],
  ["a leading space in a value", ["accept", " */*"], Malformed.INVALID_VALUE],
  ["a second :path (list-level rule)", [":path", "/"], Malformed.DUPLICATE_PSEUDO],
  ["a connection field (list-level rule)", ["connection", "close"], Malformed.CONNECTION_FIELD],
  ["the clean field again", ["accept", "*/*"], Malformed.NONE],
];

test("after a clean list is remembered, a field at its positions is still judged: bad characters and list-level rules", () => {
  const head = new RequestHead();
  expect(checkList(head, GOOD)).toBe(Malformed.NONE);
  for (const [what, field, expected] of AFTER_GOOD) {
    expect([what, checkList(head, [...GOOD.slice(0, 3), field])]).toEqual([what, expected]);
    expect(checkList(head, GOOD)).toBe(Malformed.NONE);
  }
  expect(checkList(head, [GOOD[0]!, GOOD[3]!, GOOD[1]!, GOOD[2]!])).toBe(Malformed.PSEUDO_AFTER_REGULAR);
});

test("a refused field is never remembered: the same strings are refused again", () => {
  const head = new RequestHead();
  const bad: [string, string][] = [[":method", "GET"], [":scheme", "http"], [":path", "/"], ["x-a", "1\x002"]];
  for (let i = 0; i < 3; i++) expect(checkList(head, bad)).toBe(Malformed.INVALID_VALUE);
});

/** Python's hpack with `:path` and `content-length` never indexed, as nghttp2 (curl, h2load, Envoy) sends them every time. */
const GRPC_FIRST = hex("83861495626b2b22f394742675fb857c651d099d8bd3949d7f418b089d5c0b8170dc0bc07dbf4082497f864d833505b11f5f8b1d75d0620d263d4c4d65647a8f9c541c722954d3a5358980aed897071f0d816f");
const GRPC_REPEAT = hex("83861495626b2b22f394742675fb857c651d099d8bd3949d7fc1c0bfbe1f0d816f");

test("a literal the peer repeats decodes to the same string object, and the list to the same request", () => {
  const decoder = new HpackDecoder();
  const head = new RequestHead();
  expect(decodeList(decoder, head, GRPC_FIRST)).toBe(Malformed.NONE);
  const firstPath = head.path;
  for (let i = 0; i < 3; i++) {
    expect(decodeList(decoder, head, GRPC_REPEAT)).toBe(Malformed.NONE);
    expect(head.path).toBe("/grpc.health.v1.Health/Check");
    expect(Object.is(head.path, firstPath)).toBe(true);
    expect(head.contentLength).toBe(5);
    expect(head.method).toBe("POST");
  }
});

test("remembered literals never stand in for other octets: 20 paths of one length, in turn, each decoded right", () => {
  const decoder = new HpackDecoder();
  // Literal without indexing, name :path (static index 4), raw (not Huffman) value of 9 octets.
  const block = (path: string): Uint8Array => Uint8Array.from([0x04, path.length, ...Array.from(path, (c) => c.charCodeAt(0))]);
  const paths = Array.from({ length: 20 }, (_, i) => `/item-${String(i).padStart(3, "0")}`);
  for (let round = 0; round < 3; round++) {
    for (const path of paths) {
      let seen = "";
      const b = block(path);
      decoder.decode(b, 0, b.length, 65536, (name, value) => {
        if (name === ":path") seen = value;
      });
      expect(seen).toBe(path);
    }
  }
});

test("a Content-Length remembered as valid does not let a different one through", () => {
  const head = new RequestHead();
  const list = (length: string): Malformed => checkList(head, [[":method", "POST"], [":scheme", "http"], [":path", "/"], ["content-length", length]]);
  expect(list("5")).toBe(Malformed.NONE);
  expect(head.contentLength).toBe(5);
  expect(list("5")).toBe(Malformed.NONE);
  expect(list("-1")).toBe(Malformed.BAD_CONTENT_LENGTH);
  expect(list("12")).toBe(Malformed.NONE);
  expect(head.contentLength).toBe(12);
});
