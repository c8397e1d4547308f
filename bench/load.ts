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

function parseOptions(argv: readonly string[]): Options {
  const o: Options = { url: new URL("http://127.0.0.1:8000/"), connections: 64, durationS: 5, pipeline: 1, close: false, check: false, body: "hello" };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1] ?? "";
    if (flag === "--close") o.close = true;
    else if (flag === "--check") o.check = true;
    else if (flag === "--url") (o.url = new URL(value)), i++;
    else if (flag === "--connections") (o.connections = Number(value)), i++;
    else if (flag === "--duration") (o.durationS = Number(value)), i++;
    else if (flag === "--pipeline") (o.pipeline = Number(value)), i++;
    else if (flag === "--body") (o.body = value), i++;
    else throw new Error(`unknown flag ${flag}`);
  }
  return o;
}

/** Latency samples kept; beyond this, every other sample is dropped (bounded memory). */
const MAX_SAMPLES = 1 << 20;
const CRLFCRLF = Buffer.from("\r\n\r\n");

export async function runLoad(o: Options): Promise<LoadResult> {
  const port = Number(o.url.port || 80);
  const host = o.url.hostname;
  const one = `GET ${o.url.pathname} HTTP/1.1\r\nHost: ${o.url.host}\r\n${o.close ? "Connection: close\r\n" : ""}\r\n`;
  const batch = Buffer.from(one.repeat(o.pipeline));
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
        const end = buf.indexOf(CRLFCRLF, at);
        if (end < 0) break;
        const head = buf.toString("latin1", at, end);
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        const next = end + 4 + length;
        if (next > buf.length) break;
        const status = Number(head.slice(9, 12));
        result.requests++;
        if (status > 399) result.errors.status++;
        if (o.check) {
          result.checked++;
          if (status !== 200 || buf.toString("utf8", end + 4, next) !== o.body) result.bad++;
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
  const at = (p: number) => Math.round(samples[Math.max(0, Math.ceil((p / 100) * samples.length) - 1)] ?? 0);
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
