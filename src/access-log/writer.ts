/**
 * The access log's output: lines written as bytes into one buffer as they are answered, and sent
 * once per turn of the event loop in writes of whole lines of at most MAX_LINE_BYTES on a pipe
 * (atomic, so the lines of several workers sharing the supervisor's stdout never interleave) or
 * the whole buffer at once on a regular file.
 *
 * The writes are synchronous and non-blocking where the descriptor allows it (a pipe reopened with
 * O_NONBLOCK, a file): one syscall per 4 KiB, no callback, no thread hop. When the pipe is full
 * (EAGAIN), the write is retried on a timer; on a socket (which cannot be reopened), one
 * asynchronous write is in flight on the original, blocking descriptor, waiting off the JS thread
 * for the reader (fs.write on Bun and Node; on Deno, whose fs.write waits on the event loop
 * itself, the runtime's own write: adapters/deno-stdout.ts). So a slow or stopped reader never
 * blocks serving; meanwhile lines wait in a bounded buffer, and past the bound they are dropped
 * and counted (`hello_access_log_dropped_total`), never queued without end.
 */
import { constants, fstatSync, openSync, write as fsWrite, writeSync } from "node:fs";
import { LineBytes } from "./bytes.ts";
import { encodeAccessLine, MAX_LINE_BYTES, type AccessLogFormat, type AccessRecord } from "./format.ts";

/** An asynchronous write of `bytes` that calls `done` once (with an error, or how many bytes it took). */
export type AccessSink = (bytes: Uint8Array, done: (error: Error | null, written: number) => void) => void;

/** A descriptor that can also be written now without blocking. */
export interface DirectSink {
  /** Writes bytes[start, end) now: bytes taken, or -1 when it would block (EAGAIN); throws when the output is gone. */
  readonly now: (bytes: Uint8Array, start: number, end: number) => number;
  /** The write that waits for the reader without holding the JS thread, taken while `now` would block. */
  readonly later: AccessSink;
  /** The largest write that stays one piece: PIPE_BUF on a pipe, any size on a regular file. */
  readonly atomic: number;
  /** `now` may block (a socket, which cannot be reopened non-blocking): used only for the exit's last write. */
  readonly blocking?: boolean;
}

/** Bytes of lines waiting at most, by default: a thousand lines; a reader further behind than that loses lines, counted. */
export const DEFAULT_BUFFER_BYTES = 256 * 1024;

const asyncWrite = (fd: number): AccessSink => (bytes, done) => fsWrite(fd, bytes, 0, bytes.length, null, (error, written) => done(error, written));

/**
 * The best sink for descriptor `fd`: a pipe or character device reopened through /proc with
 * O_NONBLOCK (a description of its own, so the supervisor's and the other workers' stay
 * blocking), a regular file written as it is; a socket (ENXIO through /proc) only asynchronously.
 */
export function fdSink(fd: number, socketLater?: AccessSink): AccessSink | DirectSink {
  const later = asyncWrite(fd);
  try {
    const st = fstatSync(fd);
    if (st.isFile()) return { now: (b, s, e) => writeSync(fd, b, s, e - s), later, atomic: Number.POSITIVE_INFINITY };
    // A socket: asynchronous writes only, and a blocking one for the exit's last lines, taken only when no write is in flight (the reader was keeping up).
    // `socketLater`: the runtime's own asynchronous write where fs.write would block its event loop (Deno).
    if (st.isSocket()) return { now: (b, s, e) => writeSync(fd, b, s, e - s), later: socketLater ?? later, atomic: MAX_LINE_BYTES, blocking: true };
    if (!st.isFIFO() && !st.isCharacterDevice()) return later;
    // Open for the worker's life: the log is written until the process exits.
    const nb = openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_APPEND | constants.O_NONBLOCK);
    return { now: (b, s, e) => nonBlocking(nb, b, s, e), later: retryLater(nb), atomic: MAX_LINE_BYTES };
  } catch {
    return later;
  }
}

/**
 * A full pipe waited for by retrying the non-blocking write on a timer (1 ms, doubling to 50 ms),
 * not by an asynchronous write on the blocking descriptor: Deno's fs.write blocks its event loop
 * on a full pipe (2.9.6, measured: no timer fired while it waited), which stalled serving.
 */
const RETRY_FIRST_MS = 1;
const RETRY_MAX_MS = 50;

function retryLater(fd: number): AccessSink {
  return (bytes, done) => {
    let wait = RETRY_FIRST_MS;
    const attempt = (): void => {
      let taken: number;
      try {
        taken = nonBlocking(fd, bytes, 0, bytes.length);
      } catch (e) {
        return done(e as Error, 0);
      }
      if (taken >= 0) return done(null, taken);
      wait = Math.min(wait * 2, RETRY_MAX_MS);
      setTimeout(attempt, wait);
    };
    setTimeout(attempt, wait);
  };
}

function nonBlocking(fd: number, bytes: Uint8Array, start: number, end: number): number {
  try {
    return writeSync(fd, bytes, start, end - start);
  } catch (e) {
    if ((e as { code?: string }).code === "EAGAIN") return -1;
    throw e;
  }
}

export class AccessLogWriter {
  readonly #direct: DirectSink | null;
  readonly #later: AccessSink;
  readonly #atomic: number;
  readonly #maxBytes: number;
  /** Encoded lines, each with its newline: [head, n) waits to be written. */
  readonly #out = new LineBytes();
  readonly #encoder = new TextEncoder();
  #scheduled = false;
  /** An asynchronous write is in flight: nothing else is written until it ends (order). */
  #writing = false;
  #dropped = 0;
  /** The sink failed (EPIPE: nobody reads any more): every later line is dropped and counted. */
  #broken = false;
  readonly #flush = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  constructor(sink: AccessSink | DirectSink, maxBytes = DEFAULT_BUFFER_BYTES) {
    this.#direct = typeof sink === "function" ? null : sink;
    this.#later = typeof sink === "function" ? sink : sink.later;
    this.#atomic = typeof sink === "function" ? MAX_LINE_BYTES : sink.atomic;
    this.#maxBytes = maxBytes;
  }

  /** Lines dropped so far: the buffer was full, the line too long, or the output is gone. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Bytes waiting (tests, and the bound's check). */
  get buffered(): number {
    return this.#out.n - this.#out.head;
  }

  /** Queues the line for `record`, written after this turn. */
  addRecord(format: AccessLogFormat, record: AccessRecord): void {
    if (this.#broken) return void this.#dropped++;
    const out = this.#out;
    out.compact(MAX_LINE_BYTES);
    const start = out.n;
    if (!encodeAccessLine(format, record, out)) return void this.#dropped++;
    this.#admit(start);
  }

  /** Queues one line given as a string (no newline; at most MAX_LINE_BYTES - 1 bytes of UTF-8). */
  add(line: string): void {
    if (this.#broken) return void this.#dropped++;
    const out = this.#out;
    out.compact(MAX_LINE_BYTES);
    const start = out.n;
    out.ensure(line.length * 3 + 1);
    out.n += this.#encoder.encodeInto(line, out.buf.subarray(out.n)).written;
    out.byte(0x0a);
    if (out.n - start > MAX_LINE_BYTES) {
      out.n = start;
      return void this.#dropped++;
    }
    this.#admit(start);
  }

  #admit(start: number): void {
    const out = this.#out;
    if (out.n - out.head > this.#maxBytes) {
      out.n = start;
      this.#dropped++;
      return;
    }
    if (!this.#scheduled && !this.#writing) {
      this.#scheduled = true;
      // After the turn that answered: every line it added goes out together.
      setImmediate(this.#flush);
    }
  }

  /**
   * Writes what waits now, as far as the output takes it without blocking; the rest goes out
   * asynchronously. `exiting`: the process's last call, when a socket is written synchronously.
   */
  flush(exiting = false): void {
    const out = this.#out;
    const direct = this.#direct !== null && (exiting || this.#direct.blocking !== true) ? this.#direct : null;
    while (!this.#writing && !this.#broken && out.head < out.n) {
      const end = this.#chunkEnd();
      if (direct !== null) {
        let taken: number;
        try {
          taken = direct.now(out.buf, out.head, end);
        } catch {
          this.#break(0);
          return;
        }
        if (taken >= 0) {
          out.head += taken;
          continue;
        }
      }
      // At exit nothing asynchronous would finish: what the output does not take now is lost.
      if (exiting) return;
      this.#writeLater(out.buf.slice(out.head, end));
      out.head = end;
    }
    if (out.head === out.n) out.head = out.n = 0;
  }

  /** The end of the whole lines from the head that fit one atomic write. */
  #chunkEnd(): number {
    const out = this.#out;
    if (out.n - out.head <= this.#atomic) return out.n;
    const buf = out.buf;
    let end = out.head + this.#atomic;
    // format.ts keeps every line, newline included, within MAX_LINE_BYTES ≤ atomic: a newline is found.
    while (buf[end - 1] !== 0x0a) end--;
    return end;
  }

  #writeLater(chunk: Uint8Array): void {
    this.#writing = true;
    this.#later(chunk, (error, written) => {
      if (error !== null) {
        this.#writing = false;
        this.#break(1);
        return;
      }
      // A pipe takes a write of at most PIPE_BUF whole; anything shorter is an odd sink: the rest goes first.
      if (written < chunk.length) return this.#writeLater(chunk.subarray(written));
      this.#writing = false;
      this.flush();
    });
  }

  /** `inFlight`: lines of a write that failed after it left the buffer (counted as one, as before). */
  #break(inFlight: number): void {
    // A reader gone (EPIPE) or a descriptor closed: serving goes on, the lines are counted as lost.
    this.#broken = true;
    let lines = 0;
    const out = this.#out;
    for (let i = out.head; i < out.n; i++) if (out.buf[i] === 0x0a) lines++;
    this.#dropped += lines + inFlight;
    out.head = out.n = 0;
  }
}
