/**
 * Memory per idle h2c connection: opens N connections to one worker, each sending the client
 * preface and an empty SETTINGS (RFC 9113 §3.4) and then nothing, and reports the server's
 * resident memory per connection (VmRSS once all are held and the server's SETTINGS has reached
 * each, minus before). The HTTP/2 twin of bench/held-connections.ts --mode idle; with
 * --http1 it measures idle HTTP/1.1 keep-alive connections (one request answered, then silent)
 * on a fresh server in the same run and prints the ratio (issue goal: h2c ≤ 2× HTTP/1.1).
 *
 * usage (alone on the machine; the server is pinned to CPU 0; N past ~1000 needs `ulimit -n`
 * above 2N in the shell that runs it):
 *   flock /tmp/hello-bench.lock node_modules/.bin/bun bench/h2/held.ts \
 *     [--connections 10000] [--runtime bun|deno|node] [--io socket|syscall|uring] [--http1] [--bundle dist/hello-server.js] [--port 19400]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { commandLine, integer, readFlags } from "../lib/cli/flags.ts";

const { values } = readFlags(commandLine(), {
  connections: { type: "string" },
  runtime: { type: "string", default: "bun" },
  io: { type: "string", default: "socket" },
  bundle: { type: "string", default: "dist/hello-server.js" },
  http1: { type: "boolean", default: false },
  port: { type: "string" },
}, "usage: bench/h2/held.ts [--connections 10000] [--runtime bun|deno|node] [--io socket|syscall|uring] [--http1] [--bundle FILE] [--port 19400]");
const N = integer("connections", values.connections, 10_000);
const PORT = integer("port", values.port, 19_400);
const BIN = new URL("../../node_modules/.bin/", import.meta.url).pathname;
const RUN: Record<string, string[]> = { bun: [`${BIN}bun`], deno: [`${BIN}deno`, "run", "-A", "--unstable-net"], node: ["node"] };
/** Connections opened per batch: the accept queue is finite, and a burst of SYNs past it is retried slowly. */
const BATCH = 500;

/** RFC 9113 §3.4: the preface, then a SETTINGS frame (empty: every default). */
const H2_HELLO = Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1"), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);
const H1_HELLO = Buffer.from("GET / HTTP/1.1\r\nHost: bench\r\n\r\n", "latin1");

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m === null ? Number.NaN : Number(m[1]);
}

async function startServer(port: number): Promise<ChildProcess> {
  // Idle connections must outlive the opening of all of them (10,000 take seconds).
  const argv = ["taskset", "-c", "0", ...RUN[values.runtime!]!, values.bundle!, "--workers", "1", "--host", "127.0.0.1", "--port", String(port), "--io", values.io!, "--idle-timeout", "600", "--quiet"];
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

/**
 * One connection that sends `hello` and resolves once the server's first bytes came back (its
 * SETTINGS, or the HTTP/1.1 answer): from then on the server holds the connection's whole state.
 */
function open(port: number, hello: Buffer, keep: Socket[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port }, () => s.write(hello));
    s.once("data", () => {
      keep.push(s);
      resolve();
    });
    s.on("error", reject);
  });
}

async function measure(label: string, port: number, hello: Buffer): Promise<number> {
  const server = await startServer(port);
  const keep: Socket[] = [];
  try {
    const before = rssKiB(server.pid!);
    for (let i = 0; i < N; i += BATCH) {
      const batch: Promise<void>[] = [];
      for (let j = i; j < Math.min(N, i + BATCH); j++) batch.push(open(port, hello, keep));
      await Promise.all(batch);
    }
    // Let the server's allocator settle after the burst, as held-connections.ts does.
    await new Promise((r) => setTimeout(r, 500));
    const after = rssKiB(server.pid!);
    const perConn = ((after - before) * 1024) / N;
    console.log(`| ${values.runtime} | ${values.io} | ${label} | ${N} | ${((after - before) / 1024).toFixed(1)} MiB | ${perConn.toFixed(0)} B |`);
    return perConn;
  } finally {
    for (const s of keep) s.destroy();
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
  }
}

console.log("| runtime | io | protocol | connections | RSS growth | per connection |");
console.log("|---|---|---|---|---|---|");
const h2 = await measure("h2c idle", PORT, H2_HELLO);
if (values.http1) {
  const h1 = await measure("HTTP/1.1 idle", PORT + 1, H1_HELLO);
  console.log(`h2c / HTTP/1.1 per idle connection: ${(h2 / h1).toFixed(2)}×`);
}
process.exit(0);
