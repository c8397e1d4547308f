/**
 * The server's side of the opening handshake (RFC 6455 §4.2): is this HTTP/1.1 request a valid
 * upgrade, and the 101 answer that accepts it. No subprotocol is selected (Sec-WebSocket-Protocol
 * is omitted, which §4.2.2 item 5.4 allows: the client then has none) and no extension is
 * negotiated (Sec-WebSocket-Extensions is omitted, so permessage-deflate and every RSV bit stay off).
 */
import { encodeBase64, isBase64Nonce } from "./base64.ts";
import { sha1 } from "./sha1.ts";

/** §1.3: the GUID every server appends to the client's key. */
const ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** §4.2.2 item 4: the one version this server speaks, named in a 426 answer. */
export const WEBSOCKET_VERSION = "13";

/** The field line a 426 answer carries (§4.2.2 item 4), CRLF included. */
export const VERSION_FIELD_LINE = `Sec-WebSocket-Version: ${WEBSOCKET_VERSION}\r\n`;

export type UpgradeCheck = { accept: string } | { status: 400 | 426; reason: string };

/**
 * Checks a request against §4.2.1. `field(lowerName)` gives a header field's value (repeated
 * fields joined with `, `), or null when absent. On success, `accept` is the
 * Sec-WebSocket-Accept value; otherwise the status to answer and why.
 */
export function checkUpgrade(method: string, field: (lowerName: string) => string | null): UpgradeCheck {
  // §4.2.1 item 1: the method MUST be GET.
  if (method !== "GET") return { status: 400, reason: "a WebSocket upgrade must be a GET" };
  // §4.2.1 item 2: a Host field (RFC 9112 §3.2 already requires it of every HTTP/1.1 request).
  if (field("host") === null) return { status: 400, reason: "no Host field" };
  // §4.2.1 item 3: Upgrade holds `websocket`, compared case-insensitively.
  if (!hasToken(field("upgrade"), "websocket")) return { status: 400, reason: "Upgrade does not hold websocket" };
  // §4.2.1 item 4: Connection holds `Upgrade`, in any case and list position (Firefox sends `keep-alive, Upgrade`).
  if (!hasToken(field("connection"), "upgrade")) return { status: 400, reason: "Connection does not hold upgrade" };
  // §4.2.1 item 5: a base64 value that decodes to 16 bytes.
  const key = field("sec-websocket-key");
  const trimmed = key === null ? null : trimOws(key);
  if (trimmed === null || !isBase64Nonce(trimmed)) return { status: 400, reason: "Sec-WebSocket-Key is not 16 bytes in base64" };
  // §4.2.1 item 6 with §4.2.2 item 4: any version but 13 gets 426 naming the one spoken here.
  const version = field("sec-websocket-version");
  if (version === null || trimOws(version) !== WEBSOCKET_VERSION) return { status: 426, reason: "Sec-WebSocket-Version must be 13" };
  return { accept: acceptValue(trimmed) };
}

/** §4.2.2 item 5.4: base64(SHA-1(key + GUID)). `key` is ASCII (checked), so each char is its byte. */
export function acceptValue(key: string): string {
  const text = key + ACCEPT_GUID;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return encodeBase64(sha1(bytes));
}

/**
 * The 101 answer's bytes (§4.2.2 item 5). `extraFields` are more field lines, each ending in
 * CRLF (`X-Served-By: …\r\n`), or "". No Sec-WebSocket-Protocol and no Sec-WebSocket-Extensions:
 * no subprotocol is selected and no extension negotiated.
 */
export function upgradeAnswer(accept: string, extraFields: string): Uint8Array {
  const out = new Uint8Array(ANSWER_HEAD.length + accept.length + 2 + extraFields.length + 2);
  out.set(ANSWER_HEAD, 0);
  // Written char by char rather than joined first: no string is left behind per handshake.
  // Field values here are ASCII (the accept is base64; callers pass field lines they built).
  let at = ascii(out, ANSWER_HEAD.length, accept);
  out[at++] = CR;
  out[at++] = LF;
  at = ascii(out, at, extraFields);
  out[at++] = CR;
  out[at] = LF;
  return out;
}

/** The 101's lines up to the accept value's. */
const ANSWER_HEAD = Uint8Array.from("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ", (c) => c.charCodeAt(0));
const CR = 0x0d;
const LF = 0x0a;

function ascii(out: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i) & 0xff;
  return at + text.length;
}

/**
 * Does a comma-separated list (RFC 9110 §5.6.1) hold `token`, case-insensitively? `token` is
 * lower-case ASCII. Scanned in place: no item strings per handshake.
 */
function hasToken(value: string | null, token: string): boolean {
  if (value === null) return false;
  let start = 0;
  while (start <= value.length) {
    let end = value.indexOf(",", start);
    if (end < 0) end = value.length;
    let a = start;
    let b = end;
    while (a < b && isOws(value.charCodeAt(a))) a++;
    while (b > a && isOws(value.charCodeAt(b - 1))) b--;
    if (b - a === token.length && sameLowerCase(value, a, token)) return true;
    start = end + 1;
  }
  return false;
}

/** value[at, at + token.length) equals `token` once ASCII upper case is folded. */
function sameLowerCase(value: string, at: number, token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    let c = value.charCodeAt(at + i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== token.charCodeAt(i)) return false;
  }
  return true;
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** RFC 9110 §5.6.3: optional whitespace is SP and HTAB. */
function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isOws(s.charCodeAt(start))) start++;
  while (end > start && isOws(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}
