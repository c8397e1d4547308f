/**
 * gRPC's status vocabulary: the codes (grpc/grpc doc/statuscodes.md), the HTTP-to-gRPC mapping
 * (doc/http-grpc-status-mapping.md), the `grpc-timeout` request field and the percent-encoding of
 * `grpc-message` (doc/PROTOCOL-HTTP2.md).
 */

/** grpc-status codes, 0–16: a closed table. */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcStatusCode = (typeof GrpcStatus)[keyof typeof GrpcStatus];

/** Each code's name, indexed by the code. */
export const GRPC_STATUS_NAMES: readonly string[] = Object.keys(GrpcStatus);

/** Whether `n` is one of the 17 codes. */
export function isGrpcStatus(n: number): n is GrpcStatusCode {
  return Number.isInteger(n) && n >= GrpcStatus.OK && n <= GrpcStatus.UNAUTHENTICATED;
}

/**
 * The grpc-status a client reports for an HTTP status that came without one
 * (doc/http-grpc-status-mapping.md); --fail-status goes through it, so that an injected failure
 * reads as a failing gRPC upstream behind a proxy does. Anything the table does not name is UNKNOWN.
 */
export function grpcStatusFromHttp(httpStatus: number): GrpcStatusCode {
  switch (httpStatus) {
    case 400:
      return GrpcStatus.INTERNAL;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.UNAVAILABLE;
    default:
      return GrpcStatus.UNKNOWN;
  }
}

/** Milliseconds per TimeoutUnit (PROTOCOL-HTTP2.md: Hour, Minute, Second, Millisecond, Microsecond, Nanosecond). */
const TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };
/** TimeoutValue: "positive integer as ASCII string of at most 8 digits". */
const MAX_TIMEOUT_DIGITS = 8;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** `parseGrpcTimeout`'s answer for a value that is not a grpc-timeout. */
export const MALFORMED_TIMEOUT = -1;

/**
 * A `grpc-timeout` value in milliseconds (fractional below 1 ms), or {@link MALFORMED_TIMEOUT}.
 * The spec says "positive", yet 0 is taken (an already-expired deadline), as grpc-go takes it.
 * The spec says nothing of a malformed value; grpc-go's server fails the call with INTERNAL
 * ("malformed grpc-timeout") and the dispatcher does the same.
 */
export function parseGrpcTimeout(raw: string): number {
  const digits = raw.length - 1;
  if (digits < 1 || digits > MAX_TIMEOUT_DIGITS) return MALFORMED_TIMEOUT;
  const unit = TIMEOUT_UNIT_MS[raw[digits]!];
  if (unit === undefined) return MALFORMED_TIMEOUT;
  let value = 0;
  for (let i = 0; i < digits; i++) {
    const c = raw.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) return MALFORMED_TIMEOUT;
    value = value * 10 + (c - DIGIT_0);
  }
  return value * unit;
}

const utf8 = new TextEncoder();
const HEX = "0123456789ABCDEF";
const PERCENT = 0x25;

/**
 * `grpc-message` as PROTOCOL-HTTP2.md's Status-Message: the text's UTF-8 bytes, each outside
 * %x20-%x7E, and `%` itself, written as `%XX`. An all-printable text is returned as it is.
 */
export function encodeGrpcMessage(text: string): string {
  let plain = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === PERCENT) {
      plain = false;
      break;
    }
  }
  if (plain) return text;
  let out = "";
  for (const b of utf8.encode(text)) {
    out += b < 0x20 || b > 0x7e || b === PERCENT ? `%${HEX[b >> 4]}${HEX[b & 15]}` : String.fromCharCode(b);
  }
  return out;
}

/**
 * The inverse, for clients and tests. PROTOCOL-HTTP2.md: decoding "MUST NOT error or throw away
 * the message", so a `%` not followed by two hex digits stays as it is, and bytes that are not
 * UTF-8 become U+FFFD.
 */
export function decodeGrpcMessage(value: string): string {
  if (!value.includes("%")) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === PERCENT && i + 2 < value.length && /^[0-9A-Fa-f]{2}$/.test(value.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c & 0xff);
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}
