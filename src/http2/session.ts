/**
 * One HTTP/2 connection (RFC 9113), pure bytes in and bytes out, driven like
 * the HTTP/1.1 Connection: `onData / onDrain / onEnd / onClosed / onTimeout`.
 * Like Go's serverConn it runs on one thread and owns the connection's parts:
 * the stream table (stream-table.ts), requests in (receive.ts: header blocks,
 * DATA, the one HPACK decoder), answers out under flow control (send.ts), the
 * abuse budgets (limits.ts) and the batched output (output.ts). This file keeps
 * the connection's life, the dispatch of frames to those parts, and the
 * connection-level frames (SETTINGS, PING, GOAWAY, RST_STREAM). Frames produced
 * while handling a read go out in one write.
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
import type { Session, Transport } from "./io.ts";
import type { TokenBucket } from "./budget.ts";
import { oweAck, resetBudget } from "./limits.ts";
import { Output } from "./output.ts";
import { connectionWindow, type ReceiveHost, Receiver } from "./receive.ts";
import { type SendHost, Sender } from "./send.ts";
import { Stream, type StreamHost } from "./stream.ts";
import { StreamTable, type TableHost } from "./stream-table.ts";
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
/** Our PING's payload during a drain, told apart from a client's. */
const DRAIN_PING = Uint8Array.of(0x68, 0x32, 0x64, 0x72, 0x61, 0x69, 0x6e, 0x21);

const ERROR_NAMES: Record<number, string> = Object.fromEntries(Object.entries(ErrorCode).map(([k, v]) => [v, k]));

export class Http2Session implements Session, StreamHost, SendHost, ReceiveHost, FrameSink, TableHost {
  deadline = Number.POSITIVE_INFINITY;
  refusedWith: string | null = null;
  /** Why the connection ended with an error, in words (for logs and tests); null while it has not. */
  reason: string | null = null;
  private phase: Phase = Phase.OPEN;
  private drain: Drain = Drain.NONE;
  private drainDeadline = Number.POSITIVE_INFINITY;
  private readonly reader = new FrameReader(true);
  private readonly out: Output;
  private readonly table: StreamTable;
  private readonly sender: Sender;
  private readonly receiver: Receiver;
  /** The reset budget, made at the first reset (limits.ts). */
  private resets: TokenBucket | null = null;
  /** The client's first SETTINGS arrived (§3.4): the header timeout no longer applies. */
  private settingsSeen = false;
  private readonly headerDeadline: number;
  private lastActivity: number;
  /** Close once no stream is left (a drain, the peer's GOAWAY or FIN). */
  private closeWhenIdle = false;
  /** In CLOSING: half-close once the output is flushed. */
  private shutdownWhenFlushed = false;
  private inRead = false;
  private released = false;

  constructor(
    private readonly transport: Transport,
    private readonly options: Http2Options,
    app: Http2App,
    private readonly clock: { readonly now: number },
    upgrade?: { settings: Uint8Array; request: Http2Request },
  ) {
    this.out = new Output(transport, options.maxBufferedOutput);
    this.table = new StreamTable(this);
    this.sender = new Sender(this.out, this.table, this);
    this.receiver = new Receiver(options, app, this.out, this.table, this);
    this.lastActivity = clock.now;
    this.headerDeadline = clock.now + options.headerTimeoutMs;
    // §3.4: the server's preface is a SETTINGS frame, sent first thing.
    this.out.writer.settings([
      // RFC 9218 §2.1: we ignore RFC 7540 priorities, and say so.
      [SettingId.NO_RFC7540_PRIORITIES, 1],
      [SettingId.MAX_CONCURRENT_STREAMS, options.maxConcurrentStreams],
      [SettingId.INITIAL_WINDOW_SIZE, options.initialWindowSize],
      [SettingId.MAX_HEADER_LIST_SIZE, options.maxHeaderListSize],
    ]);
    // §6.9.2: SETTINGS cannot change the connection's window; a WINDOW_UPDATE can.
    const window = connectionWindow(options);
    if (window > Protocol.DEFAULT_WINDOW) this.out.writer.windowUpdate(0, window - Protocol.DEFAULT_WINDOW);
    if (upgrade !== undefined) this.startUpgraded(upgrade.settings, upgrade.request);
    this.out.flush();
    this.rearm();
  }

  /** §3.2: the HTTP/1.1 request that asked for h2c becomes stream 1, half-closed (remote). */
  private startUpgraded(settings: Uint8Array, request: Http2Request): void {
    if (!this.sender.applySettings(settings, 0, settings.length)) return;
    this.table.lastStreamId = 1;
    const stream = this.openStream(1);
    stream.transition(StreamEvent.RECV_END_STREAM);
    this.receiver.deliver(stream, request);
  }

  // ---- events from the back end ----

  onData(bytes: Uint8Array): void {
    if (this.phase !== Phase.OPEN) return;
    this.lastActivity = this.clock.now;
    this.inRead = true;
    try {
      this.reader.read(bytes, this);
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
    this.sender.stallSince = -1;
    this.sender.pumpBlocked();
    this.out.flush();
    this.rearm();
  }

  onEnd(): void {
    if (this.phase !== Phase.OPEN) return this.close();
    // The client will send nothing more: answer what it asked (it may still read), then close.
    this.closeWhenIdle = true;
    if (this.table.size === 0) this.close();
  }

  onClosed(): void {
    if (this.released) return;
    this.released = true;
    this.phase = Phase.CLOSED;
    this.deadline = Number.POSITIVE_INFINITY;
    this.out.drop();
    this.table.removeAll();
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
    if (this.sender.stallSince >= 0) return this.connectionError(ErrorCode.ENHANCE_YOUR_CALM, "output stalled");
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

  get open(): boolean {
    return this.phase === Phase.OPEN;
  }

  get refusesStreams(): boolean {
    return this.drain === Drain.FINAL;
  }

  /** §5.4.1: GOAWAY with the last stream we processed and the error, then half-close and close. */
  connectionError(code: ErrorCode, reason: string): void {
    if (this.phase !== Phase.OPEN) return;
    this.refusedWith = ERROR_NAMES[code] ?? "UNKNOWN";
    this.reason = reason;
    this.out.writer.goAway(this.table.lastStreamId, code);
    this.phase = Phase.CLOSING;
    this.table.removeAll();
    this.beginClosing();
  }

  /** No stream left to serve: the final GOAWAY (if not sent), then half-close. */
  private finish(): void {
    if (this.phase !== Phase.OPEN) return;
    if (this.drain !== Drain.FINAL) this.out.writer.goAway(this.table.lastStreamId, ErrorCode.NO_ERROR);
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
    this.table.removeAll();
    this.out.drop();
    this.deadline = this.clock.now + LINGER_MS;
    this.transport.close();
  }

  private finalGoAway(): void {
    if (this.drain === Drain.FINAL || this.phase !== Phase.OPEN) return;
    this.drain = Drain.FINAL;
    this.out.writer.goAway(this.table.lastStreamId, ErrorCode.NO_ERROR);
    if (this.table.size === 0) this.finish();
  }

  /** Moves the deadline: header timeout, idle timeout, the stall bound, the drain's grace. */
  private rearm(): void {
    if (this.phase !== Phase.OPEN) return;
    let d = Number.POSITIVE_INFINITY;
    if (!this.settingsSeen) d = this.headerDeadline;
    else if (this.sender.waiting) {
      if (this.sender.stallSince < 0) this.sender.stallSince = this.clock.now;
      d = this.sender.stallSince + this.options.idleTimeoutMs;
    } else {
      this.sender.stallSince = -1;
      if (this.table.size === 0) d = this.lastActivity + this.options.idleTimeoutMs;
    }
    if (this.drain === Drain.PINGED) d = Math.min(d, this.drainDeadline);
    this.deadline = d;
  }

  /** After a stream wrote outside a read (a deferred answer): write now. */
  afterOutput(): void {
    if (this.inRead || this.phase !== Phase.OPEN) return;
    this.out.flush();
    this.rearm();
  }

  // ---- frames (the reader's FrameSink: the session itself, so that a session carries no closures) ----

  /** A stream error the reader's fixed rules found (§5.4.2): that stream is reset, the read goes on while OPEN. */
  onStreamError(id: number, code: ErrorCode): boolean {
    const stream = this.table.get(id);
    if (stream !== undefined) this.resetStream(stream, code);
    else this.sendReset(id, code);
    return this.phase === Phase.OPEN;
  }

  onConnectionError(code: ErrorCode, reason: string): void {
    this.connectionError(code, reason);
  }

  /**
   * Hands a frame to the part that owns it. Called only while OPEN: the reader stops at the
   * first `false` this returns, and onData does not read once the connection is not OPEN.
   */
  onFrame(f: Frame): boolean {
    // §3.4: the client's preface ends with a SETTINGS frame.
    if (!this.settingsSeen && (f.type !== FrameType.SETTINGS || (f.flags & Flag.ACK) !== 0)) {
      this.connectionError(ErrorCode.PROTOCOL_ERROR, "preface without SETTINGS");
      return false;
    }
    switch (f.type) {
      case FrameType.DATA:
        this.receiver.data(f);
        break;
      case FrameType.HEADERS:
        this.receiver.headers(f);
        break;
      case FrameType.CONTINUATION:
        this.receiver.continuation(f);
        break;
      case FrameType.RST_STREAM:
        this.onRstStream(f);
        break;
      case FrameType.SETTINGS:
        if ((f.flags & Flag.ACK) === 0 && this.sender.applySettings(f.data, f.start, f.end)) {
          this.settingsSeen = true;
          this.out.writer.settingsAck();
          this.oweAck();
        }
        break;
      case FrameType.PING:
        this.onPing(f);
        break;
      case FrameType.GOAWAY:
        // §6.8: the peer starts no more streams; finish ours, then close.
        this.closeWhenIdle = true;
        if (this.table.size === 0) this.finish();
        break;
      case FrameType.WINDOW_UPDATE:
        this.sender.windowUpdate(f);
        break;
      default:
        // PRIORITY: parsed by the reader, ignored (§5.3.2). PUSH_PROMISE and unknown types never get here.
        break;
    }
    return this.phase === Phase.OPEN;
  }

  private oweAck(): void {
    if (!oweAck(this.out, this.options)) this.connectionError(ErrorCode.ENHANCE_YOUR_CALM, "too many acknowledgements owed");
  }

  private onPing(f: Frame): void {
    if ((f.flags & Flag.ACK) === 0) {
      this.out.writer.ping(true, f.data, f.start);
      this.oweAck();
      return;
    }
    if (this.drain === Drain.PINGED && equal8(f.data, f.start, DRAIN_PING)) this.finalGoAway();
  }

  private onRstStream(f: Frame): void {
    const id = f.streamId;
    // §5.1: RST_STREAM on an idle stream is a connection error.
    if (this.table.isIdle(id)) return this.connectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on an idle stream");
    if (!this.takeReset()) return this.connectionError(ErrorCode.ENHANCE_YOUR_CALM, "reset budget spent");
    const stream = this.table.get(id);
    if (stream !== undefined) this.table.remove(stream);
  }

  // ---- streams (StreamHost, and what the parts ask of the session) ----

  openStream(id: number): Stream {
    const stream = new Stream(id, this.sender.peerInitialWindow, this.options.initialWindowSize, this);
    stream.transition(StreamEvent.RECV_HEADERS);
    this.table.add(stream);
    return stream;
  }

  sendHeaders(stream: Stream, block: Uint8Array, end: boolean): void {
    if (this.phase !== Phase.OPEN) return;
    this.sender.headers(stream, block, end);
    this.afterOutput();
  }

  pump(stream: Stream): void {
    this.sender.pump(stream);
  }

  resetStream(stream: Stream, code: ErrorCode): void {
    if (this.phase !== Phase.OPEN || stream.closed) return;
    this.sendReset(stream.streamId, code);
    this.table.remove(stream);
    this.afterOutput();
  }

  /**
   * A reset the app answers with (--reset-rate, a failed source or handler): not charged to the
   * reset budget. The client sent a complete, valid request and we answered it, so no work of
   * ours goes on behind this reset (what MadeYouReset needs), and each costs the client a stream
   * that MAX_CONCURRENT_STREAMS bounds like any request. Charging it would end in
   * ENHANCE_YOUR_CALM for a healthy client of a server told to reset half its answers.
   */
  appReset(stream: Stream, code: ErrorCode): void {
    if (this.phase !== Phase.OPEN || stream.closed) return;
    this.writeReset(stream.streamId, code);
    this.table.remove(stream);
    this.afterOutput();
  }

  /**
   * RST_STREAM for `id`. A reset the client provoked draws on the budget the client's own
   * resets draw on (limits.ts). NO_ERROR does not: we send it only after a complete early
   * answer (413, 431; §8.1), when no work of ours goes on behind the reset, which is what
   * MadeYouReset exploits; the client paid for each with an oversized head or body.
   */
  sendReset(id: number, code: ErrorCode): void {
    this.writeReset(id, code);
    if (code !== ErrorCode.NO_ERROR && !this.takeReset()) this.connectionError(ErrorCode.ENHANCE_YOUR_CALM, "reset budget spent");
  }

  private takeReset(): boolean {
    const now = this.clock.now;
    return (this.resets ??= resetBudget(this.options, now)).take(now);
  }

  private writeReset(id: number, code: ErrorCode): void {
    this.out.writer.rstStream(id, code);
    this.table.noteReset(id);
  }

  /** We sent END_STREAM. */
  localEnd(stream: Stream): void {
    stream.transition(StreamEvent.SEND_END_STREAM);
    if (stream.state === StreamState.CLOSED) this.table.remove(stream);
  }

  /** A stream left the table (TableHost). */
  streamRemoved(stream: Stream): void {
    this.sender.forget(stream);
    if (this.closeWhenIdle && this.table.size === 0 && this.phase === Phase.OPEN && this.drain !== Drain.PINGED) this.finish();
  }
}

function equal8(data: Uint8Array, at: number, want: Uint8Array): boolean {
  for (let i = 0; i < 8; i++) if (data[at + i] !== want[i]) return false;
  return true;
}

/** The client preface, for whoever detects it (the HTTP/1.1 side). */
export { CLIENT_PREFACE };
