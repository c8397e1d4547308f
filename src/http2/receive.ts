/**
 * Requests in: header blocks (HEADERS, CONTINUATION) decoded by the one HPACK
 * decoder of the connection, in order, even for streams nobody will answer
 * (§4.3); DATA counted against our receive windows (§6.9) and the body limit;
 * a complete request handed to the app. The session answers 431 and 413 itself.
 */
import { ErrorCode, Flag, Protocol, StreamEvent, StreamState } from "./constants.ts";
import { ReceiveWindow } from "./flow.ts";
import type { Frame } from "./frame-reader.ts";
import { BlockStep, HeaderBlock } from "./header-block.ts";
import { encodeResponseHeaders, HpackDecoder, HpackResult } from "./hpack/index.ts";
import type { Output } from "./output.ts";
import { Malformed, RequestHead } from "./request-head.ts";
import type { Stream } from "./stream.ts";
import type { StreamTable } from "./stream-table.ts";
import type { Http2App, Http2Options, Http2Request } from "./types.ts";

/** What the receiver asks of its session. */
export interface ReceiveHost {
  /** The final GOAWAY went out (§6.8): new streams are not processed. */
  readonly refusesStreams: boolean;
  connectionError(code: ErrorCode, reason: string): void;
  resetStream(stream: Stream, code: ErrorCode): void;
  /** RST_STREAM for a stream not in the table. */
  sendReset(id: number, code: ErrorCode): void;
  /** A new stream in the table, open (§5.1: idle → open on HEADERS). */
  openStream(id: number): Stream;
}

/** Answers the session gives itself (§8.1: a complete response may precede the rest of the request). */
const BLOCK_431 = encodeResponseHeaders(431, []);
const BLOCK_413 = encodeResponseHeaders(413, []);

const ignoreField = (): void => {};

/**
 * The parts below are made when first needed (the decoder and the request head at the first
 * header block, the block buffer at the first split one, the window at the first DATA), each
 * exactly as it would have been made at the start: an idle connection holds none of them.
 */
export class Receiver {
  private decoderMade: HpackDecoder | null = null;
  private headMade: RequestHead | null = null;
  private blockMade: HeaderBlock | null = null;
  private connRecvMade: ReceiveWindow | null = null;

  constructor(
    private readonly options: Http2Options,
    private readonly app: Http2App,
    private readonly out: Output,
    private readonly table: StreamTable,
    private readonly host: ReceiveHost,
  ) {}

  private get decoder(): HpackDecoder {
    return (this.decoderMade ??= new HpackDecoder(Protocol.DEFAULT_HEADER_TABLE_SIZE));
  }

  private get head(): RequestHead {
    return (this.headMade ??= new RequestHead());
  }

  /** The session's preface raises the connection's window to this with a WINDOW_UPDATE (§6.9.2). */
  private get connRecv(): ReceiveWindow {
    return (this.connRecvMade ??= new ReceiveWindow(connectionWindow(this.options)));
  }

  private get block(): HeaderBlock {
    return (this.blockMade ??= new HeaderBlock(this.options.maxHeaderListSize, this.options.maxContinuationFrames));
  }

  headers(f: Frame): void {
    // §5.1.1: streams a client opens have odd identifiers.
    if ((f.streamId & 1) === 0) return this.host.connectionError(ErrorCode.PROTOCOL_ERROR, "even stream id");
    const end = (f.flags & Flag.END_STREAM) !== 0;
    if ((f.flags & Flag.END_HEADERS) !== 0) return this.headerBlock(f.streamId, end, f.data, f.start, f.end, f.streamError);
    this.step(this.block.begin(f, end));
  }

  continuation(f: Frame): void {
    this.step(this.block.continuation(f, (f.flags & Flag.END_HEADERS) !== 0));
  }

  private step(step: BlockStep): void {
    const b = this.block;
    if (step === BlockStep.COMPLETE) return this.headerBlock(b.streamId, b.endStream, b.bytes, 0, b.length, b.streamError);
    // CVE-2024-27316: endless CONTINUATION frames must not hold the connection; nghttp2 answers ENHANCE_YOUR_CALM.
    if (step === BlockStep.TOO_MANY_FRAMES) return this.host.connectionError(ErrorCode.ENHANCE_YOUR_CALM, "too many CONTINUATION frames");
    // §4.3: a block we do not decompress ends the connection with COMPRESSION_ERROR (past the
    // octets we keep, its list is far over the limit; one just over it decodes and gets 431).
    if (step === BlockStep.TOO_LARGE) this.host.connectionError(ErrorCode.COMPRESSION_ERROR, "header block too large to decode");
  }

  /** Decodes a block nobody will see, to keep the HPACK state in step (§4.3); false after COMPRESSION_ERROR. */
  private discardBlock(data: Uint8Array, start: number, end: number): boolean {
    if (this.decoder.decode(data, start, end, Number.POSITIVE_INFINITY, ignoreField) !== HpackResult.COMPRESSION_ERROR) return true;
    this.host.connectionError(ErrorCode.COMPRESSION_ERROR, "undecodable header block");
    return false;
  }

  private headerBlock(id: number, end: boolean, data: Uint8Array, start: number, stop: number, streamError: ErrorCode): void {
    const table = this.table;
    const existing = table.get(id);
    if (existing !== undefined) return this.trailerBlock(existing, end, data, start, stop);
    if (!table.isIdle(id)) {
      if (!this.discardBlock(data, start, stop)) return;
      // §5.1: frames on a stream we reset are ignored; HEADERS on one that ended is a connection error STREAM_CLOSED.
      if (!table.recentlyReset(id)) this.host.connectionError(ErrorCode.STREAM_CLOSED, "HEADERS on a closed stream");
      return;
    }
    const previous = table.lastStreamId;
    table.lastStreamId = id;
    // §6.8: after the final GOAWAY, streams above its last id are not processed.
    if (this.host.refusesStreams) {
      this.discardBlock(data, start, stop);
      return;
    }
    if (table.size >= this.options.maxConcurrentStreams) {
      // §5.1.2: beyond SETTINGS_MAX_CONCURRENT_STREAMS, REFUSED_STREAM (the client may retry it).
      if (this.discardBlock(data, start, stop)) this.host.sendReset(id, ErrorCode.REFUSED_STREAM);
      return;
    }
    const head = this.head;
    head.begin(false);
    const result = this.decoder.decode(data, start, stop, this.options.maxHeaderListSize, head.field);
    if (result === HpackResult.COMPRESSION_ERROR) {
      // §6.8: the GOAWAY names the last stream we acted on, and this one we did not.
      table.lastStreamId = previous;
      return this.host.connectionError(ErrorCode.COMPRESSION_ERROR, "undecodable header block");
    }
    const stream = this.host.openStream(id);
    if (end) stream.transition(StreamEvent.RECV_END_STREAM);
    if (streamError !== ErrorCode.NO_ERROR) return this.host.resetStream(stream, streamError);
    // §10.5.1: a list over our limit, decoded to the end so the table stays in step, gets 431.
    if (result === HpackResult.TOO_LARGE) return this.answerEarly(stream, BLOCK_431);
    if (head.finish() !== Malformed.NONE) return this.host.resetStream(stream, ErrorCode.PROTOCOL_ERROR);
    stream.method = head.method;
    stream.scheme = head.scheme;
    stream.authority = head.authority;
    stream.path = head.path;
    stream.fields = head.fields;
    stream.contentLength = head.contentLength;
    if (this.options.collectBody) stream.bodyParts = [];
    if (end) this.endOfRequest(stream);
  }

  /** A second header block on a stream: trailers, which end it (§8.1). */
  private trailerBlock(stream: Stream, end: boolean, data: Uint8Array, start: number, stop: number): void {
    const head = this.head;
    head.begin(true);
    const result = this.decoder.decode(data, start, stop, this.options.maxHeaderListSize, head.field);
    if (result === HpackResult.COMPRESSION_ERROR) return this.host.connectionError(ErrorCode.COMPRESSION_ERROR, "undecodable header block");
    // §5.1: half-closed (remote) takes no more HEADERS.
    if (stream.state === StreamState.HALF_CLOSED_REMOTE) return this.host.resetStream(stream, ErrorCode.STREAM_CLOSED);
    if (!end || result !== HpackResult.OK || head.finish() !== Malformed.NONE) return this.host.resetStream(stream, ErrorCode.PROTOCOL_ERROR);
    this.receiveEnd(stream);
  }

  data(f: Frame): void {
    const id = f.streamId;
    // §6.9: DATA counts against the connection window whatever becomes of it.
    if (!this.connRecv.receive(f.length)) return this.host.connectionError(ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the connection window");
    this.giveBack(0, this.connRecv);
    const stream = this.table.get(id);
    if (stream === undefined) {
      if (this.table.isIdle(id)) return this.host.connectionError(ErrorCode.PROTOCOL_ERROR, "DATA on an idle stream");
      // §6.1: DATA on a stream not open is STREAM_CLOSED; but §5.1 ignores what was in flight when we reset it.
      if (!this.table.recentlyReset(id)) this.host.sendReset(id, ErrorCode.STREAM_CLOSED);
      return;
    }
    if (stream.state !== StreamState.OPEN && stream.state !== StreamState.HALF_CLOSED_LOCAL) return this.host.resetStream(stream, ErrorCode.STREAM_CLOSED);
    if (!stream.recv.receive(f.length)) return this.host.resetStream(stream, ErrorCode.FLOW_CONTROL_ERROR);
    const n = f.end - f.start;
    stream.bodyLength += n;
    const end = (f.flags & Flag.END_STREAM) !== 0;
    // HALF_CLOSED_LOCAL: we answered early (413, 431); what the client still sends is counted, not kept.
    if (stream.state === StreamState.OPEN) {
      // §8.1.1: more DATA than Content-Length said is malformed.
      if (stream.contentLength >= 0 && stream.bodyLength > stream.contentLength) return this.host.resetStream(stream, ErrorCode.PROTOCOL_ERROR);
      if (stream.bodyLength > this.options.maxBodySize) return this.answerEarly(stream, BLOCK_413);
      if (stream.bodyParts !== null && n > 0) stream.bodyParts.push(f.data.slice(f.start, f.end));
    }
    if (end) return this.receiveEnd(stream);
    this.giveBack(id, stream.recv);
  }

  /** Returns consumed window to the peer, in batches (half the window, flow.ts). */
  private giveBack(id: number, window: ReceiveWindow): void {
    const n = window.replenish();
    if (n > 0) this.out.writer.windowUpdate(id, n);
  }

  /** The client's END_STREAM: the request is complete, or (we answered early) the stream is done. */
  private receiveEnd(stream: Stream): void {
    stream.transition(StreamEvent.RECV_END_STREAM);
    if (stream.state === StreamState.CLOSED) return this.table.remove(stream);
    this.endOfRequest(stream);
  }

  private endOfRequest(stream: Stream): void {
    // §8.1.1: a Content-Length that the DATA did not match is malformed.
    if (stream.contentLength >= 0 && stream.contentLength !== stream.bodyLength) return this.host.resetStream(stream, ErrorCode.PROTOCOL_ERROR);
    const parts = stream.bodyParts;
    stream.bodyParts = null;
    this.deliver(stream, {
      streamId: stream.streamId,
      method: stream.method,
      scheme: stream.scheme,
      authority: stream.authority,
      path: stream.path,
      protocol: "h2",
      fields: stream.fields,
      bodyLength: stream.bodyLength,
      body: parts === null ? null : concat(parts, stream.bodyLength),
    });
  }

  deliver(stream: Stream, request: Http2Request): void {
    try {
      this.app.request(request, stream);
    } catch {
      // The app's failure costs its stream, not the connection, and is the app's reset, not one the client provoked.
      stream.reset(ErrorCode.INTERNAL_ERROR);
    }
  }

  /**
   * The session answers itself (431, 413) before the request is complete: §8.1 lets a server
   * end the response first and then ask the client to stop sending with RST_STREAM(NO_ERROR).
   */
  private answerEarly(stream: Stream, block: Uint8Array): void {
    stream.start(block, true);
    if (!stream.closed) this.host.resetStream(stream, ErrorCode.NO_ERROR);
  }
}

/** What we keep as the connection's receive window: the streams' initial window, and never below the protocol's 65,535. */
export function connectionWindow(options: Http2Options): number {
  return Math.max(Protocol.DEFAULT_WINDOW, options.initialWindowSize);
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
