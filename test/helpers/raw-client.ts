/**
 * A raw TCP client for talking to the real server byte by byte: send exact
 * bytes, collect what comes back, parse responses, notice the server's FIN.
 * Every wait is event-driven (re-checked on data/end/close) with a bound.
 */
import { connect, type Socket } from "node:net";
import { parseResponses, type NoBody, type ParsedResponse } from "./http-parse.ts";

export const DEFAULT_WAIT_MS = 5000;

export class RawClient {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private waiters = new Set<() => void>();
  /** The server sent FIN (or the socket closed). */
  ended = false;
  closed = false;
  /** A reset or other socket error, if any. */
  error: Error | null = null;

  private constructor(readonly socket: Socket) {
    socket.on("data", (b: Buffer) => {
      this.chunks.push(new Uint8Array(b));
      this.size += b.length;
      this.wake();
    });
    socket.on("end", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("close", () => {
      this.ended = this.closed = true;
      this.wake();
    });
    socket.on("error", (e) => {
      this.error = e;
      this.wake();
    });
  }

  static connect(port: number, host = "127.0.0.1"): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      // allowHalfOpen: after the server's FIN we may still want to see it linger and send our own.
      const s = connect({ port, host, allowHalfOpen: true, noDelay: true });
      s.once("connect", () => {
        s.off("error", reject);
        resolve(new RawClient(s));
      });
      s.once("error", reject);
    });
  }

  write(bytes: Uint8Array | string): void {
    this.socket.write(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes);
  }

  /** Everything received so far. */
  received(): Uint8Array {
    if (this.chunks.length > 1) {
      const all = new Uint8Array(this.size);
      let o = 0;
      for (const c of this.chunks) {
        all.set(c, o);
        o += c.length;
      }
      this.chunks = [all];
    }
    return this.chunks[0] ?? new Uint8Array(0);
  }

  responses(noBody?: NoBody): ParsedResponse[] {
    return parseResponses(this.received(), noBody).responses;
  }

  /** Resolves when `ready()` holds; rejects after `timeoutMs` with `what` and what was received. */
  waitFor(ready: () => boolean, what: string, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        let ok = false;
        try {
          ok = ready();
        } catch (e) {
          done();
          reject(e);
          return;
        }
        if (ok) {
          done();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        done();
        const got = new TextDecoder("latin1").decode(this.received().subarray(0, 300));
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ended=${this.ended}; received ${this.size} bytes: ${JSON.stringify(got)}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** Waits for `n` complete responses (not counting 1xx unless `count1xx`). */
  async waitResponses(n: number, opts: { noBody?: NoBody; timeoutMs?: number; count1xx?: boolean } = {}): Promise<ParsedResponse[]> {
    const count = (): number => this.responses(opts.noBody).filter((r) => opts.count1xx || r.status >= 200).length;
    await this.waitFor(() => count() >= n || this.ended, `${n} responses`, opts.timeoutMs);
    const got = this.responses(opts.noBody);
    if (got.filter((r) => opts.count1xx || r.status >= 200).length < n) {
      throw new Error(`connection ended after ${got.length} responses (${got.map((r) => r.status).join(" ")}), expected ${n}`);
    }
    return got;
  }

  /** Waits for the server's FIN. */
  waitEnd(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return this.waitFor(() => this.ended, "the server to close the connection", timeoutMs);
  }

  /** Closes our side and releases the socket. */
  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** One request on a fresh connection: send, wait for `n` responses, close. */
export async function request(port: number, bytes: string | Uint8Array, n = 1, noBody?: NoBody): Promise<ParsedResponse[]> {
  const c = await RawClient.connect(port);
  try {
    c.write(bytes);
    return await c.waitResponses(n, { noBody });
  } finally {
    c.destroy();
  }
}

export const GET = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
