/**
 * HTTP/2 through two SIGHUP rolling restarts under h2load and an accounting node:http2 client
 * (test/spawner/rolling-driver.ts --load h2): no stream is lost other than those a GOAWAY told
 * the client to retry. Both clients are built on nghttp2, which does not send a stream it queued once a GOAWAY
 * has arrived and closes it as REFUSED_STREAM (and closes the ones above a GOAWAY's last stream
 * id the same way): those are the retryable ones; the accounting client tells every other end
 * apart, and h2load's failed count is bounded by what could have been queued at each GOAWAY.
 *
 * On bun --io syscall (SO_REUSEPORT: run in a fresh network namespace with
 * net.ipv4.tcp_migrate_req=1, so root, as test/spawner's rolling restarts) and node --io socket.
 * About 9 s each.
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const DRIVER = join(import.meta.dir, "..", "spawner", "rolling-driver.ts");
const ROOT = process.getuid?.() === 0;
const RESTARTS = 2;
/**
 * Streams one connection may have queued when a GOAWAY reaches it (the clients' -m / depth), and
 * how often one connection can meet a GOAWAY per restart: a connection replaced while the first
 * worker drains may land on the second, which is replaced next.
 */
const DEPTH = 8;
const GOAWAYS_PER_CONNECTION_PER_RESTART = 2;

interface Result {
  h2load: { total: number; succeeded: number; failed: number; errored: number } | null;
  h2loadOutput: string[];
  client: { ok: number; retried: number; lost: unknown[]; sessions: number; goaways: number } | null;
  restartMs: number[];
  started: number[];
  lines: string[];
}

const CASES: [string, string, string][] = [
  ["bun", "syscall", "bun --io syscall"],
  ["node", "socket", "node --io socket"],
];

describe.skipIf(!ROOT)("HTTP/2 through SIGHUP rolling restarts", () => {
  for (const [runtime, io, label] of CASES) {
    test(`${label}: h2load and an accounting client lose no stream a GOAWAY did not send back`, () => {
      const r = spawnSync(
        "unshare",
        ["-n", "--", "sh", "-c", 'ip link set lo up && sysctl -qw net.ipv4.tcp_migrate_req=1 && exec "$@"', "sh", process.execPath, DRIVER, runtime, "--load", "h2", "--restarts", String(RESTARTS), "--io", io],
        { encoding: "utf8", timeout: 60_000, env: { ...process.env, NODE_PATH: join(import.meta.dir, "../../node_modules") } },
      );
      expect(r.stderr).toBe("");
      const result = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Result;
      const h = result.h2load!;
      const c = result.client!;
      console.log(
        `${label}: h2load ${h.succeeded}/${h.total} succeeded, ${h.failed} failed (${h.errored} errored); accounting client ${c.ok} answered, ${c.retried} sent back by a GOAWAY, ${c.lost.length} lost, ${c.goaways} GOAWAYs; restarts ${result.restartMs.join(", ")} ms`,
      );
      expect(result.lines.filter((l) => l === "hello-server: rolling restart done")).toHaveLength(RESTARTS);
      // Every answer h2load got was 2xx: what failed, failed below HTTP (a stream not sent or refused).
      expect(h.failed).toBe(h.errored);
      expect(h.succeeded).toBeGreaterThan(1000);
      expect(h.failed).toBeLessThanOrEqual(8 * DEPTH * GOAWAYS_PER_CONNECTION_PER_RESTART * RESTARTS);
      // The accounting client: every stream answered or sent back, none lost.
      expect(c.lost).toEqual([]);
      expect(c.ok).toBeGreaterThan(1000);
      expect(c.goaways).toBeGreaterThanOrEqual(4);
      expect(c.retried).toBeLessThanOrEqual(4 * DEPTH * GOAWAYS_PER_CONNECTION_PER_RESTART * RESTARTS);
    }, 70_000);
  }
});
