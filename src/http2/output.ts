/**
 * The session's way out: frames are batched by a {@link FrameWriter} and sent
 * in one Transport.write per read (or per deferred answer); what the socket
 * does not take waits here, bounded, as in the HTTP/1.1 connection: past
 * its bound reading stops until the transport drains. The bounded queue is
 * this object itself rather than one it holds: one object less per connection.
 */
import { BoundedOutput } from "../core-shared/bounded-output.ts";
import { FrameWriter } from "./frame-writer.ts";
import type { Transport } from "./io.ts";

export class Output extends BoundedOutput<Transport> {
  readonly writer = new FrameWriter();
  /**
   * SETTINGS and PING acknowledgements produced since the transport last took
   * everything: a peer that sends them without reading makes this grow.
   */
  controlOwed = 0;

  /** Octets the transport has not taken yet. */
  get pendingBytes(): number {
    return this.bytes;
  }

  /** Writes the batch, or queues what the transport does not take. */
  flush(): void {
    if (this.writer.length === 0) return;
    if (this.write(this.writer.take())) this.controlOwed = 0;
  }

  /** The transport can take more; true when everything is out. */
  override drain(): boolean {
    if (!super.drain()) return false;
    this.controlOwed = 0;
    if (this.unpause()) this.transport.resume();
    return true;
  }

  /** Room for more DATA: the queue is under its bound. */
  get hasRoom(): boolean {
    return this.bytes + this.writer.length <= this.maxBytes;
  }

  drop(): void {
    this.clear();
    this.writer.take();
  }
}
