/**
 * A scrape of a 2-worker server's --metrics-port reflects every request answered before it
 * began: the supervisor asks each worker for its counters and waits for the answers (100 ms at
 * most). "Send N, then scrape" reads exactly N at once — no poll, no wait for the workers'
 * once-a-second reports — round after round, and across a SIGHUP rolling restart (the replaced
 * workers' counts kept, nothing going backwards). hello_metrics_snapshot_age_seconds is about 0
 * when every worker answered. On bun, deno and node (socket back end) and the syscall back end.
 *
 * Needs dist/hello-server.js (`npm run build`).
 */
import { afterAll, expect, test } from "bun:test";
import { RawClient } from "../helpers/raw-client.ts";
import { RUNTIMES, startServer, stopAll } from "../helpers/server.ts";
import { metricsUrl, sample } from "../server/watch-suite.ts";

afterAll(() => stopAll());

const CASES = RUNTIMES.filter((r) => ["bun", "deno", "node", "bun-syscall", "deno-syscall"].includes(r.label));

/** `connections` fresh keep-alive connections (spread over the workers by SO_REUSEPORT), `depth` pipelined GETs each; returns the 200s. */
async function send(port: number, connections: number, depth: number): Promise<number> {
  const one = async (): Promise<number> => {
    const c = await RawClient.connect(port);
    try {
      c.write("GET /n HTTP/1.1\r\nHost: a\r\n\r\n".repeat(depth));
      return (await c.waitResponses(depth, { timeoutMs: 10_000 })).filter((r) => r.status === 200).length;
    } finally {
      c.destroy();
    }
  };
  return (await Promise.all(Array.from({ length: connections }, one))).reduce((a, b) => a + b, 0);
}

interface Scrape {
  requests: number;
  age: number;
  starts: number;
  ms: number;
}

async function scrape(url: string): Promise<Scrape> {
  const t0 = performance.now();
  // A fresh connection each time: a pooled one may be to an earlier test's server on the same port.
  const text = await (await fetch(url, { keepalive: false })).text();
  const ms = performance.now() - t0;
  let requests = 0;
  for (const line of text.split("\n")) if (line.startsWith("hello_requests_total{")) requests += Number(line.slice(line.lastIndexOf(" ") + 1));
  return { requests, age: sample(text, "hello_metrics_snapshot_age_seconds"), starts: sample(text, "hello_worker_starts_total"), ms };
}

for (const runtime of CASES) {
  test(`${runtime.label}: send N, then scrape: exactly N at once on a 2-worker server, round after round and across a SIGHUP`, async () => {
    const server = await startServer(runtime, ["--workers", "2", "--metrics-port", "0"]);
    try {
      const url = metricsUrl(server);
      expect((await scrape(url)).requests).toBe(0);
      let sent = 0;
      const rounds: number[] = [];
      for (const [connections, depth] of [[8, 1], [16, 10], [4, 50]] as const) {
        sent += await send(server.port, connections, depth);
        const s = await scrape(url);
        rounds.push(s.ms);
        expect({ round: rounds.length, requests: s.requests }).toEqual({ round: rounds.length, requests: sent });
        // Every worker answered this scrape's request: its snapshot is from now, not from a report up to 1 s ago.
        expect(s.age).toBeLessThan(0.1);
      }
      expect(sent).toBe(8 + 160 + 200);

      server.proc.kill("SIGHUP");
      const deadline = Date.now() + 30_000;
      // Scrapes during the restart never go below what was sent (the replaced workers' counts are kept).
      while (!/rolling restart done/.test(server.stderr())) {
        if (Date.now() > deadline) throw new Error(`no rolling restart within 30 s: ${server.stderr()}`);
        expect((await scrape(url)).requests).toBe(sent);
      }
      const after = await scrape(url);
      expect([after.requests, after.starts]).toEqual([sent, 4]);
      sent += await send(server.port, 8, 5);
      const last = await scrape(url);
      expect(last.requests).toBe(sent);
      expect(last.age).toBeLessThan(0.1);
      console.log(`scrape-fresh (${runtime.label}): ${sent} sent, each scrape exact; scrape round trips ${rounds.map((ms) => ms.toFixed(1)).join(", ")} ms`);
    } finally {
      await server.stop();
    }
  }, 60_000);
}
