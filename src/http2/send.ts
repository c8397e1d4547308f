/**
 * The answers' way out under flow control (RFC 9113 §5.2, §6.9): the
 * connection's send window, the peer's settings that shape what we send
 * (§6.5.2: INITIAL_WINDOW_SIZE, MAX_FRAME_SIZE), WINDOW_UPDATE, and the
 * streams whose answer waits for window or for room in the output.
 */
import { ErrorCode, Protocol, SettingId } from "./constants.ts";
import { growWindow } from "./flow.ts";
import type { Frame } from "./frame-reader.ts";
import type { Output } from "./output.ts";
import type { Stream } from "./stream.ts";
import type { StreamTable } from "./stream-table.ts";

/** What the sender asks of its session. */
export interface SendHost {
  readonly open: boolean;
  /** We sent END_STREAM on `stream`. */
  localEnd(stream: Stream): void;
  /** Frames were written outside a read: flush them. */
  afterOutput(): void;
  connectionError(code: ErrorCode, reason: string): void;
  resetStream(stream: Stream, code: ErrorCode): void;
}

const EMPTY = new Uint8Array(0);
/** Never added to: {@link Sender.block} swaps in a set of the sender's own first. */
const NONE_BLOCKED: Set<Stream> = new Set();

export class Sender {
  /** What we may still send on the connection (§6.9); the connection's window starts at 65,535 whatever SETTINGS say (§6.9.2). */
  private connWindow: number = Protocol.DEFAULT_WINDOW;
  /** The peer's SETTINGS_INITIAL_WINDOW_SIZE: a new stream's send window. */
  peerInitialWindow: number = Protocol.DEFAULT_WINDOW;
  private peerMaxFrameSize: number = Protocol.DEFAULT_MAX_FRAME_SIZE;
  /**
   * Streams with answer bytes waiting for a window or for room in the output: the shared empty
   * set until a stream first waits (only {@link block} adds), so an idle connection holds none.
   */
  private blocked: Set<Stream> = NONE_BLOCKED;
  /** Since when output has been waiting (a zero window or a peer not reading); -1 = not waiting. */
  stallSince = -1;

  constructor(
    private readonly out: Output,
    private readonly table: StreamTable,
    private readonly host: SendHost,
  ) {}

  /** Answer bytes wait somewhere: in a stream for window, or in the output for the socket. */
  get waiting(): boolean {
    return this.blocked.size > 0 || this.out.pendingBytes > 0;
  }

  forget(stream: Stream): void {
    this.blocked.delete(stream);
  }

  headers(stream: Stream, block: Uint8Array, end: boolean): void {
    this.out.writer.headers(stream.streamId, block, end, this.peerMaxFrameSize);
    if (end) this.host.localEnd(stream);
  }

  /** Sends what `stream` has queued as far as both windows and the output's bound allow. */
  pump(stream: Stream): void {
    if (!this.host.open || stream.closed) return;
    const w = this.out.writer;
    while (stream.outBytes > 0) {
      const room = Math.min(this.connWindow, stream.sendWindow);
      if (room <= 0 || !this.out.hasRoom) {
        this.block(stream);
        break;
      }
      const chunk = stream.out[0]!;
      const from = stream.outOffset;
      const n = Math.min(room, chunk.length - from);
      const end = from + n === chunk.length && stream.out.length === 1 && stream.endAfterData;
      w.data(stream.streamId, chunk, from, from + n, end, this.peerMaxFrameSize);
      this.connWindow -= n;
      stream.sendWindow -= n;
      stream.outBytes -= n;
      this.stallSince = -1;
      if (from + n === chunk.length) {
        stream.out.shift();
        stream.outOffset = 0;
      } else stream.outOffset = from + n;
      if (end) {
        stream.endAfterData = false;
        this.host.localEnd(stream);
        return this.host.afterOutput();
      }
    }
    if (stream.outBytes === 0) {
      this.blocked.delete(stream);
      if (stream.endAfterData) {
        // An empty DATA carries END_STREAM: it costs no window (§6.9).
        stream.endAfterData = false;
        w.data(stream.streamId, EMPTY, 0, 0, true, this.peerMaxFrameSize);
        this.host.localEnd(stream);
      } else if (stream.pendingTrailers !== null) {
        const block = stream.pendingTrailers;
        stream.pendingTrailers = null;
        w.headers(stream.streamId, block, true, this.peerMaxFrameSize);
        this.host.localEnd(stream);
      }
    }
    this.host.afterOutput();
  }

  pumpBlocked(): void {
    for (const stream of this.blocked) {
      if (this.connWindow <= 0 || !this.out.hasRoom) return;
      this.pump(stream);
    }
  }

  windowUpdate(f: Frame): void {
    const d = f.data;
    const increment = ((d[f.start]! & 0x7f) << 24) | (d[f.start + 1]! << 16) | (d[f.start + 2]! << 8) | d[f.start + 3]!;
    if (f.streamId === 0) {
      const next = growWindow(this.connWindow, increment);
      // §6.9.1: past 2^31−1 on the connection is a connection error.
      if (next === null) return this.host.connectionError(ErrorCode.FLOW_CONTROL_ERROR, "connection window overflow");
      this.connWindow = next;
      return this.pumpBlocked();
    }
    const stream = this.table.get(f.streamId);
    if (stream === undefined) {
      // §5.1: idle streams take only HEADERS and PRIORITY; closed ones may still see WINDOW_UPDATE.
      if (this.table.isIdle(f.streamId)) this.host.connectionError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE on an idle stream");
      return;
    }
    const next = growWindow(stream.sendWindow, increment);
    // §6.9.1: on a stream, a stream error.
    if (next === null) return this.host.resetStream(stream, ErrorCode.FLOW_CONTROL_ERROR);
    stream.sendWindow = next;
    this.pump(stream);
  }

  /** The peer's SETTINGS (§6.5.2); false after a connection error. */
  applySettings(data: Uint8Array, start: number, end: number): boolean {
    for (let p = start; p + 6 <= end; p += 6) {
      const id = (data[p]! << 8) | data[p + 1]!;
      const value = ((data[p + 2]! << 24) | (data[p + 3]! << 16) | (data[p + 4]! << 8) | data[p + 5]!) >>> 0;
      if (id === SettingId.ENABLE_PUSH && value > 1) return this.refuse(ErrorCode.PROTOCOL_ERROR, "ENABLE_PUSH above 1");
      if (id === SettingId.INITIAL_WINDOW_SIZE) {
        if (value > Protocol.MAX_WINDOW) return this.refuse(ErrorCode.FLOW_CONTROL_ERROR, "INITIAL_WINDOW_SIZE above 2^31-1");
        if (!this.changeInitialWindow(value)) return this.refuse(ErrorCode.FLOW_CONTROL_ERROR, "INITIAL_WINDOW_SIZE overflows a stream window");
      } else if (id === SettingId.MAX_FRAME_SIZE) {
        if (value < Protocol.DEFAULT_MAX_FRAME_SIZE || value > Protocol.MAX_MAX_FRAME_SIZE) return this.refuse(ErrorCode.PROTOCOL_ERROR, "MAX_FRAME_SIZE out of range");
        this.peerMaxFrameSize = value;
      }
      // HEADER_TABLE_SIZE: our encoder never indexes; the rest are advisory or for clients; unknown ids are ignored (§6.5.2).
    }
    this.pumpBlocked();
    return true;
  }

  /** §6.9.2: a new initial window moves every open stream's window by the difference, within 2^31−1. */
  private changeInitialWindow(value: number): boolean {
    const delta = value - this.peerInitialWindow;
    for (const stream of this.table.values()) {
      const next = growWindow(stream.sendWindow, delta);
      if (next === null) return false;
      stream.sendWindow = next;
      if (delta > 0 && stream.outBytes > 0) this.block(stream);
    }
    this.peerInitialWindow = value;
    return true;
  }

  private block(stream: Stream): void {
    if (this.blocked === NONE_BLOCKED) this.blocked = new Set();
    this.blocked.add(stream);
  }

  private refuse(code: ErrorCode, reason: string): false {
    this.host.connectionError(code, reason);
    return false;
  }
}
