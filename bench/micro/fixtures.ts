/**
 * Inputs for the micro-benchmarks: the request heads wrk and a browser
 * send, a 16-deep pipeline as bench/pipeline.lua sends it, and an HTTP
 * core wired to a transport that takes every byte at once (the fast path a
 * real socket takes when its send buffer has room).
 */
import type { Transport } from "../../src/adapters/types.ts";
import { DEFAULTS } from "../../src/config.ts";
import type { Connection } from "../../src/http/connection.ts";
import { createHttpCore, type HttpCore } from "../../src/http/server.ts";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** What `wrk http://127.0.0.1:8000/` sends: wrk.format(nil, "/") with the Host wrk adds. */
export const WRK_HEAD = bytes("GET / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n");

/** A Firefox 128 navigation request: 12 field lines, 448 bytes, the shape most real heads have. */
export const BROWSER_HEAD = bytes(
  "GET /index.html HTTP/1.1\r\n" +
    "Host: 127.0.0.1:8000\r\n" +
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
    "Accept-Language: en-US,en;q=0.5\r\n" +
    "Accept-Encoding: gzip, deflate, br, zstd\r\n" +
    "Connection: keep-alive\r\n" +
    "Upgrade-Insecure-Requests: 1\r\n" +
    "Sec-Fetch-Dest: document\r\n" +
    "Sec-Fetch-Mode: navigate\r\n" +
    "Sec-Fetch-Site: none\r\n" +
    "Sec-Fetch-User: ?1\r\n" +
    "Priority: u=0, i\r\n" +
    "\r\n",
);

export const PIPELINE_DEPTH = 16;

/** One read carrying PIPELINE_DEPTH wrk requests, as TechEmpower's plaintext test sends them. */
export const WRK_PIPELINE = (() => {
  const out = new Uint8Array(WRK_HEAD.length * PIPELINE_DEPTH);
  for (let i = 0; i < PIPELINE_DEPTH; i++) out.set(WRK_HEAD, i * WRK_HEAD.length);
  return out;
})();

/** A transport that accepts every write whole and remembers only what a check needs. */
export class SinkTransport implements Transport {
  writes = 0;
  lastLength = 0;
  closed = false;
  write(data: Uint8Array): number {
    this.writes++;
    this.lastLength = data.length;
    return data.length;
  }
  pause(): void {}
  resume(): void {}
  shutdown(): void {}
  reset(): void {}
  abort(): void {
    this.closed = true;
  }
  close(): void {
    this.closed = true;
  }
}

export interface Bench {
  core: HttpCore;
  transport: SinkTransport;
  conn: Connection;
}

/**
 * A core with the default config ("hello", 200) and one open connection.
 * The clock is frozen at a fixed instant, so the Date field (and with it
 * every prebuilt response) stays the same for the whole run.
 */
export function openConnection(nowMs = Date.UTC(2025, 0, 1)): Bench {
  const core = createHttpCore(DEFAULTS, null, { now: nowMs });
  const transport = new SinkTransport();
  const conn = core.handler.open(transport);
  return { core, transport, conn };
}
