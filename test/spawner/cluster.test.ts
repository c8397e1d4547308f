/**
 * The spawner's part of running in a cluster, on every runtime with real
 * processes: continuous load through SIGTERM with --shutdown-delay and
 * through a SIGHUP rolling restart loses no request; Kubernetes service-link
 * variables (HELLO_SERVER_*) change nothing; the supervisor's lines as JSON.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fetchOnce, isAlive, listening, load, RUNTIMES, startServer, type Server } from "./harness.ts";
import { nodeHasReusePort } from "../../src/adapters/node.ts";

const open: Server[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** One GET of `path` on a new connection: the status code, or 0 when refused or reset. */
async function statusOf(port: number, path: string): Promise<number> {
  const { connect } = await import("node:net");
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    let text = "";
    s.setTimeout(5000, () => s.destroy());
    s.on("connect", () => s.write(`GET ${path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`));
    s.on("data", (c: Buffer) => (text += c.toString("latin1")));
    s.on("error", () => resolve(0));
    s.on("close", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
  });
}

const DRIVER = join(import.meta.dir, "rolling-driver.ts");
const DUALSTACK = join(import.meta.dir, "dualstack-driver.ts");
const NODE_VERSION = (await import("node:child_process")).execFileSync("node", ["-p", "process.versions.node"], { encoding: "utf8" }).trim();

describe.each(RUNTIMES)("%s", (runtime) => {
  const clusterMode = runtime === "node" && !nodeHasReusePort(NODE_VERSION);

  // What a Kubernetes rollout does: SIGTERM, while endpoints still send new connections for a
  // moment; the load stops once the health path has said 503 for a while (the endpoint is gone).
  test.each([1, 2])("SIGTERM with --shutdown-delay under continuous load (--workers %d): no request lost, exit 0 after the delay", async (workers) => {
    const DELAY_S = 2;
    const { server, port } = await listening(runtime, ["--workers", String(workers), "--shutdown-delay", String(DELAY_S), "--health-path", "/healthz"]);
    open.push(server);
    if (workers > 1) await server.waitFor(/test connections spread/);
    const l = load(port, 4);
    await until("load running", () => l.ok() >= 50);
    const from = server.lines.length;
    const signalled = Date.now();
    process.kill(server.pid, "SIGTERM");
    await server.waitFor(/^hello-server: shutdown delay: serving 2 s more/, 5000, from);
    const okAtSignal = l.ok();
    await until("the health path to answer 503", async () => (await statusOf(port, "/healthz")) === 503);
    await until("100 more requests after the signal", () => l.ok() >= okAtSignal + 100, 15_000);
    // Still serving, still inside the delay: the load stops as a load balancer would.
    expect(Date.now() - signalled).toBeLessThan(DELAY_S * 1000);
    await l.stop();
    const exit = await server.waitExit(15_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(DELAY_S * 1000 - 100);
    console.log(`${runtime} --workers ${workers}: ${l.ok()} requests answered (${l.ok() - okAtSignal} after SIGTERM), ${l.errors.length} lost`);
    expect(l.errors).toEqual([]);
    expect(l.ok()).toBeGreaterThanOrEqual(okAtSignal + 100);
    expect(server.lines).toContain("hello-server: shutdown done");
    for (const pid of server.startedPids()) expect(isAlive(pid)).toBe(false);
  }, 40_000);

  // Same isolation as spawner.test.ts's rolling restart (tcp_migrate_req in a fresh netns, root).
  const needsRoot = !clusterMode && process.getuid?.() !== 0;
  if (needsRoot) console.warn(`skipped: ${runtime} SIGHUP rolling restart with --shutdown-delay needs root (unshare -n)`);
  test.skipIf(needsRoot)("SIGHUP with --shutdown-delay 30: the rolling restart does not wait the delay and loses no request", () => {
    const isolate = clusterMode ? [] : ["unshare", "-n", "--", "sh", "-c", 'ip link set lo up && sysctl -qw net.ipv4.tcp_migrate_req=1 && exec "$@"', "sh"];
    const started = Date.now();
    const r = spawnSync(
      isolate[0] ?? process.execPath,
      [...isolate.slice(1), ...(isolate.length > 0 ? [process.execPath] : []), DRIVER, runtime, "--shutdown-delay", "30", "--health-path", "/healthz"],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(r.stderr).toBe("");
    const result = JSON.parse(r.stdout) as { ok: number; errors: string[]; failedReused: string[]; started: number[]; lines: string[] };
    expect(result.ok).toBeGreaterThanOrEqual(100);
    expect(result.errors).toEqual([]);
    expect(result.failedReused).toEqual([]);
    expect(result.started.length).toBe(4);
    for (const pid of result.started.slice(0, 2)) expect(result.lines).toContain(`hello-server: worker ${pid} exited with code 0`);
    expect(result.lines).toContain("hello-server: rolling restart done");
    // Two old workers drained at once (SIGINT), not after 30 s each.
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 70_000);

  // Issue 16: a worker replaced by SIGHUP keeps an idle keep-alive connection open for a short grace
  // and answers its next request with Connection: close, so a keep-alive client never sends into a
  // connection the old worker is closing. Measured on every back end, 3 restarts each, with 4
  // keep-alive and 4 connection-per-request clients (test/spawner/rolling-driver.ts).
  const koffi = existsSync(join(import.meta.dir, "../../node_modules/koffi/package.json"));
  const backEnds = runtime === "node" && !koffi ? ["socket"] : ["socket", "syscall", "uring"];
  test.skipIf(process.getuid?.() !== 0).each(backEnds)("three SIGHUP rolling restarts under keep-alive and per-request load (--io %s): no request lost, none failed on a reused connection", (io) => {
    const r = spawnSync(
      "unshare",
      ["-n", "--", "sh", "-c", 'ip link set lo up && sysctl -qw net.ipv4.tcp_migrate_req=1 && exec "$@"', "sh", process.execPath, DRIVER, runtime, "--restarts", "3", "--io", io],
      // The bundle runs from a temp dir: Node finds the optional koffi (--io syscall, uring) through NODE_PATH.
      { encoding: "utf8", timeout: 90_000, env: { ...process.env, NODE_PATH: join(import.meta.dir, "../../node_modules") } },
    );
    expect(r.stderr).toBe("");
    const result = JSON.parse(r.stdout) as { ok: number; errors: string[]; failedReused: string[]; restartMs: number[]; drainMs: number[]; started: number[]; lines: string[] };
    console.log(
      `${runtime} --io ${io}: ${result.ok} answered, ${result.errors.length} lost on new connections, ${result.failedReused.length} failed on reused connections; ` +
        `restarts ${result.restartMs.join(", ")} ms, old workers drained in ${result.drainMs.join(", ")} ms`,
    );
    expect(result.failedReused).toEqual([]);
    expect(result.errors).toEqual([]);
    expect(result.ok).toBeGreaterThanOrEqual(400);
    expect(result.lines.filter((l) => l === "hello-server: rolling restart done").length).toBe(3);
    expect(result.started.length).toBe(8);
    // Under load every connection of an old worker is asked something within the grace: the drain
    // takes tens of ms; the bound leaves room for a loaded machine but not for a second grace.
    expect(result.drainMs.length).toBe(6);
    for (const ms of result.drainMs) expect(ms).toBeLessThan(1500);
  }, 100_000);

  // A host with net.ipv6.bindv6only=1 makes a plain `::` socket IPv6-only: every back end must
  // still serve IPv4 there (a fresh network namespace, so root, as for the rolling restart).
  const ios = runtime === "node" ? ["socket"] : ["socket", "syscall"];
  test.skipIf(process.getuid?.() !== 0).each(ios)("--host :: serves IPv4 and IPv6 even where net.ipv6.bindv6only=1 (--io %s)", (io) => {
    const r = spawnSync(
      "unshare",
      ["-n", "--", "sh", "-c", 'ip link set lo up && sysctl -qw net.ipv6.bindv6only=1 && exec "$@"', "sh", process.execPath, DUALSTACK, runtime, "--io", io],
      { encoding: "utf8", timeout: 30_000 },
    );
    expect(r.stderr).toBe("");
    const result = JSON.parse(r.stdout) as { line: string; v4: string; v6: string };
    expect(result.line).toContain("(dual-stack, ");
    expect(result).toMatchObject({ v4: "HTTP/1.1 200 OK", v6: "HTTP/1.1 200 OK" });
  }, 40_000);

  test("Kubernetes service-link variables (HELLO_SERVER_PORT=tcp://…, HELLO_SERVER_WORKER*) change nothing", async () => {
    const env = {
      HELLO_SERVER_PORT: "tcp://10.0.0.1:8000",
      HELLO_SERVER_PORT_8000_TCP: "tcp://10.0.0.1:8000",
      HELLO_SERVER_SERVICE_HOST: "10.0.0.1",
      HELLO_SERVER_SERVICE_PORT: "8000",
      HELLO_SERVER_WORKER: "1",
      HELLO_SERVER_WORKER_PORT: "tcp://10.0.0.2:8000",
      HELLO_SERVER_WORKER_SERVICE_HOST: "10.0.0.2",
    };
    const server = await startServer(runtime, ["--host", "127.0.0.1", "--port", "0", "--workers", "2"], env);
    open.push(server);
    const m = await server.waitFor(/^hello-server listening on http:\/\/127\.0\.0\.1:(\d+) \(.*2 workers/, 15_000);
    await server.waitFor(/test connections spread/);
    const port = Number(m[1]);
    for (let i = 0; i < 4; i++) expect(await fetchOnce(port)).toEndWith("\r\n\r\nhello");
    expect(server.startedPids().length).toBe(2);
    process.kill(server.pid, "SIGTERM");
    expect(await server.waitExit()).toEqual({ code: 0, signal: null });
  }, 30_000);

  test("--log-format json: the supervisor's and workers' lifecycle lines, one JSON object each", async () => {
    const server = await startServer(runtime, ["--host", "127.0.0.1", "--port", "0", "--workers", "2", "--log-format", "json"]);
    open.push(server);
    await server.waitFor(/"event":"port_sharing"/, 15_000);
    process.kill(server.pid, "SIGTERM");
    expect(await server.waitExit()).toEqual({ code: 0, signal: null });
    type Line = { time: string; level: string; event: string; pid: number; worker: number | null; message: string };
    const records = server.lines.map((l): Line => {
      try {
        return JSON.parse(l) as Line;
      } catch {
        throw new Error(`not a JSON line: ${JSON.stringify(l)}; all lines:\n${server.lines.join("\n")}`);
      }
    });
    const events = records.map((r) => r.event);
    expect(events.filter((e) => e === "worker_started").length).toBe(2);
    expect(events.filter((e) => e === "worker_exited").length).toBe(2);
    for (const e of ["listening", "port_sharing", "shutdown_begun", "shutdown_done"]) expect(events).toContain(e);
    expect(events.at(-1)).toBe("shutdown_done");
    for (const r of records) {
      expect(Object.keys(r)).toEqual(["time", "level", "event", "pid", "worker", "message"]);
      expect(r.pid).toBe(server.pid);
      expect(r.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      if (r.event.startsWith("worker_")) {
        expect(typeof r.worker).toBe("number");
        expect(r.message).toStartWith(`worker ${r.worker} `);
      } else expect(r.worker).toBe(null);
    }
    expect(records.find((r) => r.event === "listening")!.message).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+ \(/);
  }, 30_000);
});
