/**
 * One raw HTTP/1.1 request over node:net: tells whether a server is up,
 * and the exact bytes of its response (for the byte-count validity check).
 */
import net from "node:net";
import tls from "node:tls";
import { h2Exchange } from "../measure/h2-check.ts";
import { responseLength, type ResponseHead } from "../measure/response.ts";

export interface ProbeResult {
  status: number;
  body: string;
  /** Bytes of the whole response (head + body). */
  size: number;
  head: string;
}

/** Resolves with the first complete response, rejects on error or after timeoutMs. */
export function probe(port: number, opts: { close?: boolean; timeoutMs?: number; tls?: boolean } = {}): Promise<ProbeResult> {
  const request = `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${opts.close ? "Connection: close\r\n" : ""}\r\n`;
  return new Promise((resolve, reject) => {
    // The TLS servers use a certificate made for the run: not verified, as wrk does not verify it either.
    const socket = opts.tls ? tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] }) : net.connect(port, "127.0.0.1");
    let buf = Buffer.alloc(0);
    const finish = (err: Error | undefined, res?: ProbeResult) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(res!);
    };
    const timer = setTimeout(() => finish(new Error("probe timed out")), opts.timeoutMs ?? 2000);
    socket.on("error", (e) => finish(e));
    socket.on(opts.tls ? "secureConnect" : "connect", () => socket.write(request));
    socket.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      try {
        const res = parseResponse(buf);
        if (res) finish(undefined, res);
      } catch (e) {
        finish(e as Error);
      }
    });
    socket.on("end", () => finish(new Error("connection closed before a complete response")));
  });
}

/**
 * A complete response at the start of buf, undefined while more bytes are
 * needed; throws on framing the open-loop client would refuse too (no
 * Content-Length, chunked, no status line): the same strict reader for
 * every client in bench/. Pure.
 */
export function parseResponse(buf: Buffer): ProbeResult | undefined {
  const h: ResponseHead = { status: 0, bodyStart: 0, problem: "", close: false };
  const size = responseLength(buf, buf.length, h);
  if (size < 0) throw new Error(`malformed response: ${h.problem}`);
  if (size === 0) return undefined;
  return { status: h.status, body: buf.subarray(h.bodyStart, size).toString("utf8"), size, head: buf.subarray(0, h.bodyStart - 4).toString("latin1") };
}

/**
 * Polls until the server answers, the child exits, or the deadline passes.
 * Returns the time of the first response (performance.now()).
 */
export async function waitForResponse(port: number, alive: () => boolean, deadlineMs: number, tls = false): Promise<number> {
  const stop = performance.now() + deadlineMs;
  for (let attempt = 0; performance.now() < stop; attempt++) {
    if (!alive()) throw new Error("server exited before answering");
    try {
      await probe(port, { timeoutMs: 1000, tls });
      return performance.now();
    } catch {
      // not listening yet: retry soon, a little slower each time (1..20 ms)
      await new Promise((r) => setTimeout(r, Math.min(20, 1 + attempt)));
    }
  }
  throw new Error(`no response on port ${port} within ${deadlineMs} ms`);
}

/**
 * waitForResponse for the peers that speak no HTTP/1.1 (node:http2,
 * nginx's h2c port, grpc-js): polls with one HTTP/2 exchange (a GET, or
 * a gRPC health Check) until any answer comes back whole.
 */
export async function waitForH2(port: number, alive: () => boolean, deadlineMs: number, o: { tls: boolean; grpc: boolean }): Promise<number> {
  const stop = performance.now() + deadlineMs;
  for (let attempt = 0; performance.now() < stop; attempt++) {
    if (!alive()) throw new Error("server exited before answering");
    try {
      await h2Exchange(port, { ...o, timeoutMs: 1000 });
      return performance.now();
    } catch {
      await new Promise((r) => setTimeout(r, Math.min(20, 1 + attempt)));
    }
  }
  throw new Error(`no HTTP/2 answer on port ${port} within ${deadlineMs} ms`);
}
