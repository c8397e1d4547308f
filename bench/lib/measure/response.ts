/**
 * Where an HTTP/1.1 response ends, for the open-loop client: the status
 * line, the header section up to CRLF CRLF, and a Content-Length body
 * (RFC 9112 §6.3 rule 5). Chunked or close-delimited bodies are refused as
 * malformed: every server compared here sends Content-Length for its fixed
 * answer, and the client must never guess where an answer ends. Pure, no
 * allocation (results in a reused object), so it runs per response.
 *
 * Usage: const n = responseLength(bytes, length, head) (n > 0: one whole answer of n bytes)
 */

export interface ResponseHead {
  /** Status code (0 until a complete head was seen). */
  status: number;
  /** Offset of the body. */
  bodyStart: number;
  /** Why the response is malformed (when responseLength returns -1). */
  problem: string;
  /** `Connection: close`: the server closes after this answer (RFC 9112 §9.6), so the connection is not reused. */
  close: boolean;
}

const CR = 13, LF = 10, COLON = 58, SP = 32, HTAB = 9;
const CONTENT_LENGTH = "content-length";
const TRANSFER_ENCODING = "transfer-encoding";
const CONNECTION = "connection";
const CLOSE = "close";

/** A head larger than this without CRLF CRLF is malformed (a server's answer, not a request). */
export const MAX_HEAD = 16 * 1024;

/**
 * Length of the complete response at the start of buf[0, len): > 0 when
 * complete, 0 when more bytes are needed, -1 when malformed (`head.problem`).
 */
export function responseLength(buf: Uint8Array, len: number, head: ResponseHead): number {
  let end = -1;
  for (let i = 3; i < len; i++) {
    if (buf[i] === LF && buf[i - 1] === CR && buf[i - 2] === LF && buf[i - 3] === CR) {
      end = i + 1;
      break;
    }
  }
  if (end < 0) {
    if (len > MAX_HEAD) return fail(head, `no end of header section in ${len} bytes`);
    return 0;
  }
  // "HTTP/1.x NNN" (RFC 9112 §4).
  if (end < 14 || buf[0] !== 72 || buf[1] !== 84 || buf[2] !== 84 || buf[3] !== 80 || buf[4] !== 47 || buf[8] !== SP) return fail(head, "not an HTTP/1.x status line");
  const d1 = buf[9]! - 48, d2 = buf[10]! - 48, d3 = buf[11]! - 48;
  if (d1 < 1 || d1 > 9 || d2 < 0 || d2 > 9 || d3 < 0 || d3 > 9) return fail(head, "bad status code");
  const status = d1 * 100 + d2 * 10 + d3;
  let contentLength = -1;
  head.close = false;
  // Field lines start after each CRLF of the head (RFC 9112 §5).
  for (let line = indexOfLf(buf, 0, end) + 1; line > 0 && line < end - 2; line = indexOfLf(buf, line, end) + 1) {
    if (matchesName(buf, line, CONTENT_LENGTH)) {
      let i = line + CONTENT_LENGTH.length + 1;
      while (buf[i] === SP || buf[i] === HTAB) i++;
      let v = 0, digits = 0;
      for (; buf[i]! >= 48 && buf[i]! <= 57; i++, digits++) v = v * 10 + buf[i]! - 48;
      if (digits === 0 || (contentLength >= 0 && contentLength !== v)) return fail(head, "bad Content-Length");
      contentLength = v;
    } else if (matchesName(buf, line, CONNECTION)) {
      let i = line + CONNECTION.length + 1;
      while (buf[i] === SP || buf[i] === HTAB) i++;
      head.close = matchesToken(buf, i, CLOSE);
    } else if (matchesName(buf, line, TRANSFER_ENCODING)) {
      return fail(head, "Transfer-Encoding (only Content-Length bodies are read)");
    }
  }
  if (contentLength < 0) {
    // 1xx, 204 and 304 have no body (RFC 9112 §6.3 rules 1–2); anything else needs a length here.
    if (status < 200 || status === 204 || status === 304) contentLength = 0;
    else return fail(head, "no Content-Length");
  }
  head.status = status;
  head.bodyStart = end;
  const total = end + contentLength;
  return len >= total ? total : 0;
}

function fail(head: ResponseHead, problem: string): number {
  head.problem = problem;
  return -1;
}

function indexOfLf(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === LF) return i;
  return -1;
}

/** Field name `name` (lowercase) at `at`, followed by a colon; ASCII case-insensitive. */
function matchesName(buf: Uint8Array, at: number, name: string): boolean {
  if (buf[at + name.length] !== COLON) return false;
  for (let k = 0; k < name.length; k++) if ((buf[at + k]! | 0x20) !== name.charCodeAt(k)) return false;
  return true;
}

/** The token `word` (lowercase) at `at`, ASCII case-insensitive, followed by CR, a comma or whitespace. */
function matchesToken(buf: Uint8Array, at: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if ((buf[at + k]! | 0x20) !== word.charCodeAt(k)) return false;
  const after = buf[at + word.length];
  return after === CR || after === SP || after === HTAB || after === 44;
}

/** buf[from, from + expected.length) equals expected. */
export function bytesEqual(buf: Uint8Array, from: number, to: number, expected: Uint8Array): boolean {
  if (to - from !== expected.length) return false;
  for (let k = 0; k < expected.length; k++) if (buf[from + k] !== expected[k]) return false;
  return true;
}
