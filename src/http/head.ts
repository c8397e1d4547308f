/**
 * Parses one complete request head (request line + field lines + blank
 * line) into a reused {@link RequestHead}. Pure and allocation-free: the
 * head is read in place from the caller's bytes. Finding where a head ends
 * in a stream of chunks is head-reader.ts's job.
 */
import { Byte, FIELD_VALUE_CHAR, HEX_VALUE, HOST_CHAR, Limits, MAX_LENGTH_DECIMAL, type ParseErrorKind, PCT, TARGET_CHAR, TCHAR } from "./constants.ts";

/** Methods answered with the configured response; any other token gets 501 (RFC 9110 §9.1). */
export const Method = { OTHER: 0, GET: 1, HEAD: 2, POST: 3, PUT: 4, DELETE: 5, PATCH: 6, OPTIONS: 7 } as const;

/** What the core needs to know about one request. Reused across requests: `reset` before each parse. */
export class RequestHead {
  /** One of {@link Method}. */
  method: number = Method.OTHER;
  /** Minor version: 0 for HTTP/1.0, 1 for HTTP/1.1 (and 1.x, x > 1, per RFC 9110 §6.2). */
  minor = 1;
  /** The client asked to close (`Connection: close`), or HTTP/1.0 without keep-alive (RFC 9112 §9.3). */
  keepAlive = true;
  /** HTTP/1.0 asked for keep-alive, so the response must say `Connection: keep-alive`. */
  keepAlive10 = false;
  /** Body length from Content-Length; 0 when absent. */
  contentLength = 0;
  /** Body is framed by Transfer-Encoding: chunked (RFC 9112 §7.1). */
  chunked = false;
  /** `Expect: 100-continue` on an HTTP/1.1 request (RFC 9110 §10.1.1). */
  expectContinue = false;
  /**
   * `Connection` lists `upgrade` (RFC 9110 §7.8: a sender of Upgrade must list it): the request may
   * ask to switch protocols. Read from the Connection tokens the parser scans anyway, so a request
   * without a Connection field pays nothing; the Upgrade field itself is the switch's to read.
   */
  upgrade = false;
  /** The request-target: buf[targetStart, targetEnd) of the bytes given to parseHead. */
  targetStart = 0;
  targetEnd = 0;
  /** Why the head was refused, or null. */
  error: ParseErrorKind | null = null;

  reset(): void {
    this.method = Method.OTHER;
    this.minor = 1;
    this.keepAlive = true;
    this.keepAlive10 = false;
    this.contentLength = 0;
    this.chunked = false;
    this.expectContinue = false;
    this.upgrade = false;
    this.targetStart = this.targetEnd = 0;
    this.error = null;
  }
}

/**
 * Whether the parsed target buf[head.targetStart, head.targetEnd) is `path`: origin-form, equal
 * up to its end or to a `?` (RFC 9112 §3.2.1: the query is not part of the path, so
 * `/healthz?probe=1` matches /healthz). The length check first: most targets are not even as
 * long as the path. The health path, the echo path and the control listeners' paths all match so.
 */
export function targetPathIs(buf: Uint8Array, head: RequestHead, path: Uint8Array): boolean {
  const start = head.targetStart;
  const n = path.length;
  const length = head.targetEnd - start;
  if (length < n || (length > n && buf[start + n] !== Byte.QUESTION)) return false;
  for (let i = 0; i < n; i++) if (buf[start + i] !== path[i]) return false;
  return true;
}

// Lower-case field names the core acts on, as byte arrays for in-place comparison.
const bytesOf = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const HOST = bytesOf("host");
const CONNECTION = bytesOf("connection");
const CONTENT_LENGTH = bytesOf("content-length");
const TRANSFER_ENCODING = bytesOf("transfer-encoding");
const EXPECT = bytesOf("expect");
const CLOSE = bytesOf("close");
const KEEP_ALIVE = bytesOf("keep-alive");
const UPGRADE = bytesOf("upgrade");
const CHUNKED = bytesOf("chunked");
const CONTINUE = bytesOf("100-continue");
const METHODS: ReadonlyArray<readonly [Uint8Array, number]> = [
  [bytesOf("GET"), Method.GET],
  [bytesOf("HEAD"), Method.HEAD],
  [bytesOf("POST"), Method.POST],
  [bytesOf("PUT"), Method.PUT],
  [bytesOf("DELETE"), Method.DELETE],
  [bytesOf("PATCH"), Method.PATCH],
  [bytesOf("OPTIONS"), Method.OPTIONS],
];

/** ASCII case-insensitive comparison of buf[start, end) with a lower-case name. */
function equalsLower(buf: Uint8Array, start: number, end: number, lower: Uint8Array): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const b = buf[start + i]!;
    // Setting 0x20 lower-cases A-Z; the other bytes of these names (digits, '-') already have it.
    if ((b | 0x20) !== lower[i]) return false;
  }
  return true;
}

function equalsExact(buf: Uint8Array, start: number, end: number, word: Uint8Array): boolean {
  if (end - start !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (buf[start + i] !== word[i]) return false;
  return true;
}

/** Per-parse scratch state that does not belong on RequestHead. */
let hostCount = 0;
let closeToken = false;
let keepAliveToken = false;
let upgradeToken = false;
let sawTransferEncoding = false;
let teEmptyField = false;
let teCodings = 0;
let teChunkedCount = 0;
let teLastChunked = false;
let sawContentLength = false;
let badContentLength = false;

/**
 * Parses buf[start, end), which must be one complete head ending in CRLF
 * CRLF (head-reader.ts refuses a bare LF, head-prefix.ts a bare CR, so every line ends in CRLF). Fills `out`;
 * on failure sets `out.error`. `maxHeaderSize` bounds the field lines.
 */
export function parseHead(buf: Uint8Array, start: number, end: number, out: RequestHead, maxHeaderSize: number, maxBodySize: number): void {
  out.reset();
  const lineEnd = parseRequestLine(buf, start, end, out);
  if (out.error !== null) return;
  // RFC 9112 §3: a request line longer than the server parses gets 414.
  if (lineEnd - start > Limits.REQUEST_LINE) return fail(out, "URI_TOO_LONG");
  // RFC 6585 §5: a header section larger than the server accepts gets 431.
  if (end - lineEnd > maxHeaderSize + 2) return fail(out, "HEADERS_TOO_LARGE");

  hostCount = 0;
  closeToken = keepAliveToken = upgradeToken = false;
  teCodings = teChunkedCount = 0;
  teLastChunked = sawTransferEncoding = teEmptyField = false;
  sawContentLength = badContentLength = false;

  let p = lineEnd;
  const last = end - 2; // the final CRLF
  while (p < last) {
    p = parseFieldLine(buf, p, out);
    if (out.error !== null) return;
  }
  finishHead(out, maxBodySize);
}

const lineScratch = new RequestHead();

/** The error of a complete request line buf[start, lineEnd) (CRLF included), or null: for a head still arriving. */
export function requestLineError(buf: Uint8Array, start: number, lineEnd: number): ParseErrorKind | null {
  lineScratch.reset();
  parseRequestLine(buf, start, lineEnd, lineScratch);
  if (lineScratch.error === null && lineEnd - start > Limits.REQUEST_LINE) return "URI_TOO_LONG";
  return lineScratch.error;
}

function fail(out: RequestHead, kind: ParseErrorKind): void {
  out.error = kind;
}

/** request-line = method SP request-target SP HTTP-version CRLF (RFC 9112 §3). Returns the index after its CRLF. */
function parseRequestLine(buf: Uint8Array, start: number, end: number, out: RequestHead): number {
  let p = start;
  while (p < end && TCHAR[buf[p]!] === 1) p++;
  // RFC 9112 §3: a method longer than any this server implements gets 501, judged on the method
  // alone (a head still arriving is judged at the same byte: head-prefix.ts, head-reader.ts), so a
  // long one is never taken for a long request line (414, which is the target's).
  if (p - start > Limits.METHOD) return (fail(out, "METHOD_NOT_IMPLEMENTED"), end);
  if (p === start || buf[p] !== Byte.SP) return (fail(out, "BAD_REQUEST_LINE"), end);
  const methodEnd = p;
  out.method = Method.OTHER;
  for (const [word, id] of METHODS) {
    if (equalsExact(buf, start, methodEnd, word)) {
      out.method = id;
      break;
    }
  }
  const targetStart = ++p;
  for (;;) {
    const t = TARGET_CHAR[buf[p]!];
    if (t === 1) p++;
    // RFC 3986 §2.1: pct-encoded = "%" HEXDIG HEXDIG; a "%" not followed by two is no URI.
    else if (t === PCT && p + 2 < end && HEX_VALUE[buf[p + 1]!] !== 255 && HEX_VALUE[buf[p + 2]!] !== 255) p += 3;
    else break;
  }
  if (p === targetStart || buf[p] !== Byte.SP) return (fail(out, "BAD_REQUEST_LINE"), end);
  // An unknown method (CONNECT among them) gets 501 below, whatever its target's form.
  if (out.method !== Method.OTHER && !targetFormAllowed(buf, targetStart, p, out.method)) return (fail(out, "BAD_REQUEST_LINE"), end);
  out.targetStart = targetStart;
  out.targetEnd = p;
  p++;
  // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3), then CRLF.
  if (
    end - p < 10 ||
    buf[p] !== Byte.H || buf[p + 1] !== Byte.T || buf[p + 2] !== Byte.T || buf[p + 3] !== Byte.P || buf[p + 4] !== Byte.SLASH ||
    !isDigit(buf[p + 5]!) || buf[p + 6] !== Byte.DOT || !isDigit(buf[p + 7]!) ||
    buf[p + 8] !== Byte.CR || buf[p + 9] !== Byte.LF
  ) {
    return (fail(out, "BAD_REQUEST_LINE"), end);
  }
  const major = buf[p + 5]! - Byte.ZERO;
  const minor = buf[p + 7]! - Byte.ZERO;
  // RFC 9110 §6.2: only major version 1 is this server's; a higher minor is answered as 1.1.
  if (major !== 1) return (fail(out, "VERSION_NOT_SUPPORTED"), end);
  out.minor = minor === 0 ? 0 : 1;
  // RFC 9110 §9.1: a method the server does not implement gets 501.
  if (out.method === Method.OTHER) return (fail(out, "METHOD_NOT_IMPLEMENTED"), end);
  return p + 10;
}

/**
 * RFC 9112 §3.2: the four forms of request-target. origin-form starts with
 * "/"; absolute-form is, for this origin server, an http or https URI
 * (RFC 9110 §4.2), which always has "//" authority; authority-form is only
 * for CONNECT (§3.2.3), which this server does not implement; asterisk-form
 * "*" only for OPTIONS (§3.2.4). Anything else ("host:80", "x", "*" on GET,
 * "ht-tp://h/") is no target this server serves: 400.
 */
function targetFormAllowed(buf: Uint8Array, start: number, end: number, method: number): boolean {
  const first = buf[start]!;
  if (first === Byte.SLASH) return true;
  if (first === Byte.STAR) return end - start === 1 && method === Method.OPTIONS;
  // The scheme is case-insensitive (RFC 3986 §3.1).
  if (end - start < 8 || (first | 0x20) !== 0x68 || (buf[start + 1]! | 0x20) !== 0x74 || (buf[start + 2]! | 0x20) !== 0x74 || (buf[start + 3]! | 0x20) !== 0x70) return false;
  let p = start + 4;
  if ((buf[p]! | 0x20) === 0x73) p++;
  if (buf[p] !== Byte.COLON || buf[p + 1] !== Byte.SLASH || buf[p + 2] !== Byte.SLASH) return false;
  // authority = host [ ":" port ] (RFC 3986 §3.2), up to the path or query. RFC 9110 §4.2.4:
  // userinfo ("@") in an http(s) URI is treated as an error; §4.2.1: an empty host MUST be rejected.
  const authority = p + 3;
  for (p = authority; p < end && buf[p] !== Byte.SLASH && buf[p] !== Byte.QUESTION; p++);
  return validAuthority(buf, authority, p);
}

/**
 * uri-host [ ":" port ] (RFC 3986 §3.2.2-3.2.3), the shape of a Host value and of an
 * absolute-form authority: an IP-literal in brackets, or a reg-name / IPv4 address without
 * them; then an optional port of digits. The host is never empty: RFC 9110 §4.2.1 says an
 * http URI with an empty host MUST be rejected, and RFC 9112 §3.3, which builds the target
 * URI from Host, lets the server reject an empty authority (nginx does; llhttp does not look).
 */
function validAuthority(buf: Uint8Array, start: number, end: number): boolean {
  let p = start;
  if (buf[p] === Byte.LBRACKET) {
    while (++p < end && buf[p] !== Byte.RBRACKET) if (HOST_CHAR[buf[p]!] !== 1 || buf[p] === Byte.LBRACKET) return false;
    if (p === end || p === start + 1) return false;
    p++;
  } else {
    while (p < end && buf[p] !== Byte.COLON) {
      if (HOST_CHAR[buf[p]!] !== 1 || buf[p] === Byte.LBRACKET || buf[p] === Byte.RBRACKET) return false;
      p++;
    }
    if (p === start) return false;
  }
  if (p === end) return true;
  if (buf[p] !== Byte.COLON) return false;
  while (++p < end) if (!isDigit(buf[p]!)) return false;
  return true;
}

function isDigit(b: number): boolean {
  return b >= Byte.ZERO && b <= Byte.NINE;
}

/** field-line = field-name ":" OWS field-value OWS CRLF (RFC 9112 §5). Returns the index after its CRLF. */
function parseFieldLine(buf: Uint8Array, start: number, out: RequestHead): number {
  // RFC 9112 §5.2: obsolete line folding (a line starting with SP/HTAB) is rejected with 400.
  if (buf[start] === Byte.SP || buf[start] === Byte.HTAB) return (fail(out, "OBS_FOLD"), start);
  let p = start;
  while (TCHAR[buf[p]!] === 1) p++;
  // RFC 9112 §5.1: no whitespace is allowed between the field name and the colon; 400.
  if (p === start || buf[p] !== Byte.COLON) return (fail(out, "BAD_HEADER"), start);
  const nameEnd = p++;
  while (buf[p] === Byte.SP || buf[p] === Byte.HTAB) p++;
  const valueStart = p;
  while (FIELD_VALUE_CHAR[buf[p]!] === 1) p++;
  // RFC 9110 §5.5: CR, LF and NUL are not allowed in a field value; the only legal stop is CRLF.
  if (buf[p] !== Byte.CR || buf[p + 1] !== Byte.LF) return (fail(out, "BAD_HEADER"), start);
  let valueEnd = p;
  while (valueEnd > valueStart && (buf[valueEnd - 1] === Byte.SP || buf[valueEnd - 1] === Byte.HTAB)) valueEnd--;
  const nameLen = nameEnd - start;
  if (nameLen === 4 && equalsLower(buf, start, nameEnd, HOST)) {
    hostCount++;
    // RFC 9112 §3.2: a Host field with an invalid value gets 400.
    if (!validAuthority(buf, valueStart, valueEnd)) return (fail(out, "BAD_HOST"), start);
  }
  else if (nameLen === 10 && equalsLower(buf, start, nameEnd, CONNECTION)) scanList(buf, valueStart, valueEnd, connectionToken);
  else if (nameLen === 14 && equalsLower(buf, start, nameEnd, CONTENT_LENGTH)) contentLength(buf, valueStart, valueEnd, out);
  else if (nameLen === 17 && equalsLower(buf, start, nameEnd, TRANSFER_ENCODING)) {
    // The field's presence is what counts (RFC 9112 §6.1), even with no coding in it.
    sawTransferEncoding = true;
    const before = teCodings;
    scanList(buf, valueStart, valueEnd, transferCoding);
    // A Transfer-Encoding line with no coding in it: a parser that reads only one of the
    // lines would frame the body differently; nginx refuses it too (RFC 9112 §6.3 item 4).
    if (teCodings === before) teEmptyField = true;
  }
  else if (nameLen === 6 && equalsLower(buf, start, nameEnd, EXPECT)) expect(buf, valueStart, valueEnd, out);
  return p + 2;
}

/** Calls `each` for every non-empty element of a #rule list (RFC 9110 §5.6.1), trimmed of OWS. */
function scanList(buf: Uint8Array, start: number, end: number, each: (buf: Uint8Array, s: number, e: number) => void): void {
  let s = start;
  while (s < end) {
    let e = s;
    while (e < end && buf[e] !== Byte.COMMA) e++;
    let a = s;
    let b = e;
    while (a < b && (buf[a] === Byte.SP || buf[a] === Byte.HTAB)) a++;
    while (b > a && (buf[b - 1] === Byte.SP || buf[b - 1] === Byte.HTAB)) b--;
    if (b > a) each(buf, a, b);
    s = e + 1;
  }
}

function connectionToken(buf: Uint8Array, s: number, e: number): void {
  if (equalsLower(buf, s, e, CLOSE)) closeToken = true;
  else if (equalsLower(buf, s, e, KEEP_ALIVE)) keepAliveToken = true;
  else if (equalsLower(buf, s, e, UPGRADE)) upgradeToken = true;
}

function transferCoding(buf: Uint8Array, s: number, e: number): void {
  teCodings++;
  teLastChunked = equalsLower(buf, s, e, CHUNKED);
  if (teLastChunked) teChunkedCount++;
}

/**
 * RFC 9110 §8.6: Content-Length = 1*DIGIT, one field with one value; anything else is an
 * unrecoverable framing error, 400 and close (RFC 9112 §6.3 item 5).
 */
function contentLength(buf: Uint8Array, start: number, end: number, out: RequestHead): void {
  // RFC 9110 §8.6 lets a recipient either reject a list of identical values ("5, 5", or the
  // field repeated) or collapse it into one. The strict reading, as nginx, node:http and llhttp
  // take it: a proxy in front may not have collapsed it, and then the two frame different bodies.
  if (sawContentLength || start === end) {
    badContentLength = true;
    return;
  }
  sawContentLength = true;
  let significant = start;
  while (significant < end && buf[significant] === Byte.ZERO) significant++;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (!isDigit(c)) {
      badContentLength = true;
      return;
    }
    // Past 2^53 the double is inexact, but then it is over any --max-body-size (at most 2^53 − 1) too.
    n = n * 10 + (c - Byte.ZERO);
  }
  // RFC 9110 §8.6: a recipient must anticipate numerals too large to convert. One past 2^63 − 1 is
  // no length at all (400, as llhttp and nginx answer); a representable one over the limit is 413.
  if (!representableDecimal(buf, significant, end)) badContentLength = true;
  else out.contentLength = n;
}

/** Whether the digits buf[start, end), without leading zeros, are at most {@link MAX_LENGTH_DECIMAL}. */
function representableDecimal(buf: Uint8Array, start: number, end: number): boolean {
  const digits = end - start;
  if (digits !== MAX_LENGTH_DECIMAL.length) return digits < MAX_LENGTH_DECIMAL.length;
  for (let i = 0; i < digits; i++) {
    const d = buf[start + i]! - MAX_LENGTH_DECIMAL[i]!;
    if (d !== 0) return d < 0;
  }
  return true;
}

/**
 * Expect = #expectation (RFC 9110 §10.1.1), so two Expect lines mean what one line with both
 * elements means (§5.3): every element must be 100-continue; any other expectation cannot be
 * met and may be answered with 417.
 */
function expect(buf: Uint8Array, start: number, end: number, out: RequestHead): void {
  expectOther = false;
  scanList(buf, start, end, expectation);
  if (expectOther || start === end) out.error = "EXPECTATION_FAILED";
  else out.expectContinue = true;
}

let expectOther = false;

function expectation(buf: Uint8Array, s: number, e: number): void {
  if (!equalsLower(buf, s, e, CONTINUE)) expectOther = true;
}

/** Cross-field rules, checked once every field line has been read. */
function finishHead(out: RequestHead, maxBodySize: number): void {
  // RFC 9112 §3.2: an HTTP/1.1 request without exactly one Host field gets 400.
  if (hostCount > 1) return fail(out, "DUPLICATE_HOST");
  if (hostCount === 0 && out.minor === 1) return fail(out, "MISSING_HOST");
  if (badContentLength) return fail(out, "BAD_CONTENT_LENGTH");
  if (sawTransferEncoding) {
    // RFC 9112 §6.1: a server that receives both MUST close after answering, and §6.3 item 3
    // says such a message ought to be handled as an error: it is a smuggling attempt; 400.
    if (sawContentLength) return fail(out, "CONTENT_LENGTH_AND_TRANSFER_ENCODING");
    // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 request means faulty framing.
    if (out.minor === 0) return fail(out, "TRANSFER_ENCODING_HTTP10");
    // RFC 9112 §6.3 item 4: chunked present but not the final coding ("chunked, gzip") MUST get 400
    // and close, whatever the other coding is: this comes before §6.1's 501 for an unknown coding.
    if (teChunkedCount > 0 && !teLastChunked) return fail(out, "CHUNKED_NOT_FINAL");
    // RFC 9112 §6.1: a transfer coding the server does not understand (anything but chunked) gets 501.
    if (teCodings !== teChunkedCount) return fail(out, "UNKNOWN_TRANSFER_ENCODING");
    // RFC 9112 §6.3 item 4: unless chunked is the final coding (and, §6.1, applied once) the
    // body length cannot be determined: 400. An empty Transfer-Encoding has no final coding.
    if (teChunkedCount > 1 || !teLastChunked || teEmptyField) return fail(out, "CHUNKED_NOT_FINAL");
    out.chunked = true;
    out.contentLength = 0;
  }
  // RFC 9110 §15.5.14: content larger than the server is willing to process gets 413.
  if (out.contentLength > maxBodySize) return fail(out, "BODY_TOO_LARGE");
  // RFC 9112 §9.3: 1.1 persists unless "close"; 1.0 only with "keep-alive".
  if (closeToken) out.keepAlive = false;
  else if (out.minor === 0) {
    out.keepAlive = keepAliveToken;
    out.keepAlive10 = keepAliveToken;
  }
  out.upgrade = upgradeToken;
  // RFC 9110 §10.1.1: a server must ignore 100-continue in an HTTP/1.0 request.
  if (out.minor === 0) out.expectContinue = false;
}

