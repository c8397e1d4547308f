/**
 * The spawner with real processes on every runtime: workers really
 * listening, a killed worker replaced while the others serve, graceful
 * SIGTERM during a slow transfer, a port in use, and SIGHUP's rolling
 * restart without refused connections.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { createServer, connect, type Server as NetServer } from "node:net";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { isAlive, listening, listeners, load, REQUEST, RUNTIMES, startServer, type Server } from "./harness.ts";
import { nodeHasReusePort } from "../../src/adapters/node.ts";

const open: Server[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function serve(runtime: (typeof RUNTIMES)[number], args: string[]): Promise<{ server: Server; port: number }> {
  const r = await listening(runtime, args);
  open.push(r.server);
  return r;
}

/** Polls a condition that has no event to wait on (a counter in this process); bounded. */
async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The `node` on PATH: Node before 22.12 shares the port through node:cluster, one socket for all workers. */
const DRIVER = join(import.meta.dir, "rolling-driver.ts");
const NODE_VERSION = (await import("node:child_process")).execFileSync("node", ["-p", "process.versions.node"], { encoding: "utf8" }).trim();

describe.each(RUNTIMES)("%s", (runtime) => {
  const clusterMode = runtime === "node" && sharesOneSocketVersion(NODE_VERSION);

  test("--workers 3: three workers really listen, the supervisor none, and requests are served", async () => {
    const { server, port } = await serve(runtime, ["--workers", "3"]);
    const spread = await server.waitFor(/^hello-server: port \d+: 3 workers, .* (\d+)\/(\d+) test connections spread ([\d/]+)$/);
    expect(spread[1]).toBe(spread[2]);
    const pids = server.startedPids();
    expect(pids.length).toBe(3);
    const socks = listeners(port);
    if (clusterMode) {
      // One socket, held by every worker (and the primary that made it).
      expect(socks.length).toBe(1);
      for (const pid of pids) expect(socks[0]).toContain(pid);
    } else {
      expect(socks.length).toBe(3);
      expect(socks.map((holders) => holders[0]).sort()).toEqual([...pids].sort());
      expect(socks.flat()).not.toContain(server.pid);
    }
    const l = load(port, 2);
    await until("30 responses", () => l.ok() >= 30);
    await l.stop();
    expect(l.errors).toEqual([]);
    process.kill(server.pid, "SIGTERM");
    expect(await server.waitExit()).toEqual({ code: 0, signal: null });
    expect(server.lines).toContain("hello-server: shutdown done");
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  }, 30_000);

  test("kill -9 of a worker under load: replaced within a second, the other kept serving", async () => {
    const { server, port } = await serve(runtime, ["--workers", "2"]);
    await server.waitFor(/test connections spread/);
    const [victim, survivor] = server.startedPids() as [number, number];
    const l = load(port, 4);
    await until("load running", () => l.ok() >= 50);
    const okAtKill = l.ok();
    const from = server.lines.length;
    const killedAt = Date.now();
    process.kill(victim, "SIGKILL");
    const started = await server.waitFor(/^hello-server: worker (\d+) started$/, 5000, from);
    const replacedMs = Date.now() - killedAt;
    const okAtReplace = l.ok();
    await until("load after the replacement", () => l.ok() >= okAtReplace + 50);
    await l.stop();
    expect(server.lines.slice(from)).toContain(`hello-server: worker ${victim} exited with signal SIGKILL`);
    expect(replacedMs).toBeLessThan(1000);
    // While the victim's slot was empty the survivor answered.
    expect(okAtReplace).toBeGreaterThan(okAtKill);
    expect(isAlive(survivor)).toBe(true);
    // Only connections the victim held (at most one per client loop, plus its accept queue) may fail.
    expect(l.errors.length).toBeLessThanOrEqual(8);
    const fresh = Number(started[1]);
    const holders = listeners(port).flat();
    expect(holders).toContain(fresh);
    expect(holders).toContain(survivor);
    expect(holders).not.toContain(victim);
  }, 30_000);

  test.each([1, 2])("SIGTERM during a slow pipelined transfer (--workers %d): every response completes, exit 0", async (workers) => {
    const BODY = 100_000;
    const REQUESTS = 40;
    const { server, port } = await serve(runtime, ["--workers", String(workers), "--body", "x".repeat(BODY), "--shutdown-timeout", "10"]);
    const socket = connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      socket.on("close", () => resolve());
      socket.on("error", reject);
    });
    const firstData = new Promise<void>((resolve) => socket.once("data", () => resolve()));
    socket.on("data", (c: Buffer) => {
      chunks.push(c);
      // Read slowly: 64 KiB at most every 5 ms, so the server stays backed up for most of a second.
      socket.pause();
      setTimeout(() => socket.resume(), 5);
    });
    socket.write(REQUEST.repeat(REQUESTS));
    await firstData;
    process.kill(server.pid, "SIGTERM");
    await server.waitFor(/^hello-server: shutdown begun \(SIGTERM\)$/);
    await ended;
    const exit = await server.waitExit(15_000);
    const bytes = Buffer.concat(chunks).toString("latin1");
    // Split into responses; each must be whole.
    let at = 0;
    let complete = 0;
    while (at < bytes.length) {
      const headEnd = bytes.indexOf("\r\n\r\n", at);
      expect(headEnd).toBeGreaterThan(at);
      const head = bytes.slice(at, headEnd);
      expect(head.startsWith("HTTP/1.1 200")).toBe(true);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1]);
      expect(length).toBe(BODY);
      expect(bytes.length).toBeGreaterThanOrEqual(headEnd + 4 + length);
      at = headEnd + 4 + length;
      complete++;
    }
    expect(at).toBe(bytes.length);
    expect(complete).toBeGreaterThanOrEqual(1);
    expect(exit).toEqual({ code: 0, signal: null });
  }, 30_000);

  test.each([1, 2])("port already in use (--workers %d): clear error, exit 3, no restart loop", async (workers) => {
    const holder: NetServer = createServer();
    await new Promise<void>((resolve) => holder.listen({ host: "127.0.0.1", port: 0, exclusive: true }, resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const server = await startServer(runtime, ["--host", "127.0.0.1", "--port", String(port), "--workers", String(workers)]);
      open.push(server);
      const exit = await server.waitExit(10_000);
      expect(exit).toEqual({ code: 3, signal: null });
      const errors = server.lines.filter((l) => l.startsWith("hello-server: error: "));
      expect(errors.length).toBe(1);
      expect(errors[0]).toMatch(new RegExp(`cannot listen on http://127\\.0\\.0\\.1:${port}: .*(EADDRINUSE|in use)`, "i"));
      expect(server.startedPids()).toEqual([]);
      expect(server.lines.filter((l) => / exited with /.test(l)).length).toBeLessThanOrEqual(workers);
    } finally {
      holder.close();
    }
  }, 30_000);

  test("a worker that keeps dying: replaced with growing backoff, then the supervisor gives up with exit 1", async () => {
    const { server } = await serve(runtime, ["--workers", "2"]);
    await server.waitFor(/test connections spread/);
    let victim = server.startedPids()[0]!;
    const gaps: number[] = [];
    for (let round = 0; round < 10; round++) {
      const from = server.lines.length;
      process.kill(victim, "SIGKILL");
      const killed = Date.now();
      // Rejects when the supervisor exits instead: it gave up.
      const next = await server.waitFor(/^hello-server: worker (\d+) started$/, 10_000, from).catch(() => null);
      if (next === null) break;
      gaps.push(Date.now() - killed);
      victim = Number(next[1]);
    }
    const exit = await server.waitExit(10_000);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(server.lines).toContain("hello-server: error: a worker died 6 times in a row within 10 s of starting; giving up");
    // Replaced 5 times (the 6th death ends it), each wait longer than the last after the first two.
    expect(gaps.length).toBe(5);
    expect(gaps[0]!).toBeLessThan(1000);
    expect(gaps[4]!).toBeGreaterThan(gaps[1]!);
    expect(gaps[4]!).toBeGreaterThanOrEqual(800);
    for (const pid of server.startedPids()) expect(isAlive(pid)).toBe(false);
  }, 40_000);

  test("kill -9 of the supervisor: the workers notice and exit", async () => {
    const { server } = await serve(runtime, ["--workers", "2"]);
    await server.waitFor(/test connections spread/);
    const pids = server.startedPids();
    process.kill(server.pid, "SIGKILL");
    await server.exited;
    await until("orphaned workers to exit", () => pids.every((pid) => !isAlive(pid)), 10_000);
  }, 30_000);

  // Closing one socket of a SO_REUSEPORT group resets what waits in its accept queue unless
  // net.ipv4.tcp_migrate_req=1 (Linux 5.14+), which is per network namespace: the SO_REUSEPORT
  // runtimes run this test in a fresh namespace with it set (needs root, as CI has). Measured here
  // over 4 runs each: without it bun 0-1 and deno 1-7 resets per restart; with it bun 0, deno 0-1.
  // Deno's 0-1 was ours: Deno 2.9 runs accept(2) as soon as accept() is called or the socket is
  // readable, so the accept() pending when the listener closes may already hold a connection
  // (delivered after close(), never migrated); a worker that exited before it arrived reset it.
  // The Deno adapter's stop() now settles only after that accept() (src/adapters/deno.ts): 0 in
  // 40 restarts, 7 without (issue 16). Connection-per-request load only, on the socket adapters,
  // where a worker with no connection left exits at once; cluster.test.ts adds keep-alive clients.
  const needsRoot = !clusterMode && process.getuid?.() !== 0;
  if (needsRoot) console.warn(`skipped: ${runtime} SIGHUP rolling-restart test needs root (unshare -n to set net.ipv4.tcp_migrate_req)`);
  test.skipIf(needsRoot)("SIGHUP: rolling restart replaces every worker without a failed connection", () => {
    const isolate = clusterMode ? [] : ["unshare", "-n", "--", "sh", "-c", 'ip link set lo up && sysctl -qw net.ipv4.tcp_migrate_req=1 && exec "$@"', "sh"];
    const args = [DRIVER, runtime, "--restarts", "3", "--keep-alive", "0", "--io", "socket"];
    const r = spawnSync(isolate[0] ?? process.execPath, [...isolate.slice(1), ...(isolate.length > 0 ? [process.execPath] : []), ...args], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.stderr).toBe("");
    const result = JSON.parse(r.stdout) as { ok: number; errors: string[]; started: number[]; lines: string[] };
    expect(result.ok).toBeGreaterThanOrEqual(300);
    expect(result.errors).toEqual([]);
    // Two workers, then two replacements per restart; each old one stopped gracefully.
    expect(result.started.length).toBe(8);
    for (const pid of result.started.slice(0, 6)) expect(result.lines).toContain(`hello-server: worker ${pid} exited with code 0`);
    expect(result.lines).toContain("hello-server: rolling restart done");
  }, 70_000);
});

function sharesOneSocketVersion(version: string): boolean {
  return !nodeHasReusePort(version);
}
