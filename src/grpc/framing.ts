/**
 * gRPC's Length-Prefixed-Message (grpc/grpc doc/PROTOCOL-HTTP2.md): a Compressed-Flag byte,
 * a 4-byte big-endian Message-Length, then the message. A request body is zero or more of them.
 * No compression is offered: every answer is identity, and a compressed request is refused.
 */
import { GrpcStatus, type GrpcStatusCode } from "./status.ts";

/** Compressed-Flag and Message-Length. */
export const PREFIX_LENGTH = 5;

/** What {@link MessageReader.next} found. */
export const FramingResult = {
  /** A message: `start` and `end` are set. */
  MESSAGE: 0,
  /** The body ended at a message boundary. */
  END: 1,
  /** A prefix, or the message it announces, runs past the end of the body. */
  TRUNCATED: 2,
  /** The announced length is above the maximum message size. */
  TOO_LARGE: 3,
  /** Compressed-Flag 1 with no grpc-encoding, or with `identity`. */
  COMPRESSED_WITHOUT_ENCODING: 4,
  /** Compressed-Flag 1 with a grpc-encoding this server does not decode (any but identity). */
  UNSUPPORTED_ENCODING: 5,
  /** Compressed-Flag neither 0 nor 1. */
  BAD_FLAG: 6,
} as const;
export type FramingResultCode = (typeof FramingResult)[keyof typeof FramingResult];

/**
 * The grpc-status each failure answers with, indexed by {@link FramingResult}:
 * - TRUNCATED: a body that ends inside a message is a request that cannot be parsed
 *   (statuscodes.md: "Error parsing request proto" → INTERNAL; grpc-go: io.ErrUnexpectedEOF → Internal);
 * - TOO_LARGE: statuscodes.md "Sent or received message was larger than configured limit" → RESOURCE_EXHAUSTED;
 * - COMPRESSED_WITHOUT_ENCODING: PROTOCOL-HTTP2.md "If the Message-Encoding header is omitted then
 *   the Compressed-Flag must be 0"; grpc-go answers INTERNAL ("compressed flag set with identity or
 *   empty encoding"), and so do we;
 * - UNSUPPORTED_ENCODING: statuscodes.md "Compression mechanism used by client not supported at
 *   server" → UNIMPLEMENTED (with grpc-accept-encoding, doc/compression.md);
 * - BAD_FLAG: the flag is "0 / 1"; anything else is unparseable → INTERNAL.
 */
export const FRAMING_STATUS: readonly GrpcStatusCode[] = [
  GrpcStatus.OK,
  GrpcStatus.OK,
  GrpcStatus.INTERNAL,
  GrpcStatus.RESOURCE_EXHAUSTED,
  GrpcStatus.INTERNAL,
  GrpcStatus.UNIMPLEMENTED,
  GrpcStatus.INTERNAL,
];

/** A grpc-message for each failure, indexed by {@link FramingResult}. */
export const FRAMING_MESSAGE: readonly string[] = [
  "",
  "",
  "a length-prefixed message runs past the end of the request body",
  "request message larger than the maximum message size",
  "compressed flag set with no grpc-encoding",
  "grpc-encoding not supported: only identity",
  "compressed flag is neither 0 nor 1",
];

const FLAG_PLAIN = 0;
const FLAG_COMPRESSED = 1;

/**
 * Walks the messages of one request body. `encoding` is the request's grpc-encoding (null when
 * absent); `maxSize` the largest message accepted (--max-body-size), checked on the prefix
 * before the message is looked for, as grpc-go does, so an oversized one is never waited for.
 */
export class MessageReader {
  start = 0;
  end = 0;
  private pos = 0;

  constructor(
    private body: Uint8Array,
    private encoding: string | null,
    private maxSize: number,
  ) {}

  /** Reads another body from its start: one reader serves every call of a worker. */
  reset(body: Uint8Array, encoding: string | null, maxSize: number): this {
    this.body = body;
    this.encoding = encoding;
    this.maxSize = maxSize;
    this.pos = 0;
    this.start = 0;
    this.end = 0;
    return this;
  }

  next(): FramingResultCode {
    const { body } = this;
    const pos = this.pos;
    if (pos === body.length) return FramingResult.END;
    if (body.length - pos < PREFIX_LENGTH) return FramingResult.TRUNCATED;
    const flag = body[pos]!;
    if (flag === FLAG_COMPRESSED) {
      if (this.encoding === null || this.encoding === "identity") return FramingResult.COMPRESSED_WITHOUT_ENCODING;
      return FramingResult.UNSUPPORTED_ENCODING;
    }
    if (flag !== FLAG_PLAIN) return FramingResult.BAD_FLAG;
    // Multiplication, not <<: a length of 2^31 or more must stay positive.
    const length = body[pos + 1]! * 0x1000000 + ((body[pos + 2]! << 16) | (body[pos + 3]! << 8) | body[pos + 4]!);
    if (length > this.maxSize) return FramingResult.TOO_LARGE;
    const start = pos + PREFIX_LENGTH;
    if (length > body.length - start) return FramingResult.TRUNCATED;
    this.start = start;
    this.end = start + length;
    this.pos = this.end;
    return FramingResult.MESSAGE;
  }
}

/** Writes the 5-byte prefix of an uncompressed message of `length` bytes at `pos`. */
export function writePrefix(buf: Uint8Array, pos: number, length: number): void {
  buf[pos] = FLAG_PLAIN;
  buf[pos + 1] = length >>> 24;
  buf[pos + 2] = (length >>> 16) & 0xff;
  buf[pos + 3] = (length >>> 8) & 0xff;
  buf[pos + 4] = length & 0xff;
}

/** `message` with its prefix: a new buffer of 5 + length bytes. */
export function prefixMessage(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(PREFIX_LENGTH + message.length);
  writePrefix(out, 0, message.length);
  out.set(message, PREFIX_LENGTH);
  return out;
}
