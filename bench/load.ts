/**
 * Built-in HTTP/1.1 load generator, used by compare.ts when wrk is not
 * installed. Slower than wrk (so more runs get flagged generator-bound),
 * but measures the same three scenarios and prints the same
 * `HELLO_RESULT {json}` line as bench/wrk/report.lua.
 *
 * Usage: bun bench/load.ts --url http://127.0.0.1:8000/ [--connections 64]
 *          [--duration 5] [--pipeline 16] [--close] [--check] [--body hello]
 * Runs on bun, deno (-A) or node (bundled); uses node:net only.
 */
import net from "node:net";
import { integer, positive, readFlags } from "./lib/cli/flags.ts";
import { bytesEqual, responseLength, type ResponseHead } from "./lib/measure/response.ts";
import { sortedPercentile } from "./lib/measure/stats.ts";
import type { LoadResult } from "./lib/types.ts";

interface Options {
  url: URL;
  connections: number;
  durationS: number;
  pipeline: number;
  close: boolean;
  check: boolean;
  body: string;
}

const USAGE = "usage: bench/load.ts --url URL [--connections 64] [--duration 5] [--pipeline 16] [--close] [--check] [--body hello]";

function parseOptions(argv: readonly string[]): Options {
  const { values: v } = readFlags(argv, {
    url: { type: "string" }, connections: { type: "string" }, duration: { type: "string" }, pipeline: { type: "string" },
    close: { type: "boolean" }, check: { type: "boolean" }, body: { type: "string" },
  }, USAGE);
  return {
    url: new URL(v.url ?? "http://127.0.0.1:8000/"),
    connections: integer("connections", v.connections, 64),
    durationS: positive("duration", v.duration, 5),
    pipeline: integer("pipeline", v.pipeline, 1),
    close: v.close === true,
    check: v.check === true,
    body: v.body ?? "hello",
  };
}

/** Latency samples kept; beyond this, every other sample is dropped (bounded memory). */
const MAX_SAMPLES = 1 << 20;

export async function runLoad(o: Options): Promise<LoadResult> {
  const port = Number(o.url.port || 80);
  const host = o.url.hostname;
  const one = `GET ${o.url.pathname} HTTP/1.1\r\nHost: ${o.url.host}\r\n${o.close ? "Connection: close\r\n" : ""}\r\n`;
  const batch = Buffer.from(one.repeat(o.pipeline));
  const expected = new TextEncoder().encode(o.body);
  const head: ResponseHead = { status: 0, bodyStart: 0, problem: "", close: false };
  const result: LoadResult = {
    durationUs: 0, requests: 0, bytes: 0,
    errors: { connect: 0, read: 0, write: 0, status: 0, timeout: 0 },
    latencyUs: { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 },
    checked: 0, bad: 0,
  };
  let samples: number[] = [];
  let stride = 1;
  let running = true;
  const sockets = new Set<net.Socket>();

  const open = () => {
    if (!running) return;
    const socket = net.connect(port, host);
    sockets.add(socket);
    let connected = false;
    let pending = 0;
    let start = 0;
    let rest: Buffer | undefined;
    const send = () => {
      pending = o.pipeline;
      start = performance.now();
      socket.write(batch);
    };
    socket.setNoDelay(true);
    socket.on("connect", () => ((connected = true), send()));
    socket.on("data", (chunk: Buffer) => {
      result.bytes += chunk.length;
      let buf = rest ? Buffer.concat([rest, chunk]) : chunk;
      let at = 0;
      for (;;) {
        const view = buf.subarray(at);
        const length = responseLength(view, view.length, head);
        if (length < 0) {
          // Framing this client cannot trust (no Content-Length, a chunked body, no status line): counted, and the connection dropped.
          result.checked++;
          result.bad++;
          socket.destroy();
          return;
        }
        if (length === 0) break;
        const next = at + length;
        result.requests++;
        if (head.status > 399) result.errors.status++;
        if (o.check) {
          result.checked++;
          if (head.status !== 200 || !bytesEqual(view, head.bodyStart, length, expected)) result.bad++;
        }
        at = next;
        if (--pending === 0) {
          const us = (performance.now() - start) * 1000;
          if (samples.length >= MAX_SAMPLES) (samples = samples.filter((_, i) => i % 2 === 0)), (stride *= 2);
          if (result.requests % stride === 0 || stride === 1) samples.push(us);
          // Connection: close — wait for the server to close first, as wrk
          // does: a client that closes first keeps the TIME_WAIT state, and
          // connect() slows down badly once thousands pile up.
          if (!o.close && running) send();
        }
      }
      rest = at < buf.length ? buf.subarray(at) : undefined;
    });
    socket.on("error", () => {
      if (!running) return;
      if (connected) result.errors.read++;
      else result.errors.connect++;
    });
    socket.on("close", () => {
      sockets.delete(socket);
      if (!running) return;
      if (connected && pending > 0) result.errors.read++;
      open();
    });
  };

  const began = performance.now();
  for (let i = 0; i < o.connections; i++) open();
  await new Promise((r) => setTimeout(r, o.durationS * 1000));
  running = false;
  result.durationUs = Math.round((performance.now() - began) * 1000);
  for (const s of sockets) s.destroy();
  samples.sort((a, b) => a - b);
  const at = (p: number) => (samples.length === 0 ? 0 : Math.round(sortedPercentile(samples, p)));
  result.latencyUs = {
    p50: at(50), p90: at(90), p99: at(99),
    max: Math.round(samples[samples.length - 1] ?? 0),
    mean: samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : 0,
  };
  return result;
}

if (import.meta.main) {
  const result = await runLoad(parseOptions(process.argv.slice(2)));
  process.stdout.write(`HELLO_RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}
