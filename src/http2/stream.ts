/**
 * One HTTP/2 stream as the server keeps it (RFC 9113 §5.1): its state, its
 * windows, the request body as it arrives, and the answer waiting for window.
 * It is also the app's {@link Http2Reply}, so a stream costs one object.
 */
import { ErrorCode, nextStreamState, StreamEvent, StreamState } from "./constants.ts";
import { ReceiveWindow } from "./flow.ts";
import type { Http2Reply } from "./types.ts";

/** What a stream asks of its session. */
export interface StreamHost {
  /** Writes a header block; `end` = END_STREAM. */
  sendHeaders(stream: Stream, block: Uint8Array, end: boolean): void;
  /** Sends what the stream has queued, as far as the windows allow. */
  pump(stream: Stream): void;
  /** RST_STREAM `code`, then closes the stream. */
  resetStream(stream: Stream, code: ErrorCode): void;
  /** The same, asked by the app: its answer is a reset, which no frame of the client's provoked. */
  appReset(stream: Stream, code: ErrorCode): void;
}

export class Stream implements Http2Reply {
  state: StreamState = StreamState.IDLE;
  /** What we may still send on this stream (§6.9); negative after the peer shrinks its initial window. */
  sendWindow: number;
  readonly recv: ReceiveWindow;
  /** Request body octets received. */
  bodyLength = 0;
  /** Request body pieces, when the app collects bodies. */
  bodyParts: Uint8Array[] | null = null;
  /** Content-Length of the request, -1 when absent (§8.1.1: must match the DATA received). */
  contentLength = -1;
  /** The answer's DATA not yet sent: pieces, and the offset into the first. */
  readonly out: Uint8Array[] = [];
  outOffset = 0;
  outBytes = 0;
  /** END_STREAM goes on the last queued DATA once it is sent. */
  endAfterData = false;
  /** A trailer block to send once the DATA queue is empty. */
  pendingTrailers: Uint8Array | null = null;
  /** A response header block has been sent (the next one is trailers). */
  headersSent = false;
  /** We ended our side (END_STREAM queued or sent): the app may not write any more. */
  localEnded = false;
  onClose: (() => void) | null = null;
  /** The request's pseudo-fields and fields, kept from its header block until the body is in. */
  method = "";
  scheme = "";
  authority = "";
  path = "";
  fields: string[] = [];

  constructor(
    readonly streamId: number,
    sendWindow: number,
    receiveWindow: number,
    private readonly host: StreamHost,
  ) {
    this.sendWindow = sendWindow;
    this.recv = new ReceiveWindow(receiveWindow);
  }

  get closed(): boolean {
    return this.state === StreamState.CLOSED;
  }

  /** Moves along §5.1's table; false when the table has no such arrow. */
  transition(event: StreamEvent): boolean {
    const next = nextStreamState(this.state, event);
    if (next === -1) return false;
    this.state = next;
    return true;
  }

  respond(block: Uint8Array, body: Uint8Array | null, trailers: Uint8Array | null = null): void {
    const hasBody = body !== null && body.length > 0;
    this.start(block, !hasBody && trailers === null);
    if (hasBody) this.queue(body, trailers === null);
    if (trailers !== null) this.trailers(trailers);
  }

  start(block: Uint8Array, end = false): void {
    if (this.closed || this.headersSent || this.localEnded) return;
    this.headersSent = true;
    if (end) this.localEnded = true;
    this.host.sendHeaders(this, block, end);
  }

  data(bytes: Uint8Array, end: boolean): void {
    if (!this.headersSent) return;
    this.queue(bytes, end);
  }

  trailers(block: Uint8Array): void {
    if (this.closed || !this.headersSent || this.localEnded) return;
    this.localEnded = true;
    this.pendingTrailers = block;
    this.host.pump(this);
  }

  reset(code: number): void {
    if (this.closed) return;
    this.host.appReset(this, code as ErrorCode);
  }

  private queue(bytes: Uint8Array, end: boolean): void {
    if (this.closed || this.localEnded) return;
    if (bytes.length > 0) {
      this.out.push(bytes);
      this.outBytes += bytes.length;
    }
    if (end) {
      this.localEnded = true;
      this.endAfterData = true;
    }
    this.host.pump(this);
  }

  /** Drops what is queued: the stream is closed. */
  dropOutput(): void {
    this.out.length = 0;
    this.outOffset = 0;
    this.outBytes = 0;
    this.pendingTrailers = null;
    this.endAfterData = false;
    this.bodyParts = null;
  }
}
