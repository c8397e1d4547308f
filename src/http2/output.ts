/**
 * The session's way out: frames are batched by a {@link FrameWriter} and sent
 * in one Transport.write per read (or per deferred answer); what the socket
 * does not take waits here, bounded, as in the HTTP/1.1 connection: past
 * `maxBuffered` reading stops until the transport drains.
 */
import { FrameWriter } from "./frame-writer.ts";
import type { Transport } from "./io.ts";

export class Output {
  readonly writer = new FrameWriter();
  private readonly pending: Uint8Array[] = [];
  /** Octets the transport has not taken yet. */
  pendingBytes = 0;
  /** Reading is paused because of us. */
  paused = false;
  /**
   * SETTINGS and PING acknowledgements produced since the transport last took
   * everything: a peer that sends them without reading makes this grow.
   */
  controlOwed = 0;

  constructor(
    private readonly transport: Transport,
    private readonly maxBuffered: number,
  ) {}

  /** Writes the batch, or queues what the transport does not take. */
  flush(): void {
    if (this.writer.length === 0) return;
    let out = this.writer.take();
    if (this.pendingBytes === 0) {
      const n = this.transport.write(out);
      if (n === out.length) {
        this.controlOwed = 0;
        return;
      }
      out = out.subarray(n);
    }
    this.pending.push(out);
    this.pendingBytes += out.length;
    if (this.pendingBytes > this.maxBuffered && !this.paused) {
      this.paused = true;
      this.transport.pause();
    }
  }

  /** The transport can take more; true when everything is out. */
  drain(): boolean {
    while (this.pending.length > 0) {
      const chunk = this.pending[0]!;
      const n = this.transport.write(chunk);
      this.pendingBytes -= n;
      if (n < chunk.length) {
        this.pending[0] = chunk.subarray(n);
        return false;
      }
      this.pending.shift();
    }
    this.controlOwed = 0;
    if (this.paused) {
      this.paused = false;
      this.transport.resume();
    }
    return true;
  }

  /** Room for more DATA: the queue is under its bound. */
  get hasRoom(): boolean {
    return this.pendingBytes + this.writer.length <= this.maxBuffered;
  }

  drop(): void {
    this.pending.length = 0;
    this.pendingBytes = 0;
    this.writer.take();
  }
}
