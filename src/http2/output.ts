/**
 * The session's way out: frames are batched by a {@link FrameWriter} and sent
 * in one Transport.write per read (or per deferred answer); what the socket
 * does not take waits here, bounded, as in the HTTP/1.1 connection: past
 * `maxBuffered` reading stops until the transport drains.
 */
import { BoundedOutput } from "../core-shared/bounded-output.ts";
import { FrameWriter } from "./frame-writer.ts";
import type { Transport } from "./io.ts";

export class Output {
  readonly writer = new FrameWriter();
  private readonly queue: BoundedOutput;
  /**
   * SETTINGS and PING acknowledgements produced since the transport last took
   * everything: a peer that sends them without reading makes this grow.
   */
  controlOwed = 0;

  constructor(
    private readonly transport: Transport,
    private readonly maxBuffered: number,
  ) {
    this.queue = new BoundedOutput(transport, maxBuffered);
  }

  /** Octets the transport has not taken yet. */
  get pendingBytes(): number {
    return this.queue.bytes;
  }

  /** Writes the batch, or queues what the transport does not take. */
  flush(): void {
    if (this.writer.length === 0) return;
    if (this.queue.write(this.writer.take())) this.controlOwed = 0;
  }

  /** The transport can take more; true when everything is out. */
  drain(): boolean {
    if (!this.queue.drain()) return false;
    this.controlOwed = 0;
    if (this.queue.unpause()) this.transport.resume();
    return true;
  }

  /** Room for more DATA: the queue is under its bound. */
  get hasRoom(): boolean {
    return this.queue.bytes + this.writer.length <= this.maxBuffered;
  }

  drop(): void {
    this.queue.clear();
    this.writer.take();
  }
}
