/**
 * The way out of every session that owns a socket (the HTTP/1.1 connection,
 * an HTTP/2 session, a WebSocket session): write at once while nothing
 * waits, queue what the transport did not take, and stop reading a peer that
 * sends without reading once the queue passes its bound, so that peer cannot
 * grow this process. The owner resumes reading after `drain` (each has its
 * own rule for when: not while an HTTP/1.1 answer is deferred).
 */
import type { Transport } from "../contract/socket.ts";

/** `T`: the transport as the owner knows it (a subclass may need more of it than write and pause). */
export class BoundedOutput<T extends Pick<Transport, "write" | "pause"> = Pick<Transport, "write" | "pause">> {
  /** What the transport has not taken, in order; null until a write is short (most connections never have one). */
  private chunks: Uint8Array[] | null = null;
  /** Octets in `chunks`; 0 = everything is out. */
  bytes = 0;
  /** Reading is paused because `bytes` passed the bound (not for any other reason of the owner's). */
  paused = false;

  constructor(
    protected readonly transport: T,
    protected readonly maxBytes: number,
  ) {}

  /** Writes `out` (at once when nothing waits, else after what waits); true when the transport took all of it. */
  write(out: Uint8Array, last = false): boolean {
    if (this.bytes === 0) {
      const n = this.transport.write(out, last);
      if (n === out.length) return true;
      out = out.subarray(n);
    }
    (this.chunks ??= []).push(out);
    this.bytes += out.length;
    if (this.bytes > this.maxBytes && !this.paused) {
      this.paused = true;
      this.transport.pause();
    }
    return false;
  }

  /** The transport can take more: writes what waits; true when everything is out. */
  drain(): boolean {
    const chunks = this.chunks;
    if (chunks === null) return true;
    while (chunks.length > 0) {
      const chunk = chunks[0]!;
      const n = this.transport.write(chunk);
      this.bytes -= n;
      if (n < chunk.length) {
        chunks[0] = chunk.subarray(n);
        return false;
      }
      chunks.shift();
    }
    return true;
  }

  /** Ends a backpressure pause; true when there was one (the owner then resumes reading, when its state allows). */
  unpause(): boolean {
    if (!this.paused) return false;
    this.paused = false;
    return true;
  }

  /** Forgets what waits: the session is closing and will write no more. */
  clear(): void {
    if (this.chunks !== null) this.chunks.length = 0;
    this.bytes = 0;
  }
}
