/** The opening handshake (RFC 6455 §4.2): which requests are upgrades, and the accept value. */
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { acceptValue, checkUpgrade, upgradeAnswer } from "../../src/ws/handshake.ts";
import { encodeBase64 } from "../../src/ws/base64.ts";
import { sha1 } from "../../src/ws/sha1.ts";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const GOOD: Record<string, string> = {
  host: "example.com",
  upgrade: "websocket",
  connection: "Upgrade",
  "sec-websocket-key": KEY,
  "sec-websocket-version": "13",
};

function check(overrides: Record<string, string | null>, method = "GET") {
  const fields: Record<string, string | null> = { ...GOOD, ...overrides };
  return checkUpgrade(method, (name) => fields[name] ?? null);
}

describe("Sec-WebSocket-Accept", () => {
  // RFC 6455 §1.3 prints s3pPLMBiTxaQ9kYGzzhZRbK+xOo= (node:crypto agrees); a value quoted elsewhere
  // as "s3pPLMBiTxaQ9kK0gzGJAO+zYeo=" shares only its first 15 characters and is not the RFC's.
  test("RFC 6455 §1.3's example", () => {
    expect(acceptValue(KEY)).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    expect(check({})).toEqual({ accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" });
  });

  test("SHA-1 and base64 agree with node:crypto for every length 0..200 (padding and block edges)", () => {
    for (let n = 0; n <= 200; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n) & 0xff);
      expect(Buffer.from(sha1(data)).toString("hex")).toBe(createHash("sha1").update(data).digest("hex"));
      expect(encodeBase64(data)).toBe(Buffer.from(data).toString("base64"));
    }
  });

  test("random keys agree with node:crypto", () => {
    for (let i = 0; i < 50; i++) {
      const key = Buffer.from(Uint8Array.from({ length: 16 }, (_, j) => (i * 37 + j * 101) & 0xff)).toString("base64");
      const want = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
      expect(check({ "sec-websocket-key": key })).toEqual({ accept: want });
    }
  });
});

describe("which requests upgrade", () => {
  const accepted: [string, Record<string, string>][] = [
    ["Firefox's Connection: keep-alive, Upgrade", { connection: "keep-alive, Upgrade" }],
    ["upgrade in lower case, with OWS", { connection: " upgrade ", upgrade: "WebSocket" }],
    ["Upgrade listing another protocol too", { upgrade: "h2c, websocket" }],
    ["the key with surrounding whitespace", { "sec-websocket-key": ` ${KEY}\t` }],
  ];
  for (const [name, fields] of accepted) test(`accepted: ${name}`, () => expect("accept" in check(fields)).toBe(true));

  const refused: [string, Record<string, string | null>, 400 | 426, string?][] = [
    ["no Upgrade", { upgrade: null }, 400],
    ["Upgrade: h2c", { upgrade: "h2c" }, 400],
    ["Upgrade: websocket/13 is another token", { upgrade: "websocket/13" }, 400],
    ["no Connection", { connection: null }, 400],
    ["Connection: keep-alive only", { connection: "keep-alive" }, 400],
    ["Connection: upgraded is not upgrade", { connection: "upgraded" }, 400],
    ["no Host", { host: null }, 400],
    ["no key", { "sec-websocket-key": null }, 400],
    ["a key of 15 bytes", { "sec-websocket-key": Buffer.alloc(15, 1).toString("base64") }, 400],
    ["a key of 17 bytes", { "sec-websocket-key": Buffer.alloc(17, 1).toString("base64") }, 400],
    ["a key without padding", { "sec-websocket-key": KEY.slice(0, 22) }, 400],
    ["a key with a character outside base64", { "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZ!==" }, 400],
    ["an empty key", { "sec-websocket-key": "" }, 400],
    ["version 8", { "sec-websocket-version": "8" }, 426],
    ["no version", { "sec-websocket-version": null }, 426],
    ["versions listed", { "sec-websocket-version": "13, 8" }, 426],
  ];
  for (const [name, fields, status] of refused) {
    test(`refused with ${status}: ${name}`, () => {
      const r = check(fields);
      expect("status" in r && r.status).toBe(status);
    });
  }
  test("refused with 400: POST", () => expect(check({}, "POST")).toMatchObject({ status: 400 }));
  test("refused with 400: a bad request with a bad version is 400, not 426 (the version is checked last)", () => {
    expect(check({ upgrade: null, "sec-websocket-version": "8" })).toMatchObject({ status: 400 });
  });
});

describe("the 101 answer", () => {
  test("status line, Upgrade, Connection, the accept and extra fields; no subprotocol or extension", () => {
    const text = new TextDecoder().decode(upgradeAnswer("s3pPLMBiTxaQ9kK0gzGJAO+zYeo=", "X-Served-By: a\r\n"));
    expect(text).toBe(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kK0gzGJAO+zYeo=\r\nX-Served-By: a\r\n\r\n",
    );
    expect(text.toLowerCase()).not.toContain("sec-websocket-protocol");
    expect(text.toLowerCase()).not.toContain("sec-websocket-extensions");
  });
});
