/**
 * The client's side of RFC 6455 for the echo generator: the opening
 * handshake (a fresh 16-byte key, the server's 101 checked field by
 * field), masked text frames as a browser sends them, and the server's
 * frames read back. Pure except for the random pool (node:crypto, which
 * Bun, Deno and Node all have). The accept value is computed with
 * node:crypto's SHA-1, not with src/ws: the generator must not share the
 * code of the server it checks.
 *
 * Usage: const key = newKey(pool); send(handshakeRequest(url, key)); …
 *        checkHandshake(headText, key) === null → open
 */
import { createHash, getRandomValues } from "node:crypto";

/** §1.3: the GUID the server appends to the client's key. */
const ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** §5.2 opcodes this client sends or expects. */
export const Op = { TEXT: 0x1, CLOSE: 0x8, PING: 0x9, PONG: 0xa } as const;

/**
 * Largest message the generator sends: the 7-bit payload length of §5.2,
 * so every frame has one header form (2 bytes + the 4-byte mask).
 */
export const MAX_MESSAGE = 125;

/** Header of a masked frame with a 7-bit length: 2 bytes, then the 4-byte masking key (§5.2). */
const MASKED_HEADER = 6;

/**
 * Random bytes drawn in blocks: §5.3 wants each frame's mask unpredictable
 * (a strong source, a fresh key per frame); one getRandomValues call per
 * 64 KiB keeps that off the per-message cost of the generator.
 */
export class RandomPool {
  private readonly bytes = new Uint8Array(64 * 1024);
  private next = this.bytes.length;

  /** Offset in `pool` of n fresh bytes (n ≤ 64 KiB). */
  take(n: number): number {
    if (this.next + n > this.bytes.length) {
      getRandomValues(this.bytes);
      this.next = 0;
    }
    const at = this.next;
    this.next += n;
    return at;
  }

  get pool(): Uint8Array {
    return this.bytes;
  }
}

/** §4.1: a nonce of 16 random bytes, base64-encoded. */
export function newKey(random: RandomPool): string {
  const at = random.take(16);
  return Buffer.from(random.pool.subarray(at, at + 16)).toString("base64");
}

/** §4.2.2 item 5.4: base64(SHA-1(key + GUID)). */
export function expectedAccept(key: string): string {
  return createHash("sha1").update(key + ACCEPT_GUID).digest("base64");
}

/** §4.1: the opening handshake a browser sends, without Origin and without extensions or subprotocols. */
export function handshakeRequest(url: URL, key: string): Uint8Array {
  return new TextEncoder().encode(
    `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
}

/** Offset just past CRLF CRLF in buf[0, len), or -1. */
export function headEnd(buf: Uint8Array, len: number): number {
  for (let i = 3; i < len; i++) if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) return i + 1;
  return -1;
}

/**
 * Why the server's answer to the handshake is not an accepted WebSocket
 * (§4.1, the client's checks on the server's handshake), or null.
 */
export function checkHandshake(head: string, key: string): string | null {
  const lines = head.split("\r\n");
  // Item 1: a status other than 101 means the handshake did not complete.
  const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? "");
  if (!status) return "not an HTTP/1.1 status line";
  if (status[1] !== "101") return `status ${status[1]} instead of 101`;
  const fields = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    fields.set(name, fields.has(name) ? `${fields.get(name)}, ${value}` : value);
  }
  const tokens = (name: string) => (fields.get(name) ?? "").toLowerCase().split(",").map((t) => t.trim());
  // Items 2 and 3: Upgrade holds websocket, Connection holds upgrade, both case-insensitive.
  if (!tokens("upgrade").includes("websocket")) return "Upgrade does not hold websocket";
  if (!tokens("connection").includes("upgrade")) return "Connection does not hold upgrade";
  // Item 4: the accept value is exactly base64(SHA-1(key + GUID)).
  if (fields.get("sec-websocket-accept") !== expectedAccept(key)) return "wrong Sec-WebSocket-Accept";
  // Items 5 and 6: no extension and no subprotocol was offered, so none may be selected.
  if (fields.has("sec-websocket-extensions")) return "an extension the client did not offer";
  if (fields.has("sec-websocket-protocol")) return "a subprotocol the client did not offer";
  return null;
}

/**
 * The payload of message `seq` on connection `slot`, `size` ASCII bytes
 * written into out[0, size): different every message, so an echo of a
 * stale or another connection's message is caught.
 */
export function fillPayload(out: Uint8Array, size: number, slot: number, seq: number): void {
  const tag = `${slot.toString(36)}.${seq.toString(36)}.`;
  for (let i = 0; i < size; i++) out[i] = i < tag.length ? tag.charCodeAt(i) : 97 + ((seq + i) % 26);
}

/**
 * A final masked frame (§5.2, §5.3) of `opcode` carrying payload[0, size)
 * into out from 0, with the 4 mask bytes at random.pool[maskAt]; returns
 * its length. size ≤ MAX_MESSAGE.
 */
export function encodeMasked(out: Uint8Array, opcode: number, payload: Uint8Array, size: number, random: RandomPool): number {
  const maskAt = random.take(4);
  const mask = random.pool;
  out[0] = 0x80 | opcode;
  out[1] = 0x80 | size;
  out[2] = mask[maskAt]!;
  out[3] = mask[maskAt + 1]!;
  out[4] = mask[maskAt + 2]!;
  out[5] = mask[maskAt + 3]!;
  for (let i = 0; i < size; i++) out[MASKED_HEADER + i] = payload[i]! ^ mask[maskAt + (i & 3)]!;
  return MASKED_HEADER + size;
}

/** A masked close frame with status code 1000, normal closure (§5.5.1, §7.4.1). */
export function encodeClose(out: Uint8Array, random: RandomPool): number {
  const code = new Uint8Array([0x03, 0xe8]);
  return encodeMasked(out, Op.CLOSE, code, 2, random);
}

/** One server frame's header fields, filled by readFrame. */
export interface ServerFrame {
  fin: boolean;
  /** RSV1–3 (§5.2): must be 0, nothing was negotiated. */
  rsv: number;
  opcode: number;
  /** §5.1: a server must never mask. */
  masked: boolean;
  payloadStart: number;
  payloadLength: number;
  /** Offset just past the frame. */
  end: number;
}

/**
 * Reads the frame at buf[at, len) into `frame`: true when whole, false
 * when more bytes are needed. Lengths up to 2^53 (§5.2's 64-bit form is
 * read as a double; no echo here comes near).
 */
export function readFrame(buf: Uint8Array, at: number, len: number, frame: ServerFrame): boolean {
  if (len - at < 2) return false;
  const b0 = buf[at]!, b1 = buf[at + 1]!;
  let length = b1 & 0x7f;
  let header = 2;
  if (length === 126) {
    if (len - at < 4) return false;
    length = (buf[at + 2]! << 8) | buf[at + 3]!;
    header = 4;
  } else if (length === 127) {
    if (len - at < 10) return false;
    length = 0;
    for (let i = 2; i < 10; i++) length = length * 256 + buf[at + i]!;
    header = 10;
  }
  if ((b1 & 0x80) !== 0) header += 4;
  frame.fin = (b0 & 0x80) !== 0;
  frame.rsv = b0 & 0x70;
  frame.opcode = b0 & 0x0f;
  frame.masked = (b1 & 0x80) !== 0;
  frame.payloadStart = at + header;
  frame.payloadLength = length;
  frame.end = at + header + length;
  return frame.end <= len;
}
