/** Closed tables of the HTTP core: parse errors, status reasons, limits. */

/**
 * Why a request was refused. Each maps to one status; all of them close the
 * connection, because after a framing error the next request's first byte
 * cannot be found (RFC 9112 §9.6 lets a server close at any time).
 */
export const ParseError = {
  BAD_REQUEST_LINE: 400,
  BAD_HEADER: 400,
  BARE_LF: 400,
  BARE_CR: 400,
  OBS_FOLD: 400,
  MISSING_HOST: 400,
  DUPLICATE_HOST: 400,
  BAD_HOST: 400,
  BAD_CONTENT_LENGTH: 400,
  CONTENT_LENGTH_AND_TRANSFER_ENCODING: 400,
  TRANSFER_ENCODING_HTTP10: 400,
  CHUNKED_NOT_FINAL: 400,
  BAD_CHUNK: 400,
  URI_TOO_LONG: 414,
  HEADERS_TOO_LARGE: 431,
  BODY_TOO_LARGE: 413,
  UNKNOWN_TRANSFER_ENCODING: 501,
  METHOD_NOT_IMPLEMENTED: 501,
  VERSION_NOT_SUPPORTED: 505,
  EXPECTATION_FAILED: 417,
  REQUEST_TIMEOUT: 408,
} as const;
export type ParseErrorKind = keyof typeof ParseError;

/** RFC 9110 §15 reason phrases for every status the server may send. */
export const REASON: Readonly<Record<number, string>> = {
  100: "Continue",
  200: "OK",
  201: "Created",
  202: "Accepted",
  203: "Non-Authoritative Information",
  206: "Partial Content",
  300: "Multiple Choices",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  417: "Expectation Failed",
  418: "I'm a teapot",
  421: "Misdirected Request",
  422: "Unprocessable Content",
  425: "Too Early",
  426: "Upgrade Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  451: "Unavailable For Legal Reasons",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
};

export const Limits = {
  /** Request line (method SP target SP version): over it, 414 — RFC 9112 §3 recommends supporting at least 8000 octets. */
  REQUEST_LINE: 8192,
  /**
   * A method token longer than this gets 501 as soon as its next byte arrives, before the request
   * line's length is judged: RFC 9112 §3, "a server that receives a method longer than any that it
   * implements SHOULD respond with a 501" (414 is the target's, RFC 9110 §15.5.15). The longest
   * registered method, UPDATEREDIRECTREF, has 17 bytes.
   */
  METHOD: 32,
  /**
   * Significant hex digits of the largest chunk-size that is a length at all, 2^63 − 1 (16 digits,
   * the first at most 7): see {@link MAX_LENGTH_DECIMAL}.
   */
  MAX_LENGTH_HEX_DIGITS: 16,
  /** Chunk extensions are discarded; bound them so a client cannot stream an endless one. */
  CHUNK_EXTENSION: 4096,
  /** Output queued for a client that does not read, before the core stops reading from it. */
  PENDING_OUTPUT: 64 * 1024,
  /** How long a closing connection keeps reading (and discarding) after FIN, so its response is not reset (RFC 9112 §9.6). */
  LINGER_MS: 2000,
} as const;

/**
 * The largest Content-Length that is a length at all: 2^63 − 1, the largest a signed 64-bit integer
 * holds, where nginx (off_t) and Go (int64) stop too. RFC 9110 §8.6: a recipient must anticipate
 * numerals too large to convert; a longer one is no length (400), while a representable one over
 * --max-body-size is 413. Compared digit by digit, since a double cannot tell 2^63 − 1 from 2^63.
 */
export const MAX_LENGTH_DECIMAL: Uint8Array = Uint8Array.from("9223372036854775807", (c) => c.charCodeAt(0));

/** Byte values the parser compares against. */
export const Byte = {
  HTAB: 0x09,
  LF: 0x0a,
  CR: 0x0d,
  SP: 0x20,
  COLON: 0x3a,
  SEMICOLON: 0x3b,
  COMMA: 0x2c,
  QUESTION: 0x3f,
  AMPERSAND: 0x26,
  LBRACKET: 0x5b,
  RBRACKET: 0x5d,
  EQUALS: 0x3d,
  DQUOTE: 0x22,
  BACKSLASH: 0x5c,
  SLASH: 0x2f,
  STAR: 0x2a,
  DOT: 0x2e,
  ZERO: 0x30,
  NINE: 0x39,
  H: 0x48,
  T: 0x54,
  P: 0x50,
} as const;

/**
 * RFC 9110 §5.6.2 tchar, as a 256-entry lookup: 1 where the byte may appear
 * in a token (method, field name).
 */
export const TCHAR: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") t[c.charCodeAt(0)] = 1;
  return t;
})();

/**
 * RFC 9110 §5.5 field-vchar plus SP and HTAB (obs-text allowed): 1 where the
 * byte may appear in a field value. CR, LF, NUL and other controls are 0.
 */
export const FIELD_VALUE_CHAR: Uint8Array = (() => {
  const t = new Uint8Array(256);
  t[Byte.HTAB] = 1;
  for (let b = 0x20; b < 0x7f; b++) t[b] = 1;
  for (let b = 0x80; b < 0x100; b++) t[b] = 1;
  return t;
})();

/** TARGET_CHAR's mark for "%", which must start a pct-encoded triplet. */
export const PCT = 2;

/**
 * RFC 9112 §3.2 request-target: visible ASCII only. A URI has no raw bytes
 * above 0x7E (RFC 3986 §2: they are percent-encoded), and parsers that
 * decode them as text disagree on where such a target ends; 400.
 */
export const TARGET_CHAR: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let b = 0x21; b < 0x7f; b++) t[b] = 1;
  t[0x25] = PCT;
  return t;
})();

/**
 * RFC 9112 §3.2 / RFC 3986 §3.2.2: bytes a Host value (uri-host [":" port])
 * may contain — unreserved, pct-encoded, sub-delims, ":" and the brackets of
 * an IP-literal. SP, "/", "@", "?" or "#" make it invalid.
 */
export const HOST_CHAR: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const c of "-._~%!$&'()*+,;=:[]0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") t[c.charCodeAt(0)] = 1;
  return t;
})();

/** Hex digit value, or 255 when the byte is not a hex digit (RFC 9112 §7.1 chunk-size). */
export const HEX_VALUE: Uint8Array = (() => {
  const t = new Uint8Array(256).fill(255);
  for (let i = 0; i < 10; i++) t[0x30 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[0x41 + i] = 10 + i;
    t[0x61 + i] = 10 + i;
  }
  return t;
})();
