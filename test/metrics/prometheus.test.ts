/**
 * A real Prometheus (Debian's `prometheus` package) started on a loopback port with a scrape
 * config, scraping a 2-worker server's --metrics-port every second while the test loads the
 * server: its query API must return hello_requests_total equal to the requests the test sent
 * (polled, bounded, and reached within about one scrape interval of the last answer), and a
 * rolling restart (SIGHUP: every worker replaced) must not make any counter go backwards
 * (Prometheus' own resets() is the judge). Skipped, with a line saying so, where it is missing.
 *
 * Needs dist/hello-server.js (`npm run build`).
 */
import { afterAll, expect, test } from "bun:test";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RawClient } from "../helpers/raw-client.ts";
import { RUNTIMES, startServer, stopAll, type RunningServer } from "../helpers/server.ts";
import { metricsUrl } from "../server/watch-suite.ts";
import { prometheus } from "./tools.ts";
import { freePort } from "../../bench/lib/servers/host.ts";

const PROMETHEUS = prometheus();
if (PROMETHEUS === null) console.warn("SKIPPED test/metrics/prometheus.test.ts: prometheus is not installed (apt-get install prometheus)");

const SCRAPE_INTERVAL_S = 1;
const dirs: string[] = [];
const procs: ChildProcess[] = [];
afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  await stopAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Polls `f` until it returns a value (not undefined), at most `ms`; never a fixed sleep as synchronisation. */
async function until<T>(what: string, ms: number, f: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startPrometheus(target: string): Promise<{ query(q: string): Promise<number | undefined> }> {
  const dir = mkdtempSync(join(tmpdir(), "hello-prometheus-"));
  dirs.push(dir);
  const port = await freePort();
  writeFileSync(
    join(dir, "prometheus.yml"),
    `global:\n  scrape_interval: ${SCRAPE_INTERVAL_S}s\n  scrape_timeout: ${SCRAPE_INTERVAL_S}s\nscrape_configs:\n  - job_name: hello\n    static_configs:\n      - targets: ["${target}"]\n`,
  );
  const proc = spawn(
    PROMETHEUS!,
    [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  procs.push(proc);
  let log = "";
  proc.stderr!.on("data", (c: Buffer) => (log += c.toString()));
  const query = async (q: string): Promise<number | undefined> => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
    const json = (await res.json()) as { status: string; data: { result: Array<{ value: [number, string] }> } };
    if (json.status !== "success" || json.data.result.length === 0) return undefined;
    return Number(json.data.result[0]!.value[1]);
  };
  // Ready once it has scraped the target successfully.
  await until(`prometheus up and scraping (log: ${log})`, 30_000, async () => ((await query(`up{job="hello"}`)) === 1 ? true : undefined));
  return { query };
}

/** `connections` keep-alive connections, each sending `batches` pipelined batches of `depth` GETs; returns the answers counted. */
async function load(port: number, connections: number, batches: number, depth: number): Promise<number> {
  const one = async (): Promise<number> => {
    const c = await RawClient.connect(port);
    try {
      let got = 0;
      for (let b = 1; b <= batches; b++) {
        c.write("GET /load HTTP/1.1\r\nHost: a\r\n\r\n".repeat(depth));
        got = (await c.waitResponses(b * depth, { timeoutMs: 20_000 })).filter((r) => r.status === 200).length;
      }
      return got;
    } finally {
      c.destroy();
    }
  };
  const counts = await Promise.all(Array.from({ length: connections }, one));
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * Bun with SO_REUSEPORT, and Node's socket back end, which shares one listener through
 * node:cluster before Node 22.12 (the supervisor's other port-sharing path).
 */
const CASES = RUNTIMES.filter((r) => r.label === "bun" || r.label === "node");

for (const runtime of CASES) {
  test.skipIf(PROMETHEUS === null)(
    `${runtime.label}: a real Prometheus scraping a 2-worker server: hello_requests_total equals the requests sent; no counter goes backwards across a rolling restart`,
    async () => {
      const server: RunningServer = await startServer(runtime, ["--workers", "2", "--metrics-port", "0"]);
      const target = metricsUrl(server).replace(/^http:\/\//, "").replace(/\/metrics$/, "");
      const prom = await startPrometheus(target);
      const total = `sum(hello_requests_total)`;

      const sent = await load(server.port, 16, 40, 16);
      expect(sent).toBe(16 * 40 * 16);
      const answeredAt = Date.now();
      const seen = await until(`Prometheus sees ${sent} requests`, 15_000, async () => ((await prom.query(total)) === sent ? sent : undefined));
      const lagMs = Date.now() - answeredAt;
      console.log(`prometheus (${runtime.label}): sent ${sent} requests, sum(hello_requests_total) = ${seen}, ${lagMs} ms after the last answer (scrape interval ${SCRAPE_INTERVAL_S} s, worker reports every 1 s)`);
      expect(seen).toBe(sent);
      // One scrape interval, plus the worker's report interval (1 s) and the query's own round trip.
      expect(lagMs).toBeLessThan((SCRAPE_INTERVAL_S + 1) * 1000 + 1500);

      // SIGHUP: both workers replaced one at a time. Their counts stay in the pod's totals.
      server.proc.kill("SIGHUP");
      await until("rolling restart done", 30_000, async () => (/rolling restart done/.test(server.stderr()) ? true : undefined));
      const more = await load(server.port, 4, 10, 16);
      const after = sent + more;
      await until(`Prometheus sees ${after} requests after the restart`, 15_000, async () => ((await prom.query(total)) === after ? after : undefined));
      expect(await prom.query(`hello_worker_starts_total`)).toBe(4);
      expect(await prom.query(`hello_worker_exits_total`)).toBe(2);
      // Prometheus' own judgement of counter resets over everything it scraped.
      for (const counter of ["hello_requests_total", "hello_connections_accepted_total", "hello_received_bytes_total", "hello_sent_bytes_total"]) {
        expect(await prom.query(`sum(resets(${counter}[10m]))`)).toBe(0);
      }
      console.log(`prometheus (${runtime.label}): after SIGHUP (4 workers started, 2 exited) sum(hello_requests_total) = ${after}, resets() = 0 for every counter`);
    },
    120_000,
  );
}
