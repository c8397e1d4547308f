/**
 * What to answer, decided apart from how bytes are framed (STYLE.md practice 10).
 *
 * The connection state machine (connection.ts) frames requests; for each finished one it
 * takes either the prebuilt answer (ResponseCache: the fast path, chosen when
 * `ConnectionContext.responder` is null, which costs one null check) or asks the configured
 * {@link Responder}. Features that need the request — per-request control, faults, echo,
 * run-time state, metrics — are responders, composed once at start (src/respond/), never
 * checked per request when they are off.
 *
 * Two phases, because a head's bytes live in a reused buffer while its body may arrive in
 * later reads: `plan` reads what it needs from the head at once and returns a small object
 * the connection keeps; `answer` turns it into bytes once the body has been read.
 */
import type { RequestHead } from "./head.ts";

/** One request's head, valid only during {@link Responder.plan}: `buf` is reused afterwards. */
export interface RequestView {
  /** Bytes holding the head; the head is buf[start, end), request line to the blank line included. */
  readonly buf: Uint8Array;
  readonly start: number;
  readonly end: number;
  /** The parsed head: method, version, target range (in `buf`), framing. */
  readonly head: RequestHead;
}

/** What a responder may learn about the connection a request came on. */
export interface ConnectionInfo {
  /** The peer and local addresses, as the back end knows them; null where it cannot tell. */
  readonly transport: {
    remoteAddress?(): SocketAddress | null;
    localAddress?(): SocketAddress | null;
  };
}

export interface SocketAddress {
  readonly address: string;
  readonly port: number;
}

/** The answer to one request. */
export interface Answer {
  /** The encoded status line and header section (and, when `body` is null, the content). */
  readonly head: Uint8Array;
  /** The content, sent after `head` (a slice of a prebuilt pattern for `size=`); null when in `head`. */
  readonly body: Uint8Array | null;
  /** Send it this many milliseconds after the request was read; later answers on the connection wait behind it (RFC 9112 §9.3.2). */
  readonly delayMs: number;
  /** It says `Connection: close`: the connection closes after it. */
  readonly close: boolean;
  /** Send nothing: reset the connection (SO_LINGER 0), as a crashed upstream would. */
  readonly reset: boolean;
}

export interface Responder<P extends object = object> {
  /**
   * A head was parsed (not the health path, which is never steered). Returns null to take the
   * prebuilt answer, or a plan kept until the body has been read.
   */
  plan(request: RequestView, conn: ConnectionInfo): P | null;
  /**
   * The request and its body (`bodyLength` bytes) are read. `persist` is one of response.ts's
   * {@link Persist} values as the connection would answer; an answer may close even so.
   * For a delayed answer it is called again when the answer is due (so Date and Connection
   * are those of then): it must decide nothing at random — every draw belongs in `plan`.
   */
  answer(plan: P, persist: number, isHead: boolean, bodyLength: number): Answer;
}
