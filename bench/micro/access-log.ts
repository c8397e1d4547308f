/**
 * What one access-log entry costs (`--access-log text|json`), through the real code path: a parsed
 * head as the core's Http1Request, the access-log responder's `plan` and `answer` (the entry, its
 * fields), the log's once-per-turn formatting and the writer to /dev/null. Keep-alive is one entry
 * per event-loop turn (one request per read), pipelined sixteen per turn. Reports wall and CPU
 * (process.cpuUsage: the libuv pool's writes included) ns per entry; the median of ROUNDS.
 *
 * Usage (wrap in `flock /tmp/hello-bench.lock` on the shared machine):
 *   node_modules/.bin/bun bench/micro/access-log.ts [N]
 *   node_modules/.bin/deno run -A bench/micro/access-log.ts [N]
 *   node --experimental-strip-types bench/micro/access-log.ts [N]     (Node ≥ 22.6; on 20 bundle it first)
 * Compare before/after by running this file from a checkout of each, in the same invocation.
 */
import { closeSync, openSync } from "node:fs";
import { AccessLog } from "../../src/access-log/log.ts";
import { accessLogResponder } from "../../src/access-log/responder.ts";
import { AccessLogWriter, fdSink } from "../../src/access-log/writer.ts";
import type { Finished } from "../../src/contract/exchange.ts";
import { DEFAULTS } from "../../src/config.ts";
import { Http1Request } from "../../src/http/exchange-request.ts";
import { parseHead, RequestHead } from "../../src/http/head.ts";
import { BROWSER_HEAD, SinkTransport, WRK_HEAD } from "./fixtures.ts";

const N = Number(process.argv[2] ?? 200_000);
const ROUNDS = 5;

class PeerTransport extends SinkTransport {
  readonly #peer = { address: "127.0.0.1", port: 51234 };
  remoteAddress() {
    return this.#peer;
  }
}

const FINISHED: Finished = { bodyLength: 0, body: null, isHead: false };
const turn = () => new Promise<void>((r) => setImmediate(r));

async function run(format: "text" | "json", head: Uint8Array, depth: number): Promise<{ wall: number; cpu: number; dropped: number }> {
  const fd = openSync("/dev/null", "w");
  try {
    const writer = new AccessLogWriter(fdSink(fd));
    const log = new AccessLog(format, writer, 4242);
    const responder = accessLogResponder(null, log, { status: 200, bodyBytes: 5 }, null);
    const parsed = new RequestHead();
    parseHead(head, 0, head.length, parsed, DEFAULTS.maxHeaderSize, DEFAULTS.maxBodySize);
    if (parsed.error !== null) throw new Error(`bench/micro/access-log: the fixture head does not parse (${parsed.error})`);
    const request = new Http1Request(parsed).point(head, 0, head.length, new PeerTransport());
    const turns = Math.ceil(N / depth);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let t = 0; t < turns; t++) {
      for (let i = 0; i < depth; i++) responder.answer(responder.plan(request)!, FINISHED);
      await turn();
    }
    // The last writes: bounded, an async write to /dev/null completes within a few turns.
    for (let k = 0; k < 1000 && writer.buffered > 0; k++) await turn();
    await new Promise((r) => setTimeout(r, 1));
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const entries = turns * depth;
    return { wall: (wall * 1e6) / entries, cpu: ((c.user + c.system) * 1e3) / entries, dropped: log.dropped };
  } finally {
    closeSync(fd);
  }
}

/** The same loop with an empty turn body: what the benchmark's own turns cost, to subtract by eye. */
async function emptyTurns(depth: number): Promise<number> {
  const turns = Math.ceil(N / depth);
  const t0 = performance.now();
  for (let t = 0; t < turns; t++) await turn();
  return ((performance.now() - t0) * 1e6) / (turns * depth);
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;

const cases = [
  ["text", "wrk", WRK_HEAD, 1],
  ["json", "wrk", WRK_HEAD, 1],
  ["json", "browser", BROWSER_HEAD, 1],
  ["text", "wrk", WRK_HEAD, 16],
  ["json", "wrk", WRK_HEAD, 16],
  ["json", "browser", BROWSER_HEAD, 16],
] as const;

const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
console.log(`access-log micro · ${runtime} · ${N} entries × ${ROUNDS} rounds (median)`);
for (const depth of [1, 16]) console.log(`  empty turns ×${depth}`.padEnd(34) + `${(await emptyTurns(depth)).toFixed(0).padStart(6)} ns/entry wall`);
for (const [format, name, head, depth] of cases) {
  const walls: number[] = [];
  const cpus: number[] = [];
  let dropped = 0;
  await run(format, head, depth); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    const m = await run(format, head, depth);
    walls.push(m.wall);
    cpus.push(m.cpu);
    dropped += m.dropped;
  }
  console.log(`  ${format} · ${name} · ×${depth}`.padEnd(34) + `${median(walls).toFixed(0).padStart(6)} ns/entry wall ${median(cpus).toFixed(0).padStart(6)} ns/entry cpu${dropped > 0 ? `  (${dropped} dropped)` : ""}`);
}
