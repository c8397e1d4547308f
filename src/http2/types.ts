/**
 * What the HTTP/2 session is given and what it gives: options, the request a
 * finished stream carries, and the reply the app answers it through.
 */
import { Defaults } from "./constants.ts";

export interface Http2Options {
  /** SETTINGS_MAX_CONCURRENT_STREAMS; a stream beyond it gets REFUSED_STREAM (§5.1.2). */
  readonly maxConcurrentStreams: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE (the core's --max-header-size); also caps a header block's accumulated octets. */
  readonly maxHeaderListSize: number;
  /** CONTINUATION frames allowed after one HEADERS (CVE-2024-27316). */
  readonly maxContinuationFrames: number;
  /** A request body past this gets 413 and its stream is reset. */
  readonly maxBodySize: number;
  /** Keep request bodies for the app (echo); false = count them only. */
  readonly collectBody: boolean;
  /** SETTINGS_INITIAL_WINDOW_SIZE we announce for streams; the connection window is raised to it too. */
  readonly initialWindowSize: number;
  /** Output queued past this stops reading until the transport drains. */
  readonly maxBufferedOutput: number;
  /** The preface and first SETTINGS must arrive within this (--header-timeout). */
  readonly headerTimeoutMs: number;
  /** No stream and no frame for this long, or a zero window holding output this long: GOAWAY and close (--idle-timeout). */
  readonly idleTimeoutMs: number;
  /** Token bucket of stream resets, the peer's and the ones it provoked: burst and refill per second. */
  readonly resetBudget: { readonly burst: number; readonly perSecond: number };
  /** SETTINGS/PING acknowledgements owed while output is blocked, past which GOAWAY ENHANCE_YOUR_CALM. */
  readonly maxQueuedControl: number;
}

export const DEFAULT_HTTP2_OPTIONS: Http2Options = {
  maxConcurrentStreams: Defaults.MAX_CONCURRENT_STREAMS,
  maxHeaderListSize: Defaults.MAX_HEADER_LIST_SIZE,
  maxContinuationFrames: Defaults.MAX_CONTINUATION_FRAMES,
  maxBodySize: Defaults.MAX_BODY_SIZE,
  collectBody: false,
  initialWindowSize: Defaults.INITIAL_WINDOW_SIZE,
  maxBufferedOutput: Defaults.MAX_BUFFERED_OUTPUT,
  headerTimeoutMs: Defaults.HEADER_TIMEOUT_MS,
  idleTimeoutMs: Defaults.IDLE_TIMEOUT_MS,
  resetBudget: { burst: Defaults.RESET_BURST, perSecond: Defaults.RESET_RATE_PER_SECOND },
  maxQueuedControl: Defaults.MAX_QUEUED_CONTROL,
};

/** A complete request: its header block decoded and checked (§8.3), its body received. */
export interface Http2Request {
  readonly streamId: number;
  readonly method: string;
  /** Empty for CONNECT (§8.5). */
  readonly scheme: string;
  /** Empty when the client sent none (it may send Host instead, §8.3.1). */
  readonly authority: string;
  readonly path: string;
  readonly protocol: "h2";
  /** Flat [name, value, name, value…]: lower-case names, pseudo-fields excluded, cookie crumbs as sent. */
  readonly fields: string[];
  readonly bodyLength: number;
  /** The body when `collectBody`, else null. */
  readonly body: Uint8Array | null;
}

/** How the app answers one stream. */
export interface Http2Reply {
  readonly streamId: number;
  /** The stream is gone: the peer reset it, it was answered, or the connection ended. */
  readonly closed: boolean;
  /** Set by the app; called once when the stream ends for any reason (a deferred answer drops its timer). */
  onClose: (() => void) | null;
  /** A whole answer: `block` is an HPACK-encoded response header block (e.g. prebuilt and cached). */
  respond(block: Uint8Array, body: Uint8Array | null, trailers?: Uint8Array | null): void;
  /** Streaming: the header block now, then `data` pieces, then `data(…, true)` or `trailers`. */
  start(block: Uint8Array): void;
  data(bytes: Uint8Array, end: boolean): void;
  trailers(block: Uint8Array): void;
  /** RST_STREAM with `code` (§6.4). */
  reset(code: number): void;
}

export interface Http2App {
  /** Called once per stream when its request is complete. */
  request(req: Http2Request, reply: Http2Reply): void;
}
