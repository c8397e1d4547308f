/**
 * Many connections held open at once against one worker: each sends one request and either
 * waits for a delayed answer (`?delay=` under --request-control) or, answered, stays idle on
 * keep-alive. Reports when each delayed answer arrived after its request was sent, and the
 * server's resident memory per connection (VmRSS after the connections are held, minus before).
 *
 * usage (alone on the machine; the script pins itself to CPU 1 and the server to CPU 0):
 *   flock /tmp/hello-bench.lock node_modules/.bin/bun bench/held-connections.ts \
 *     [--mode delay|idle] [--connections 10000] [--delay 5s] [--runtime bun|deno|node] [--bundle dist/hello-server.js]
 * --mode idle compares memory per idle keep-alive connection of two bundles: add --base OTHER.js.
 */
import { connect, type Socket } from "node:net";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { commandLine, integer, readFlags } from "./lib/cli/flags.ts";
import { sortedPercentile } from "./lib/measure/stats.ts";
import { parseResponse } from "./lib/servers/probe.ts";

const { values } = readFlags(commandLine(), {
  mode: { type: "string", default: "delay" },
  connections: { type: "string" },
  delay: { type: "string", default: "5s" },
  runtime: { type: "string", default: "bun" },
  bundle: { type: "string", default: "dist/hello-server.js" },
  base: { type: "string" },
  port: { type: "string" },
}, "usage: bench/held-connections.ts [--mode delay|idle] [--connections 10000] [--delay 5s] [--runtime bun|deno|node] [--bundle FILE] [--base FILE] [--port 19300]");
const N = integer("connections", values.connections, 10_000);
const PORT = integer("port", values.port, 19_300);
const delayMs = values.delay!.endsWith("ms") ? Number(values.delay!.slice(0, -2)) : Number(values.delay!.replace(/s$/, "")) * 1000;
const BIN = new URL("../node_modules/.bin/", import.meta.url).pathname;
const RUN: Record<string, string[]> = { bun: [`${BIN}bun`], deno: [`${BIN}deno`, "run", "-A", "--unstable-net"], node: ["node"] };

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m === null ? NaN : Number(m[1]);
}

async function startServer(bundle: string, port: number, extra: string[]): Promise<ChildProcess> {
  const argv = ["taskset", "-c", "0", ...RUN[values.runtime!]!, bundle, "--workers", "1", "--host", "127.0.0.1", "--port", String(port), "--quiet", ...extra];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: "ignore" });
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect({ host: "127.0.0.1", port }, () => (s.destroy(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (up) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server on ${port} did not start`);
}

/** One connection, one request; resolves with ms from send to the complete answer. */
function request(port: number, target: string, keep: Socket[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port });
    let sent = 0;
    let got = Buffer.alloc(0);
    s.on("connect", () => {
      sent = performance.now();
      s.write(`GET ${target} HTTP/1.1\r\nHost: bench\r\n\r\n`);
    });
    s.on("data", (d: Buffer) => {
      got = Buffer.concat([got, d]);
      try {
        const answer = parseResponse(got);
        if (answer === undefined) return;
        if (answer.status !== 200) reject(new Error(answer.head.slice(0, 60)));
        keep.push(s);
        resolve(performance.now() - sent);
      } catch (e) {
        reject(e as Error);
      }
    });
    s.on("error", reject);
  });
}

/** Opens `n` connections in batches (the accept queue is finite), each with one request. */
async function hold(port: number, n: number, target: string, keep: Socket[], onSent?: () => void): Promise<number[]> {
  const all: Promise<number>[] = [];
  for (let i = 0; i < n; i += 500) {
    for (let j = i; j < Math.min(n, i + 500); j++) all.push(request(port, target, keep));
    await new Promise((r) => setTimeout(r, 5));
  }
  onSent?.();
  return Promise.all(all);
}

const pct = sortedPercentile;

async function delayMode(): Promise<void> {
  const port = PORT;
  const server = await startServer(values.bundle!, port, ["--request-control", "--max-delay", "60s"]);
  const before = rssKiB(server.pid!);
  const keep: Socket[] = [];
  let during = 0;
  const start = performance.now();
  const times = await hold(port, N, `/?delay=${values.delay}`, keep, () => {
    // Sampled while every request is held (well before the first is due).
    setTimeout(() => (during = rssKiB(server.pid!)), Math.max(0, delayMs / 2 - (performance.now() - start)));
  });
  const sorted = times.sort((a, b) => a - b);
  const inWindow = sorted.filter((t) => t >= delayMs && t <= delayMs * 1.1).length;
  console.log(`| ${values.runtime} | ${N} | ${values.delay} | ${(sorted[0]! / 1000).toFixed(3)} | ${(pct(sorted, 50) / 1000).toFixed(3)} | ${(pct(sorted, 99) / 1000).toFixed(3)} | ${(sorted.at(-1)! / 1000).toFixed(3)} | ${inWindow}/${N} | ${((during - before) / 1024).toFixed(1)} MiB | ${(((during - before) * 1024) / N).toFixed(0)} B |`);
  for (const s of keep) s.destroy();
  server.kill("SIGTERM");
}

async function idleMode(): Promise<void> {
  const bundles: Array<[string, string]> = [["new", values.bundle!]];
  if (values.base !== undefined) bundles.unshift(["base", values.base]);
  let port = PORT;
  for (const [name, bundle] of bundles) {
    const server = await startServer(bundle, ++port, []);
    const before = rssKiB(server.pid!);
    const keep: Socket[] = [];
    await hold(port, N, "/", keep);
    await new Promise((r) => setTimeout(r, 500));
    const after = rssKiB(server.pid!);
    console.log(`| ${values.runtime} | ${name} | ${N} | ${((after - before) / 1024).toFixed(1)} MiB | ${(((after - before) * 1024) / N).toFixed(0)} B |`);
    for (const s of keep) s.destroy();
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
  }
}

await (values.mode === "idle" ? idleMode() : delayMode());
process.exit(0);
