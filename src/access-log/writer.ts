/**
 * The access log's output: lines gathered during one turn of the event loop and written after
 * it, whole lines packed into writes of at most MAX_LINE_BYTES (atomic on a pipe, so the lines
 * of several workers sharing the supervisor's stdout never interleave). One write in flight at
 * a time, asynchronous (fs.write runs off the JS thread), so a slow or stopped reader never
 * blocks serving; while it is in flight lines wait in a bounded buffer, and past the bound they
 * are dropped and counted (`hello_access_log_dropped_total`), never queued without end.
 */
import { write as fsWrite } from "node:fs";
import { MAX_LINE_BYTES } from "./format.ts";

/** Where the bytes go: an asynchronous write of `bytes` that calls `done` once (with an error, or how many bytes it took). */
export type AccessSink = (bytes: Uint8Array, done: (error: Error | null, written: number) => void) => void;

/** A descriptor as a sink (the worker's copy of the supervisor's stdout, or stdout itself). */
export function fdSink(fd: number): AccessSink {
  return (bytes, done) => fsWrite(fd, bytes, 0, bytes.length, null, (error, written) => done(error, written));
}

/** Bytes of lines waiting at most, by default: a few hundred lines; a reader further behind than that loses lines, counted. */
export const DEFAULT_BUFFER_BYTES = 256 * 1024;

export class AccessLogWriter {
  readonly #sink: AccessSink;
  readonly #maxBytes: number;
  readonly #encoder = new TextEncoder();
  /** Encoded lines (each with its newline) waiting for the next write. */
  #lines: Uint8Array[] = [];
  #bytes = 0;
  #scheduled = false;
  #writing = false;
  #dropped = 0;
  /** The sink failed (EPIPE: nobody reads any more): every later line is dropped and counted. */
  #broken = false;

  constructor(sink: AccessSink, maxBytes = DEFAULT_BUFFER_BYTES) {
    this.#sink = sink;
    this.#maxBytes = maxBytes;
  }

  /** Lines dropped so far: the buffer was full, or the output is gone. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Bytes waiting (tests, and the bound's check). */
  get buffered(): number {
    return this.#bytes;
  }

  /** Queues one line (no newline; at most MAX_LINE_BYTES - 1 bytes, format.ts sees to that), written after this turn. */
  add(line: string): void {
    const bytes = this.#encoder.encode(line + "\n");
    if (this.#broken || bytes.length > MAX_LINE_BYTES || this.#bytes + bytes.length > this.#maxBytes) {
      this.#dropped++;
      return;
    }
    this.#lines.push(bytes);
    this.#bytes += bytes.length;
    if (!this.#scheduled && !this.#writing) {
      this.#scheduled = true;
      // After the turn that answered: every line it added goes out in the same writes.
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#writing || this.#lines.length === 0) return;
    const chunk = this.#take();
    this.#writing = true;
    this.#sink(chunk, (error, written) => {
      this.#writing = false;
      if (error !== null) {
        // A reader gone (EPIPE) or a descriptor closed: serving goes on, the lines are counted as lost.
        this.#broken = true;
        this.#dropped += this.#lines.length + 1;
        this.#lines = [];
        this.#bytes = 0;
        return;
      }
      // A pipe takes a write of at most PIPE_BUF whole; anything shorter is an odd sink: the rest goes next.
      if (written < chunk.length) this.#unshift(chunk.subarray(written));
      if (this.#lines.length > 0) this.#flush();
    });
  }

  /** Whole lines from the front, MAX_LINE_BYTES at most, as one buffer. */
  #take(): Uint8Array {
    let n = 0;
    let count = 0;
    for (const l of this.#lines) {
      if (n + l.length > MAX_LINE_BYTES) break;
      n += l.length;
      count++;
    }
    const taken = this.#lines.splice(0, count);
    this.#bytes -= n;
    if (taken.length === 1) return taken[0]!;
    const out = new Uint8Array(n);
    let o = 0;
    for (const l of taken) {
      out.set(l, o);
      o += l.length;
    }
    return out;
  }

  #unshift(rest: Uint8Array): void {
    this.#lines.unshift(rest);
    this.#bytes += rest.length;
  }
}
