/**
 * One WebSocket connection after the 101, echoing: driven by the back end exactly like the
 * HTTP/1.1 Connection (onData / onDrain / onEnd / onClosed, and onTimeout when the core's clock
 * passes `deadline`). Per read: every frame is read and checked (frame-reader.ts), every echo,
 * pong and close of that read is built in one batch (output.ts) and written once. What the
 * transport does not take is queued; past `maxBufferedOutput` reading pauses until drain.
 *
 * Phases and their legal transitions:
 *   OPEN       → CLOSE_SENT (we close: idle timeout, shutdown) | CLOSING (the peer's close, or a violation)
 *   CLOSE_SENT → CLOSING (the peer's close answers ours)
 *   CLOSING    → CLOSED  (our close frame flushed, then a half-close; closed at the peer's FIN or after a bounded wait)
 *   any        → CLOSED  (the transport is gone, the peer ended, or a wait ran out)
 */
import { BoundedOutput } from "../core-shared/bounded-output.ts";
import { CloseCode, Limits, Opcode } from "./constants.ts";
import { FrameReader, ReaderStep, type FrameSink } from "./frame-reader.ts";
import type { Transport } from "./io.ts";
import * as output from "./output.ts";

export const SessionPhase = { OPEN: 0, CLOSE_SENT: 1, CLOSING: 2, CLOSED: 3 } as const;

export interface SessionOptions {
  /** A message (all its fragments) larger than this closes with 1009. */
  readonly maxMessage: number;
  /** Send a ping this often (ms); 0 = never. Keeps proxies that cut silent connections from cutting this one. */
  readonly pingIntervalMs: number;
  /** No byte from the peer for this long (ms) closes with 1001; 0 = never. */
  readonly idleTimeoutMs: number;
  /** Queued output past this (bytes) pauses reading until the transport drains. */
  readonly maxBufferedOutput: number;
}

/** For counting (metrics): each called once per event. */
export interface SessionHooks {
  messageIn?(): void;
  messageOut?(): void;
  /** The session is gone; `code` is the close code the handshake settled on (1005: none given, 1006: no close frame, 1011: an internal fault). */
  closed?(code: number): void;
}

export class WebSocketSession implements FrameSink {
  /** One of {@link SessionPhase}. */
  phase: number = SessionPhase.OPEN;
  /** Absolute time (ms, the core's clock) at which `onTimeout` must run; Infinity = none. */
  deadline = Infinity;
  /** The close code this session ends with (see {@link SessionHooks.closed}). */
  closeCode: number = CloseCode.ABNORMAL;
  private readonly reader: FrameReader;
  /** When the peer is idle for too long, and when the next ping is due (Infinity = off). */
  private idleAt = Infinity;
  private pingAt = Infinity;
  /** Output the transport has not taken; past `maxBufferedOutput` it pauses reading. */
  private readonly pending: BoundedOutput;
  /** Our close frame is queued: once flushed, half-close and wait for the peer's FIN. */
  private halfCloseWhenFlushed = false;
  /** The peer's FIN came while output was still queued: close once it is flushed. */
  private closeWhenFlushed = false;
  /** The end of the message reserved by the reader's fast path. */
  private reservedEnd = 0;
  private released = false;

  constructor(
    readonly transport: Transport,
    private readonly options: SessionOptions,
    private readonly clock: { readonly now: number },
    private readonly hooks: SessionHooks = {},
  ) {
    this.reader = new FrameReader(options.maxMessage);
    this.pending = new BoundedOutput(transport, options.maxBufferedOutput);
    const now = clock.now;
    if (options.idleTimeoutMs > 0) this.idleAt = now + options.idleTimeoutMs;
    if (options.pingIntervalMs > 0) this.pingAt = now + options.pingIntervalMs;
    this.deadline = Math.min(this.idleAt, this.pingAt);
  }

  // ---- FrameSink: what the reader found ----

  get out(): Uint8Array {
    return output.batchBuffer();
  }

  reserve(opcode: number, length: number): number {
    const at = output.reserve(output.MAX_HEADER + length);
    const header = output.writeHeader(output.batchBuffer(), at, opcode, length);
    this.reservedEnd = at + header + length;
    return at + header;
  }

  commit(): void {
    this.hooks.messageIn?.();
    // §5.5.1: after sending a close frame an endpoint sends no more data; what arrives is dropped.
    if (this.phase !== SessionPhase.OPEN) return;
    output.commit(this.reservedEnd);
    this.hooks.messageOut?.();
  }

  message(opcode: number, payload: Uint8Array, length: number): void {
    this.hooks.messageIn?.();
    if (this.phase !== SessionPhase.OPEN) return;
    output.appendFrame(opcode, payload, length);
    this.hooks.messageOut?.();
  }

  control(opcode: number, payload: Uint8Array, length: number): boolean {
    if (opcode === Opcode.PING) {
      // §5.5.2: a pong with the ping's payload, unless we already sent our close (§5.5.1).
      if (this.phase === SessionPhase.OPEN) output.appendFrame(Opcode.PONG, payload, length);
      return true;
    }
    // §5.5.3: an unsolicited pong needs no answer; its bytes already counted as activity.
    if (opcode === Opcode.PONG) return true;
    const code = length >= 2 ? (payload[0]! << 8) | payload[1]! : 0;
    // §5.5.1: answer a close with a close (echoing its code, or none when it had none), unless ours went first.
    if (this.phase === SessionPhase.OPEN) {
      output.appendClose(code);
      this.closeCode = code === 0 ? CloseCode.NO_STATUS : code;
    }
    this.phase = SessionPhase.CLOSING;
    this.halfCloseWhenFlushed = true;
    // A peer that closes but never reads our answer is cut after the bounded wait.
    this.deadline = this.clock.now + Limits.CLOSE_WAIT_MS;
    return false;
  }

  // ---- driven by the back end and the core's clock ----

  /** Bytes arrived; `bytes` is valid only during this call. Never throws: any input leaves the worker serving. */
  onData(bytes: Uint8Array): void {
    // CLOSING: a violation makes the rest untrustworthy, and after the peer's close nothing more is due (§5.5.1).
    if (this.phase >= SessionPhase.CLOSING) return;
    try {
      output.beginBatch();
      if (this.phase === SessionPhase.OPEN && this.options.idleTimeoutMs > 0) this.idleAt = this.clock.now + this.options.idleTimeoutMs;
      this.reader.read(bytes, 0, bytes.length, this);
      if (this.reader.step === ReaderStep.FAILED) this.failWith(this.reader.closeCode);
      this.flushBatch();
      this.arm();
    } catch {
      this.internalFault();
    }
  }

  /** The transport can take more after a short write. */
  onDrain(): void {
    try {
      if (!this.pending.drain()) return;
      // Also while closing: reading on is how the peer's FIN is seen.
      if (this.pending.unpause()) this.transport.resume();
      this.afterFlush();
    } catch {
      this.internalFault();
    }
  }

  /** The peer half-closed: nothing more will arrive. Without its close frame first, that is 1006 (§7.1.5). */
  onEnd(): void {
    if (this.phase === SessionPhase.CLOSED) return;
    if (this.pending.bytes === 0) return this.close();
    this.closeWhenFlushed = true;
  }

  /** The clock passed `deadline`. */
  onTimeout(): void {
    try {
      const now = this.clock.now;
      if (this.phase !== SessionPhase.OPEN) {
        // A wait for the peer ran out, or a closed transport never reported back: end it.
        if (this.phase === SessionPhase.CLOSED) return this.abort();
        return this.close();
      }
      if (now >= this.idleAt) {
        // §7.4.1 1001 "going away": this endpoint gives up on a silent peer.
        this.sendClose(CloseCode.GOING_AWAY, now + Limits.CLOSE_WAIT_MS);
        return;
      }
      if (now >= this.pingAt) {
        // A ping into output that is already backed up tells the peer nothing; skip it.
        if (this.pending.bytes === 0) {
          output.beginBatch();
          output.appendFrame(Opcode.PING, EMPTY, 0);
          this.flushBatch();
        }
        this.pingAt = now + this.options.pingIntervalMs;
      }
      this.arm();
    } catch {
      this.internalFault();
    }
  }

  /**
   * Graceful shutdown: §7.4.1 1001 "going away", then wait up to `graceMs` for the peer's close
   * before closing. A session already closing only gets a shorter wait.
   */
  onShutdown(graceMs: number): void {
    try {
      const due = this.clock.now + Math.max(0, graceMs);
      if (this.phase === SessionPhase.OPEN) this.sendClose(CloseCode.GOING_AWAY, due);
      else if (this.phase !== SessionPhase.CLOSED) this.deadline = Math.min(this.deadline, due);
    } catch {
      this.internalFault();
    }
  }

  /** Close now, dropping unflushed output, and release at once. */
  abort(): void {
    if (this.released) return;
    this.phase = SessionPhase.CLOSED;
    this.transport.abort();
    this.onClosed();
  }

  /** The transport is gone (closed by either side). Idempotent. */
  onClosed(): void {
    if (this.released) return;
    this.released = true;
    this.phase = SessionPhase.CLOSED;
    this.pending.clear();
    this.deadline = Infinity;
    this.hooks.closed?.(this.closeCode);
  }

  // ---- inside ----

  /** A violation: the close frame with its code goes out after this read's echoes, then a bounded wait (§7.1.7). */
  private failWith(code: number): void {
    output.appendClose(code);
    this.closeCode = code;
    this.phase = SessionPhase.CLOSING;
    this.halfCloseWhenFlushed = true;
    this.deadline = this.clock.now + Limits.CLOSE_WAIT_MS;
  }

  /** We start the closing handshake (§7.1.2) and wait for the peer's close until `due`. */
  private sendClose(code: number, due: number): void {
    output.beginBatch();
    output.appendClose(code);
    this.closeCode = code;
    this.phase = SessionPhase.CLOSE_SENT;
    this.deadline = due;
    this.flushBatch();
  }

  /** Writes this read's frames in one write; queues what the transport did not take. */
  private flushBatch(): void {
    if (output.batchLength() > 0) this.pending.write(output.takeBatch());
    if (this.pending.bytes === 0) this.afterFlush();
  }

  /** Everything queued is out: act on a close that was waiting for it. */
  private afterFlush(): void {
    if (this.closeWhenFlushed) return this.close();
    if (!this.halfCloseWhenFlushed) return;
    this.halfCloseWhenFlushed = false;
    // §7.1.1: the server closes TCP first; a half-close lets the peer read our close frame, not an RST.
    this.transport.shutdown();
    this.deadline = this.clock.now + Limits.CLOSE_WAIT_MS;
  }

  /** The next timer while open: the idle limit or the next ping. */
  private arm(): void {
    if (this.phase === SessionPhase.OPEN) this.deadline = Math.min(this.idleAt, this.pingAt);
  }

  /** Close after flushing what the transport took; the back end's close event releases the session. */
  private close(): void {
    if (this.phase === SessionPhase.CLOSED) return;
    this.phase = SessionPhase.CLOSED;
    this.pending.clear();
    // Not released yet (Node and Deno flush asynchronously); a transport that never reports back is aborted by onTimeout.
    this.deadline = this.clock.now + Limits.CLOSE_WAIT_MS;
    this.transport.close();
  }

  /** A bug reached here, not the peer's bytes: this session ends, the worker goes on. */
  private internalFault(): void {
    this.closeCode = CloseCode.INTERNAL_ERROR;
    this.abort();
  }
}

const EMPTY = new Uint8Array(0);
