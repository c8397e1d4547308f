/**
 * One HTTP/2 connection (RFC 9113), pure bytes in and bytes out, driven like
 * the HTTP/1.1 Connection: `onData / onDrain / onEnd / onClosed / onTimeout`.
 * Like Go's serverConn it holds the stream map, the highest client stream id,
 * both levels of flow control and the one HPACK decoder, and runs on one
 * thread. Frames produced while handling a read go out in one write.
 *
 * Connection life: OPEN (preface, then the client's SETTINGS within the header
 * timeout) → CLOSING (a GOAWAY was sent: flushing, then half-close and linger)
 * → CLOSED. Graceful drain (§6.8): GOAWAY(2^31−1) and a PING; on its ACK or
 * after the grace the final GOAWAY names the last stream; streams in flight
 * finish, then the connection closes.
 */
import { CLIENT_PREFACE, ErrorCode, Flag, FrameType, Protocol, SettingId, StreamEvent, StreamState } from "./constants.ts";
import type { Frame, FrameSink } from "./frame-reader.ts";
import { FrameReader } from "./frame-reader.ts";
import { growWindow, ReceiveWindow } from "./flow.ts";
import { encodeResponseHeaders, HpackDecoder, HpackResult } from "./hpack/index.ts";
import type { Session, Transport } from "./io.ts";
import { Output } from "./output.ts";
import { Malformed, RequestHead } from "./request-head.ts";
import { Stream, type StreamHost } from "./stream.ts";
import { TokenBucket } from "./budget.ts";
import type { Http2App, Http2Options, Http2Request } from "./types.ts";

const Phase = { OPEN: 0, CLOSING: 1, CLOSED: 2 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];

/** The steps of a drain (§6.8). */
const Drain = {
  NONE: 0,
  /** The first GOAWAY (2^31−1) went out (--shutdown-delay): new streams are still served. */
  ANNOUNCED: 1,
  /** The first GOAWAY and our PING went out: the final GOAWAY follows the ACK or the grace. */
  PINGED: 2,
  /** The final GOAWAY named the last stream we serve. */
  FINAL: 3,
} as const;
type Drain = (typeof Drain)[keyof typeof Drain];

/** Half-closed, how long we wait for the peer's FIN before closing (the HTTP/1.1 connection's bound). */
const LINGER_MS = 2000;
/** Stream ids we reset lately, whose in-flight frames §5.1 tells us to ignore: as many as fit in a small ring. */
const RECENT_RESETS = 32;
/** Our PING's payload during a drain, told apart from a client's. */
const DRAIN_PING = Uint8Array.of(0x68, 0x32, 0x64, 0x72, 0x61, 0x69, 0x6e, 0x21);

const ERROR_NAMES: Record<number, string> = Object.fromEntries(Object.entries(ErrorCode).map(([k, v]) => [v, k]));

/** Answers the session gives itself (§8.1: a complete response may precede the rest of the request). */
const BLOCK_431 = encodeResponseHeaders(431, []);
const BLOCK_413 = encodeResponseHeaders(413, []);

const ignoreField = (): void => {};

export class Http2Session implements Session, StreamHost {
  deadline = Number.POSITIVE_INFINITY;
  refusedWith: string | null = null;
  /** Why the connection ended with an error, in words (for logs and tests); null while it has not. */
  reason: string | null = null;
  private phase: Phase = Phase.OPEN;
  private drain: Drain = Drain.NONE;
  private drainDeadline = Number.POSITIVE_INFINITY;
  private readonly reader = new FrameReader(true);
  private readonly out: Output;
  private readonly decoder = new HpackDecoder(Protocol.DEFAULT_HEADER_TABLE_SIZE);
  private readonly head = new RequestHead();
  private readonly streams = new Map<number, Stream>();
  /** Streams with answer bytes waiting for a window or for room in the output. */
  private readonly blocked = new Set<Stream>();
  private lastStreamId = 0;
  private connSend: number = Protocol.DEFAULT_WINDOW;
  private readonly connRecv: ReceiveWindow;
  private peerInitialWindow: number = Protocol.DEFAULT_WINDOW;
  private peerMaxFrameSize: number = Protocol.DEFAULT_MAX_FRAME_SIZE;
  /** The client's first SETTINGS arrived (§3.4): the header timeout no longer applies. */
  private settingsSeen = false;
  private readonly headerDeadline: number;
  private lastActivity: number;
  /** Since when output has been waiting (a zero window or a peer not reading); -1 = not waiting. */
  private stallSince = -1;
  /** Close once no stream is left (a drain, the peer's GOAWAY or FIN). */
  private closeWhenIdle = false;
  /** In CLOSING: half-close once the output is flushed. */
  private shutdownWhenFlushed = false;
  private inRead = false;
  private released = false;
  /** A header block spread over HEADERS and CONTINUATION frames. */
  private blockStream = 0;
  private blockEnd = false;
  private blockError: ErrorCode = ErrorCode.NO_ERROR;
  private blockBuf: Uint8Array | null = null;
  private blockLen = 0;
  private continuations = 0;
  private readonly resets: TokenBucket;
  private readonly recentResets = new Int32Array(RECENT_RESETS);
  private recentIndex = 0;
  private readonly sink: FrameSink = {
    onFrame: (f) => this.frame(f),
    onConnectionError: (code, reason) => this.connectionError(code, reason),
    onStreamError: (id, code) => {
      const stream = this.streams.get(id);
      if (stream !== undefined) this.resetStream(stream, code);
      else this.sendReset(id, code);
      return this.phase === Phase.OPEN;
    },
  };

  constructor(
    private readonly transport: Transport,
    private readonly options: Http2Options,
    private readonly app: Http2App,
    private readonly clock: { readonly now: number },
    upgrade?: { settings: Uint8Array; request: Http2Request },
  ) {
    this.out = new Output(transport, options.maxBufferedOutput);
    this.resets = new TokenBucket(options.resetBudget.burst, options.resetBudget.perSecond, clock.now);
    this.lastActivity = clock.now;
    this.headerDeadline = clock.now + options.headerTimeoutMs;
    const window = Math.max(Protocol.DEFAULT_WINDOW, options.initialWindowSize);
    this.connRecv = new ReceiveWindow(window);
    // §3.4: the server's preface is a SETTINGS frame, sent first thing.
    this.out.writer.settings([
      // RFC 9218 §2.1: we ignore RFC 7540 priorities, and say so.
      [SettingId.NO_RFC7540_PRIORITIES, 1],
      [SettingId.MAX_CONCURRENT_STREAMS, options.maxConcurrentStreams],
      [SettingId.INITIAL_WINDOW_SIZE, options.initialWindowSize],
      [SettingId.MAX_HEADER_LIST_SIZE, options.maxHeaderListSize],
    ]);
    // §6.9.2: SETTINGS cannot change the connection's window; a WINDOW_UPDATE can.
    if (window > Protocol.DEFAULT_WINDOW) this.out.writer.windowUpdate(0, window - Protocol.DEFAULT_WINDOW);
    if (upgrade !== undefined) this.startUpgraded(upgrade.settings, upgrade.request);
    this.out.flush();
    this.rearm();
  }

  /** §3.2: the HTTP/1.1 request that asked for h2c becomes stream 1, half-closed (remote). */
  private startUpgraded(settings: Uint8Array, request: Http2Request): void {
    if (!this.applySettings(settings, 0, settings.length)) return;
    this.lastStreamId = 1;
    const stream = new Stream(1, this.peerInitialWindow, this.options.initialWindowSize, this);
    stream.transition(StreamEvent.RECV_HEADERS);
    stream.transition(StreamEvent.RECV_END_STREAM);
    this.streams.set(1, stream);
    this.deliver(stream, request);
  }

  // ---- events from the back end ----

  onData(bytes: Uint8Array): void {
    if (this.phase !== Phase.OPEN) return;
    this.lastActivity = this.clock.now;
    this.inRead = true;
    try {
      this.reader.read(bytes, this.sink);
    } catch {
      // A worker must not die from any input: a bug reached by it ends this connection only.
      this.connectionError(ErrorCode.INTERNAL_ERROR, "internal error");
    }
    this.inRead = false;
    this.out.flush();
    this.rearm();
  }

  onDrain(): void {
    if (this.phase === Phase.CLOSED) return;
    if (!this.out.drain()) return this.rearm();
    if (this.phase === Phase.CLOSING) {
      if (this.shutdownWhenFlushed) this.halfClose();
      return;
    }
    this.stallSince = -1;
    this.pumpBlocked();
    this.out.flush();
    this.rearm();
  }

  onEnd(): void {
    if (this.phase !== Phase.OPEN) return this.close();
    // The client will send nothing more: answer what it asked (it may still read), then close.
    this.closeWhenIdle = true;
    if (this.streams.size === 0) this.close();
  }

  onClosed(): void {
    if (this.released) return;
    this.released = true;
    this.phase = Phase.CLOSED;
    this.deadline = Number.POSITIVE_INFINITY;
    this.out.drop();
    this.closeAllStreams();
  }

  onTimeout(): void {
    const now = this.clock.now;
    if (now < this.deadline) return;
    if (this.phase === Phase.CLOSED) return this.abort();
    if (this.phase === Phase.CLOSING) return this.close();
    if (!this.settingsSeen) return this.connectionError(ErrorCode.PROTOCOL_ERROR, "no preface and SETTINGS in time");
    if (this.drain === Drain.PINGED && now >= this.drainDeadline) {
      this.finalGoAway();
      this.out.flush();
      return this.rearm();
    }
    // The zero-window stall: a peer that keeps our answers waiting holds memory; idle-timeout bounds it.
    if (this.stallSince >= 0) return this.connectionError(ErrorCode.ENHANCE_YOUR_CALM, "output stalled");
    this.finish();
  }

  /**
   * Graceful drain, §6.8: GOAWAY(2^31−1) and a PING, so that streams the client
   * sent meanwhile are still counted; the final GOAWAY follows the ACK or `graceMs`.
   */
  onShutdown(graceMs: number): void {
    if (this.phase !== Phase.OPEN) return;
    this.closeWhenIdle = true;
    if (!this.settingsSeen) return this.finish();
    if (this.drain >= Drain.PINGED) return;
    if (this.drain === Drain.NONE) this.out.writer.goAway(Protocol.MAX_STREAM_ID, ErrorCode.NO_ERROR);
    this.out.writer.ping(false, DRAIN_PING, 0);
    this.drain = Drain.PINGED;
    this.drainDeadline = this.clock.now + graceMs;
    this.out.flush();
    this.rearm();
  }

  /** The first GOAWAY of §6.8 alone (--shutdown-delay): clients open new connections elsewhere, streams sent still get answers. */
  goAway(): void {
    if (this.phase !== Phase.OPEN || this.drain !== Drain.NONE) return;
    this.drain = Drain.ANNOUNCED;
    this.out.writer.goAway(Protocol.MAX_STREAM_ID, ErrorCode.NO_ERROR);
    this.out.flush();
  }

  abort(): void {
    if (this.released) return;
    this.phase = Phase.CLOSED;
    this.transport.abort();
    this.onClosed();
  }

  // ---- closing ----

  /** §5.4.1: GOAWAY with the last stream we processed and the error, then half-close and close. */
  private connectionError(code: ErrorCode, reason: string): void {
    if (this.phase !== Phase.OPEN) return;
    this.refusedWith = ERROR_NAMES[code] ?? "UNKNOWN";
    this.reason = reason;
    this.out.writer.goAway(this.lastStreamId, code);
    this.phase = Phase.CLOSING;
    this.closeAllStreams();
    this.beginClosing();
  }

  /** No stream left to serve: the final GOAWAY (if not sent), then half-close. */
  private finish(): void {
    if (this.phase !== Phase.OPEN) return;
    if (this.drain !== Drain.FINAL) this.out.writer.goAway(this.lastStreamId, ErrorCode.NO_ERROR);
    this.drain = Drain.FINAL;
    this.beginClosing();
  }

  private beginClosing(): void {
    this.phase = Phase.CLOSING;
    this.out.flush();
    if (this.out.pendingBytes === 0) this.halfClose();
    else {
      this.shutdownWhenFlushed = true;
      this.deadline = this.clock.now + LINGER_MS;
    }
  }

  private halfClose(): void {
    this.shutdownWhenFlushed = false;
    this.transport.shutdown();
    // Half-closed, the peer still reads our GOAWAY and answers; its FIN (onEnd) or this bound closes.
    this.deadline = this.clock.now + LINGER_MS;
  }

  private close(): void {
    if (this.phase === Phase.CLOSED) return;
    this.phase = Phase.CLOSED;
    this.closeAllStreams();
    this.out.drop();
    this.deadline = this.clock.now + LINGER_MS;
    this.transport.close();
  }

  private finalGoAway(): void {
    if (this.drain === Drain.FINAL || this.phase !== Phase.OPEN) return;
    this.drain = Drain.FINAL;
    this.out.writer.goAway(this.lastStreamId, ErrorCode.NO_ERROR);
    if (this.streams.size === 0) this.finish();
  }

  private closeAllStreams(): void {
    for (const stream of this.streams.values()) this.closeStream(stream);
  }

  /** Moves the deadline: header timeout, idle timeout, the stall bound, the drain's grace. */
  private rearm(): void {
    if (this.phase !== Phase.OPEN) return;
    let d = Number.POSITIVE_INFINITY;
    if (!this.settingsSeen) d = this.headerDeadline;
    else if (this.blocked.size > 0 || this.out.pendingBytes > 0) {
      if (this.stallSince < 0) this.stallSince = this.clock.now;
      d = this.stallSince + this.options.idleTimeoutMs;
    } else {
      this.stallSince = -1;
      if (this.streams.size === 0) d = this.lastActivity + this.options.idleTimeoutMs;
    }
    if (this.drain === Drain.PINGED) d = Math.min(d, this.drainDeadline);
    this.deadline = d;
  }

  /** After a stream wrote outside a read (a deferred answer): write now. */
  private afterOutput(): void {
    if (this.inRead || this.phase !== Phase.OPEN) return;
    this.out.flush();
    this.rearm();
  }

  // ---- frames ----

  private frame(f: Frame): boolean {
    if (this.phase !== Phase.OPEN) return false;
    // §3.4: the client's preface ends with a SETTINGS frame.
    if (!this.settingsSeen && (f.type !== FrameType.SETTINGS || (f.flags & Flag.ACK) !== 0)) {
      this.connectionError(ErrorCode.PROTOCOL_ERROR, "preface without SETTINGS");
      return false;
    }
    switch (f.type) {
      case FrameType.DATA:
        this.onDataFrame(f);
        break;
      case FrameType.HEADERS:
        this.onHeadersFrame(f);
        break;
      case FrameType.CONTINUATION:
        this.onContinuation(f);
        break;
      case FrameType.RST_STREAM:
        this.onRstStream(f);
        break;
      case FrameType.SETTINGS:
        if ((f.flags & Flag.ACK) === 0 && this.applySettings(f.data, f.start, f.end)) {
          this.settingsSeen = true;
          this.out.writer.settingsAck();
          this.owedControl();
        }
        break;
      case FrameType.PING:
        this.onPing(f);
        break;
      case FrameType.GOAWAY:
        // §6.8: the peer starts no more streams; finish ours, then close.
        this.closeWhenIdle = true;
        if (this.streams.size === 0) this.finish();
        break;
      case FrameType.WINDOW_UPDATE:
        this.onWindowUpdate(f);
        break;
      default:
        // PRIORITY: parsed by the reader, ignored (§5.3.2).
        break;
    }
    return this.phase === Phase.OPEN;
  }

  /** Counts an acknowledgement the peer made us owe (CVE-2019-9512, -9515: PING and SETTINGS floods). */
  private owedControl(): void {
    if (++this.out.controlOwed > this.options.maxQueuedControl) this.connectionError(ErrorCode.ENHANCE_YOUR_CALM, "too many acknowledgements owed");
  }

  private onPing(f: Frame): void {
    if ((f.flags & Flag.ACK) === 0) {
      this.out.writer.ping(true, f.data, f.start);
      this.owedControl();
      return;
    }
    if (this.drain === Drain.PINGED && equal8(f.data, f.start, DRAIN_PING)) this.finalGoAway();
  }

  /** §6.5.2; false after a connection error. */
  private applySettings(data: Uint8Array, start: number, end: number): boolean {
    for (let p = start; p + 6 <= end; p += 6) {
      const id = (data[p]! << 8) | data[p + 1]!;
      const value = ((data[p + 2]! << 24) | (data[p + 3]! << 16) | (data[p + 4]! << 8) | data[p + 5]!) >>> 0;
      if (id === SettingId.ENABLE_PUSH && value > 1) {
        this.connectionError(ErrorCode.PROTOCOL_ERROR, "ENABLE_PUSH above 1");
        return false;
      }
      if (id === SettingId.INITIAL_WINDOW_SIZE) {
        if (value > Protocol.MAX_WINDOW) {
          this.connectionError(ErrorCode.FLOW_CONTROL_ERROR, "INITIAL_WINDOW_SIZE above 2^31-1");
          return false;
        }
        // §6.9.2: the change applies to every open stream's window, which must stay within 2^31−1.
        const delta = value - this.peerInitialWindow;
        for (const stream of this.streams.values()) {
          const next = growWindow(stream.sendWindow, delta);
          if (next === null) {
            this.connectionError(ErrorCode.FLOW_CONTROL_ERROR, "INITIAL_WINDOW_SIZE overflows a stream window");
            return false;
          }
          stream.sendWindow = next;
          if (delta > 0 && stream.outBytes > 0) this.blocked.add(stream);
        }
        this.peerInitialWindow = value;
      } else if (id === SettingId.MAX_FRAME_SIZE) {
        if (value < Protocol.DEFAULT_MAX_FRAME_SIZE || value > Protocol.MAX_MAX_FRAME_SIZE) {
          this.connectionError(ErrorCode.PROTOCOL_ERROR, "MAX_FRAME_SIZE out of range");
          return false;
        }
        this.peerMaxFrameSize = value;
      }
      // HEADER_TABLE_SIZE: our encoder never indexes; the rest are advisory or for clients; unknown ids are ignored (§6.5.2).
    }
    this.pumpBlocked();
    return true;
  }

  private onWindowUpdate(f: Frame): void {
    const d = f.data;
    const increment = ((d[f.start]! & 0x7f) << 24) | (d[f.start + 1]! << 16) | (d[f.start + 2]! << 8) | d[f.start + 3]!;
    if (f.streamId === 0) {
      const next = growWindow(this.connSend, increment);
      // §6.9.1: past 2^31−1 on the connection is a connection error.
      if (next === null) return this.connectionError(ErrorCode.FLOW_CONTROL_ERROR, "connection window overflow");
      this.connSend = next;
      this.pumpBlocked();
      return;
    }
    const stream = this.streams.get(f.streamId);
    if (stream === undefined) {
      // §5.1: idle streams take only HEADERS and PRIORITY; closed ones may still see WINDOW_UPDATE.
      if (f.streamId > this.lastStreamId) this.connectionError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE on an idle stream");
      return;
    }
    const next = growWindow(stream.sendWindow, increment);
    // §6.9.1: on a stream, a stream error.
    if (next === null) return this.resetStream(stream, ErrorCode.FLOW_CONTROL_ERROR);
    stream.sendWindow = next;
    this.pump(stream);
  }

  private onRstStream(f: Frame): void {
    const id = f.streamId;
    // §5.1: RST_STREAM on an idle stream is a connection error.
    if (id > this.lastStreamId) return this.connectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on an idle stream");
    // CVE-2023-44487 (Rapid Reset): every reset the client sends draws on the budget, whether or not its stream is still open.
    if (!this.resets.take(this.clock.now)) return this.connectionError(ErrorCode.ENHANCE_YOUR_CALM, "reset budget spent");
    const stream = this.streams.get(id);
    if (stream !== undefined) this.closeStream(stream);
  }

  private onHeadersFrame(f: Frame): void {
    // §5.1.1: streams a client opens have odd identifiers.
    if ((f.streamId & 1) === 0) return this.connectionError(ErrorCode.PROTOCOL_ERROR, "even stream id");
    const end = (f.flags & Flag.END_STREAM) !== 0;
    if ((f.flags & Flag.END_HEADERS) !== 0) return this.headerBlock(f.streamId, end, f.data, f.start, f.end, f.streamError);
    this.blockStream = f.streamId;
    this.blockEnd = end;
    this.blockError = f.streamError;
    this.blockLen = 0;
    this.continuations = 0;
    this.appendBlock(f);
  }

  private onContinuation(f: Frame): void {
    // CVE-2024-27316: a header block of endless CONTINUATIONs must not hold the connection.
    if (++this.continuations > this.options.maxContinuationFrames) return this.connectionError(ErrorCode.ENHANCE_YOUR_CALM, "too many CONTINUATION frames");
    if (!this.appendBlock(f)) return;
    if ((f.flags & Flag.END_HEADERS) !== 0) this.headerBlock(this.blockStream, this.blockEnd, this.blockBuf!, 0, this.blockLen, this.blockError);
  }

  /** Keeps a fragment; a block spread over frames is capped at maxHeaderListSize octets (it cannot be decoded in part). */
  private appendBlock(f: Frame): boolean {
    const n = f.end - f.start;
    const need = this.blockLen + n;
    if (need > this.options.maxHeaderListSize) {
      this.connectionError(ErrorCode.ENHANCE_YOUR_CALM, "header block too large");
      return false;
    }
    if (this.blockBuf === null || this.blockBuf.length < need) {
      const grown = new Uint8Array(Math.min(this.options.maxHeaderListSize, Math.max(need, 2 * (this.blockBuf?.length ?? 1024))));
      if (this.blockBuf !== null) grown.set(this.blockBuf.subarray(0, this.blockLen));
      this.blockBuf = grown;
    }
    this.blockBuf.set(f.data.subarray(f.start, f.end), this.blockLen);
    this.blockLen = need;
    return true;
  }

  /** Decodes a block nobody will see, to keep the HPACK state in step (§4.3); false after COMPRESSION_ERROR. */
  private discardBlock(data: Uint8Array, start: number, end: number): boolean {
    if (this.decoder.decode(data, start, end, Number.POSITIVE_INFINITY, ignoreField) !== HpackResult.COMPRESSION_ERROR) return true;
    this.connectionError(ErrorCode.COMPRESSION_ERROR, "undecodable header block");
    return false;
  }

  private headerBlock(id: number, end: boolean, data: Uint8Array, start: number, stop: number, streamError: ErrorCode): void {
    const existing = this.streams.get(id);
    if (existing !== undefined) return this.trailerBlock(existing, end, data, start, stop);
    if (id <= this.lastStreamId) {
      if (!this.discardBlock(data, start, stop)) return;
      // §5.1: frames on a stream we reset are ignored; HEADERS on one that ended is a connection error STREAM_CLOSED.
      if (!this.recentlyReset(id)) this.connectionError(ErrorCode.STREAM_CLOSED, "HEADERS on a closed stream");
      return;
    }
    const previous = this.lastStreamId;
    this.lastStreamId = id;
    // §6.8: after the final GOAWAY, streams above its last id are not processed.
    if (this.drain === Drain.FINAL) {
      this.discardBlock(data, start, stop);
      return;
    }
    if (this.streams.size >= this.options.maxConcurrentStreams) {
      // §5.1.2: beyond SETTINGS_MAX_CONCURRENT_STREAMS, REFUSED_STREAM (the client may retry it).
      if (this.discardBlock(data, start, stop)) this.sendReset(id, ErrorCode.REFUSED_STREAM);
      return;
    }
    const head = this.head;
    head.begin(false);
    const result = this.decoder.decode(data, start, stop, this.options.maxHeaderListSize, head.field);
    if (result === HpackResult.COMPRESSION_ERROR) {
      // §6.8: the GOAWAY names the last stream we acted on, and this one we did not.
      this.lastStreamId = previous;
      return this.connectionError(ErrorCode.COMPRESSION_ERROR, "undecodable header block");
    }
    const stream = new Stream(id, this.peerInitialWindow, this.options.initialWindowSize, this);
    stream.transition(StreamEvent.RECV_HEADERS);
    this.streams.set(id, stream);
    if (end) stream.transition(StreamEvent.RECV_END_STREAM);
    if (streamError !== ErrorCode.NO_ERROR) return this.resetStream(stream, streamError);
    if (result === HpackResult.TOO_LARGE) return this.answerEarly(stream, BLOCK_431);
    if (head.finish() !== Malformed.NONE) return this.resetStream(stream, ErrorCode.PROTOCOL_ERROR);
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
    if (result === HpackResult.COMPRESSION_ERROR) return this.connectionError(ErrorCode.COMPRESSION_ERROR, "undecodable header block");
    // §5.1: half-closed (remote) takes no more HEADERS.
    if (stream.state === StreamState.HALF_CLOSED_REMOTE) return this.resetStream(stream, ErrorCode.STREAM_CLOSED);
    if (!end || result !== HpackResult.OK || head.finish() !== Malformed.NONE) return this.resetStream(stream, ErrorCode.PROTOCOL_ERROR);
    this.receiveEnd(stream);
  }

  private onDataFrame(f: Frame): void {
    const id = f.streamId;
    // §6.9: DATA counts against the connection window whatever becomes of it.
    if (!this.connRecv.receive(f.length)) return this.connectionError(ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the connection window");
    this.giveBack(0);
    const stream = this.streams.get(id);
    if (stream === undefined) {
      if (id > this.lastStreamId) return this.connectionError(ErrorCode.PROTOCOL_ERROR, "DATA on an idle stream");
      // §6.1: DATA on a stream not open is STREAM_CLOSED; but §5.1 ignores what was in flight when we reset it.
      if (!this.recentlyReset(id)) this.sendReset(id, ErrorCode.STREAM_CLOSED);
      return;
    }
    if (stream.state !== StreamState.OPEN && stream.state !== StreamState.HALF_CLOSED_LOCAL) return this.resetStream(stream, ErrorCode.STREAM_CLOSED);
    if (!stream.recv.receive(f.length)) return this.resetStream(stream, ErrorCode.FLOW_CONTROL_ERROR);
    const n = f.end - f.start;
    stream.bodyLength += n;
    const end = (f.flags & Flag.END_STREAM) !== 0;
    if (stream.state === StreamState.OPEN) {
      // §8.1.1: more DATA than Content-Length said is malformed.
      if (stream.contentLength >= 0 && stream.bodyLength > stream.contentLength) return this.resetStream(stream, ErrorCode.PROTOCOL_ERROR);
      if (stream.bodyLength > this.options.maxBodySize) return this.answerEarly(stream, BLOCK_413);
      if (stream.bodyParts !== null && n > 0) stream.bodyParts.push(f.data.slice(f.start, f.end));
    }
    if (end) return this.receiveEnd(stream);
    if (stream.recv.available < stream.recv.size) this.giveBack(stream.streamId, stream);
  }

  /** Returns consumed window to the peer, in batches (half the window). */
  private giveBack(id: number, stream?: Stream): void {
    const window = stream === undefined ? this.connRecv : stream.recv;
    const n = window.replenish();
    if (n > 0) this.out.writer.windowUpdate(id, n);
  }

  /** The client's END_STREAM: the request is complete, or (we answered early) the stream is done. */
  private receiveEnd(stream: Stream): void {
    stream.transition(StreamEvent.RECV_END_STREAM);
    if (stream.state === StreamState.CLOSED) return this.closeStream(stream);
    this.endOfRequest(stream);
  }

  private endOfRequest(stream: Stream): void {
    // §8.1.1: a Content-Length that the DATA did not match is malformed.
    if (stream.contentLength >= 0 && stream.contentLength !== stream.bodyLength) return this.resetStream(stream, ErrorCode.PROTOCOL_ERROR);
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

  private deliver(stream: Stream, request: Http2Request): void {
    try {
      this.app.request(request, stream);
    } catch {
      // The app's failure costs its stream, not the connection.
      if (!stream.closed) this.resetStream(stream, ErrorCode.INTERNAL_ERROR);
    }
  }

  /**
   * The session answers itself (431, 413) before the request is complete: §8.1 lets a server
   * end the response first and then ask the client to stop sending with RST_STREAM(NO_ERROR).
   */
  private answerEarly(stream: Stream, block: Uint8Array): void {
    stream.start(block, true);
    if (!stream.closed) this.resetStream(stream, ErrorCode.NO_ERROR);
  }

  // ---- streams (StreamHost) ----

  sendHeaders(stream: Stream, block: Uint8Array, end: boolean): void {
    if (this.phase !== Phase.OPEN) return;
    this.out.writer.headers(stream.streamId, block, end, this.peerMaxFrameSize);
    if (end) this.localEnd(stream);
    this.afterOutput();
  }

  pump(stream: Stream): void {
    if (this.phase !== Phase.OPEN || stream.closed) return;
    const w = this.out.writer;
    while (stream.outBytes > 0) {
      const room = Math.min(this.connSend, stream.sendWindow);
      if (room <= 0 || !this.out.hasRoom) {
        this.blocked.add(stream);
        break;
      }
      const chunk = stream.out[0]!;
      const from = stream.outOffset;
      const n = Math.min(room, chunk.length - from);
      const lastPiece = from + n === chunk.length && stream.out.length === 1;
      const end = lastPiece && stream.endAfterData;
      w.data(stream.streamId, chunk, from, from + n, end, this.peerMaxFrameSize);
      this.connSend -= n;
      stream.sendWindow -= n;
      stream.outBytes -= n;
      this.stallSince = -1;
      if (from + n === chunk.length) {
        stream.out.shift();
        stream.outOffset = 0;
      } else stream.outOffset = from + n;
      if (end) {
        stream.endAfterData = false;
        this.localEnd(stream);
        return this.afterOutput();
      }
    }
    if (stream.outBytes === 0) {
      this.blocked.delete(stream);
      if (stream.endAfterData) {
        // data(empty, true): an empty DATA carries END_STREAM (not flow-controlled, §6.9).
        stream.endAfterData = false;
        w.data(stream.streamId, stream.out[0] ?? new Uint8Array(0), 0, 0, true, this.peerMaxFrameSize);
        this.localEnd(stream);
      } else if (stream.pendingTrailers !== null) {
        const block = stream.pendingTrailers;
        stream.pendingTrailers = null;
        w.headers(stream.streamId, block, true, this.peerMaxFrameSize);
        this.localEnd(stream);
      }
    }
    this.afterOutput();
  }

  private pumpBlocked(): void {
    for (const stream of this.blocked) {
      if (this.connSend <= 0 || !this.out.hasRoom) return;
      this.pump(stream);
    }
  }

  resetStream(stream: Stream, code: ErrorCode): void {
    if (this.phase !== Phase.OPEN || stream.closed) return;
    this.sendReset(stream.streamId, code);
    this.closeStream(stream);
    this.afterOutput();
  }

  /**
   * RST_STREAM for `id`. Resets we send draw on the same budget as the client's: a client that
   * provokes them (MadeYouReset, CVE-2025-8671) gets what a client sending them gets.
   */
  private sendReset(id: number, code: ErrorCode): void {
    this.out.writer.rstStream(id, code);
    this.recentResets[this.recentIndex] = id;
    this.recentIndex = (this.recentIndex + 1) % RECENT_RESETS;
    if (!this.resets.take(this.clock.now)) this.connectionError(ErrorCode.ENHANCE_YOUR_CALM, "reset budget spent");
  }

  private recentlyReset(id: number): boolean {
    return this.recentResets.includes(id);
  }

  /** We sent END_STREAM. */
  private localEnd(stream: Stream): void {
    stream.transition(StreamEvent.SEND_END_STREAM);
    if (stream.state === StreamState.CLOSED) this.closeStream(stream);
  }

  private closeStream(stream: Stream): void {
    if (!this.streams.delete(stream.streamId)) return;
    stream.state = StreamState.CLOSED;
    this.blocked.delete(stream);
    stream.dropOutput();
    const onClose = stream.onClose;
    stream.onClose = null;
    if (onClose !== null) {
      try {
        onClose();
      } catch {
        // The app's cleanup failing must not take the connection down.
      }
    }
    if (this.closeWhenIdle && this.streams.size === 0 && this.phase === Phase.OPEN && this.drain !== Drain.PINGED) this.finish();
  }
}

function equal8(data: Uint8Array, at: number, want: Uint8Array): boolean {
  for (let i = 0; i < 8; i++) if (data[at + i] !== want[i]) return false;
  return true;
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

/** The client preface, for whoever detects it (the HTTP/1.1 side). */
export { CLIENT_PREFACE };
