/**
 * A chunked body's data, kept for a responder that asked for the body (`wantsBody`: echo). The
 * chunked decoder hands it each run of chunk-data as it skips it; nothing is kept otherwise. The
 * decoder has already refused a body past --max-body-size (413) before its data arrives, so the
 * buffer never grows past that; it doubles as it fills, from the first run's size.
 */
export class BodyCollector {
  private buf: Uint8Array = EMPTY;
  private length = 0;

  append(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.length + n > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.length + n, this.buf.length * 2, MIN_CAPACITY));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(src.subarray(start, end), this.length);
    this.length += n;
  }

  /** The body collected so far, and a fresh start: the bytes are the caller's, not reused. */
  take(): Uint8Array {
    const body = this.buf.subarray(0, this.length);
    this.buf = EMPTY;
    this.length = 0;
    return body;
  }
}

const EMPTY = new Uint8Array(0);
/** The first allocation: most echoed bodies are a few lines of JSON or a form. */
const MIN_CAPACITY = 4096;
