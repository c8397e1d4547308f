/**
 * The spawner's two costs, measured on the real server (src/main.ts bundled once):
 *
 *   flock /tmp/hello-bench.lock node_modules/.bin/bun bench/spawner.ts [start|throughput|all] [--runtimes bun,deno,node]
 *
 * start:      spawn → first 200 response, median of 10, for --workers 1 and --workers auto.
 * throughput: wrk keep-alive (-t1 -c64 -d5s, warm-up first, 3 runs alternating A B A B) against
 *             --workers 1 and --workers 2, both pinned to CPU 0 (taskset -c 0), wrk on CPU 1:
 *             per-core throughput must not drop with a supervisor and a second worker.
 */
import { spawn, spawnSync } from "node:child_process";
import { connect } from "node:net";
import { commandLine, oneOf, readFlags } from "./lib/cli/flags.ts";
import { median } from "./lib/measure/stats.ts";
import { freePort } from "./lib/servers/host.ts";
import { bundle, commandFor, RUNTIMES, type Runtime } from "../test/spawner/harness.ts";

const { values: flags, positionals } = readFlags(commandLine(), { runtimes: { type: "string" } }, "usage: bench/spawner.ts [start|throughput|all] [--runtimes bun,deno,node]", true);
const what = oneOf("what", positionals[0], ["start", "throughput", "all"] as const, "all");
const runtimes = (flags.runtimes?.split(",") ?? [...RUNTIMES]) as Runtime[];

/** One request; resolves true on a 200, false on refused/reset. */
function tryRequest(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    let text = "";
    s.on("connect", () => s.write("GET / HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n"));
    s.on("data", (c: Buffer) => (text += c.toString("latin1")));
    s.on("error", () => resolve(false));
    s.on("close", () => resolve(text.startsWith("HTTP/1.1 200")));
  });
}

async function startToFirstResponse(runtime: Runtime, workers: string): Promise<number> {
  const port = await freePort();
  const [file, ...rest] = commandFor(runtime, await bundle());
  const t0 = performance.now();
  const child = spawn(file!, [...rest, "--host", "127.0.0.1", "--port", String(port), "--workers", workers, "--quiet"], {
    stdio: "ignore",
    detached: true,
  });
  const exited = new Promise((r) => child.once("exit", r));
  let ms = NaN;
  for (let i = 0; i < 100_000; i++) {
    if (await tryRequest(port)) {
      ms = performance.now() - t0;
      break;
    }
  }
  process.kill(child.pid!, "SIGTERM");
  await exited;
  return ms;
}

async function benchStart(): Promise<void> {
  console.log("## start to first response (ms, median of 10; min-max)");
  for (const runtime of runtimes) {
    for (const workers of ["1", "auto"]) {
      await startToFirstResponse(runtime, workers); // warm the page cache
      const xs: number[] = [];
      for (let i = 0; i < 10; i++) xs.push(await startToFirstResponse(runtime, workers));
      console.log(`${runtime} --workers ${workers}: ${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)})`);
    }
  }
}

function wrk(port: number): { rps: number; errors: string } {
  const r = spawnSync("taskset", ["-c", "1", "wrk", "-t1", "-c64", "-d5s", `http://127.0.0.1:${port}/`], { encoding: "utf8" });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const errors = /Socket errors:.*|Non-2xx.*/.exec(r.stdout)?.[0] ?? "";
  return { rps, errors };
}

async function pinnedServer(runtime: Runtime, workers: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const [file, ...rest] = commandFor(runtime, await bundle());
  const child = spawn("taskset", ["-c", "0", file!, ...rest, "--host", "127.0.0.1", "--port", String(port), "--workers", workers], {
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  const exited = new Promise((r) => child.once("exit", r));
  await new Promise<void>((resolve, reject) => {
    let err = "";
    child.stderr!.on("data", (c: Buffer) => {
      err += c.toString();
      // With workers > 1, wait for the spread check too, so it does not run inside a measurement.
      if (workers === "1" ? err.includes("listening on") : /test connections spread/.test(err)) resolve();
    });
    void exited.then(() => reject(new Error(`server exited: ${err}`)));
  });
  return {
    port,
    stop: async () => {
      process.kill(child.pid!, "SIGTERM");
      await exited;
    },
  };
}

async function benchThroughput(): Promise<void> {
  console.log("## keep-alive throughput, server on CPU 0, wrk -t1 -c64 -d5s on CPU 1 (req/s)");
  for (const runtime of runtimes) {
    const a = await pinnedServer(runtime, "1");
    const b = await pinnedServer(runtime, "2");
    try {
      wrk(a.port);
      wrk(b.port);
      const ra: number[] = [];
      const rb: number[] = [];
      for (let i = 0; i < 3; i++) {
        const x = wrk(a.port);
        const y = wrk(b.port);
        if (x.errors || y.errors) console.log(`  invalid run: ${x.errors} ${y.errors}`);
        ra.push(x.rps);
        rb.push(y.rps);
      }
      const ma = median(ra);
      const mb = median(rb);
      console.log(`${runtime}: --workers 1 ${ma.toFixed(0)} [${ra.map((x) => x.toFixed(0)).join(", ")}]; --workers 2 ${mb.toFixed(0)} [${rb.map((x) => x.toFixed(0)).join(", ")}]; ratio 2/1 = ${(mb / ma).toFixed(3)}`);
    } finally {
      await a.stop();
      await b.stop();
    }
  }
}

if (what === "start" || what === "all") await benchStart();
if (what === "throughput" || what === "all") await benchThroughput();
process.exit(0);
