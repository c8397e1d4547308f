/**
 * bench/load.ts, the fallback generator, against Bun.serve: counts every
 * response of each scenario and catches wrong bodies. A correctness test,
 * not a measurement: 0.3 s bursts, so it does not queue on the bench lock.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { resolve } from "node:path";
import { parseLoadOutput } from "../../bench/lib/measure/wrk.ts";

const ROOT = resolve(import.meta.dir, "../..");
let server: ReturnType<typeof Bun.serve>;

beforeAll(() => {
  server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("hello") });
});
afterAll(() => server.stop(true));

async function load(...args: string[]) {
  const cmd = [process.execPath, "bench/load.ts", "--url", `http://127.0.0.1:${server.port}/`, "--duration", "0.3", "--connections", "8", ...args];
  const proc = Bun.spawn(cmd, { cwd: ROOT, stdout: "pipe", stderr: "inherit" });
  const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  expect(code).toBe(0);
  return parseLoadOutput(stdout);
}

const noErrors = { connect: 0, read: 0, write: 0, status: 0, timeout: 0 };

test("keep-alive with body check", async () => {
  const r = await load("--check");
  expect(r.requests).toBeGreaterThan(100);
  expect(r.errors).toEqual(noErrors);
  expect(r.checked).toBe(r.requests);
  expect(r.bad).toBe(0);
  expect(r.latencyUs.p99).toBeGreaterThanOrEqual(r.latencyUs.p50);
}, 20_000);

test("pipelined ×16 and connection-close count every response", async () => {
  const p = await load("--pipeline", "16", "--check");
  expect(p.requests).toBeGreaterThan(16 * 4);
  expect(p.errors).toEqual(noErrors);
  expect(p.bad).toBe(0);
  const c = await load("--close", "--check");
  expect(c.requests).toBeGreaterThan(10);
  expect(c.errors).toEqual(noErrors);
  expect(c.bad).toBe(0);
}, 20_000);

test("a wrong body is counted as bad", async () => {
  const r = await load("--check", "--body", "goodbye");
  expect(r.checked).toBeGreaterThan(0);
  expect(r.bad).toBe(r.checked);
}, 20_000);
