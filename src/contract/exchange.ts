/**
 * What to answer, decided apart from how it is framed (STYLE.md practice 10), for every
 * protocol: a {@link Responder} reads a protocol-neutral {@link ExchangeRequest} and returns a
 * {@link Reply} with no framing in it. HTTP/1.1 frames a reply in src/http/ (status line,
 * Content-Length or chunked, Connection), HTTP/2 as HEADERS and DATA frames on a stream; both
 * take the prebuilt configured answer when the responder is null (the fast path: one null check).
 *
 * Two phases, because a request's head may live in a reused buffer while its body arrives in
 * later reads: `plan` reads what it needs at once and returns a small object the protocol keeps;
 * `answer` turns it into a reply once the body has been read (and handed over, if asked for).
 */
import type { SocketAddress } from "./address.ts";

/** The protocol a request arrived on. */
export type Protocol = "http/1.0" | "http/1.1" | "h2";

/** A request's header fields, however the protocol carries them (HTTP/1.1: bytes in place; HTTP/2: decoded by HPACK). */
export interface RequestFields {
  /**
   * The value of the field named `lowerName` (lower-case), its optional whitespace trimmed;
   * several lines of it joined with ", " (RFC 9110 §5.3). null when absent.
   */
  get(lowerName: string): string | null;
  /** Every field line in the order received, its name as received (HTTP/2: lower-case), its value trimmed. */
  forEach(visit: (name: string, value: string) => void): void;
}

/** One request, as every responder sees it. Valid only during {@link Responder.plan}: copy what the plan keeps. */
export interface ExchangeRequest {
  readonly protocol: Protocol;
  /** The method token, e.g. `GET`. */
  readonly method: string;
  /** The request-target as sent (HTTP/1.1) or `:path` (HTTP/2): path and query. */
  readonly target: string;
  /** The HTTP/2 stream id; 0 on HTTP/1.x. */
  readonly streamId: number;
  readonly fields: RequestFields;
  /** The declared body length (Content-Length); -1 when only its end will tell (chunked, an HTTP/2 stream without one). */
  readonly bodyLength: number;
  /** The peer's address, and the local one the request arrived on; null where the back end cannot tell. */
  readonly peer: SocketAddress | null;
  readonly local: SocketAddress | null;
  /** It arrived over TLS. */
  readonly tls: boolean;
}

/** What an answer carries as content. */
export const BodyKind = {
  /** The configured answer's body (--body / --status), prebuilt: `status` 0 is the configured status too. */
  CONFIGURED: 0,
  /** The status's reason phrase as text (an injected failure, a sick server, a refusal with `text`). */
  REASON: 1,
  /** `bytes`, of type `contentType`. */
  BYTES: 2,
  /** `chunks`, of type `contentType`, sent as they come (server streaming: a gRPC `Watch`). */
  STREAM: 3,
} as const;

export type ReplyBody =
  | { readonly kind: typeof BodyKind.CONFIGURED }
  | { readonly kind: typeof BodyKind.REASON; readonly text: string | null }
  | { readonly kind: typeof BodyKind.BYTES; readonly bytes: Uint8Array; readonly contentType: string }
  | { readonly kind: typeof BodyKind.STREAM; readonly chunks: AsyncIterable<Uint8Array>; readonly contentType: string };

/** The answer to one request, in no protocol's framing. */
export interface Reply {
  /** The status; 0 = the configured one (--status). */
  readonly status: number;
  /** Fields besides those the framing adds (Date, Content-Length, Content-Type, Connection); null = none. */
  readonly fields: ReadonlyArray<readonly [string, string]> | null;
  readonly body: ReplyBody;
  /** Trailer fields after the content (gRPC's grpc-status); null = none. */
  readonly trailers: ReadonlyArray<readonly [string, string]> | null;
  /**
   * Send it this many ms after the request was read (may be fractional); later answers on an HTTP/1.1 connection wait behind it (RFC 9112 §9.3.2).
   * HTTP/1.1: an answer re-asked when due may return a longer delay, still from the read, and is held until then (the metrics listener waiting for the workers' snapshots).
   */
  readonly delayMs: number;
  /** End the connection after it (HTTP/1.1: `Connection: close`; HTTP/2: GOAWAY after the stream). */
  readonly close: boolean;
  /** Send nothing: reset (HTTP/1.1: the TCP connection, SO_LINGER 0; HTTP/2: RST_STREAM), as a crashed upstream would. */
  readonly reset: boolean;
}

/** What a protocol knows once a request has been read to its end. */
export interface Finished {
  /** Body bytes read. */
  readonly bodyLength: number;
  /** The body, when {@link Responder.wantsBody} asked for it; else null. */
  readonly body: Uint8Array | null;
  /** A HEAD request: the framing sends no content (the responder need not care). */
  readonly isHead: boolean;
  /**
   * The request asked to switch protocols and the switch answers it with this status (a WebSocket
   * 101, or its 400/426) if the reply is the configured answer (src/contract/session.ts
   * `Upgrade.status`); 0 or absent otherwise. What counting records for such a reply.
   */
  readonly switching?: number;
}

export interface Responder<P extends object = object> {
  /**
   * A request's head was read (never the health path, which no responder sees). Returns null for
   * the configured answer, or a plan the protocol keeps until the body has been read.
   */
  plan(request: ExchangeRequest): P | null;
  /** Whether `answer` needs the body bytes (echo with the body, a gRPC message); absent = never, the body is skipped. */
  wantsBody?(plan: P): boolean;
  /**
   * The request and its body are read. For a delayed answer it is called again when the answer
   * is due (so the framing's Date and Connection are those of then): it must decide nothing at
   * random — every draw belongs in `plan`.
   */
  answer(plan: P, finished: Finished): Reply;
}
