/**
 * The open-loop generator end to end over TCP, against the reference
 * delay server (bench/openloop/delay-server.ts) in a child process: a
 * couple of seconds in all. Validity is not asserted (a shared 2-core
 * machine preempts the generator for milliseconds, which the lateness rule
 * rightly flags); what must hold on any machine is.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { DEFAULTS, runOpenLoop } from "../../bench/openloop/client.ts";
import { parseOpenLoopOutput } from "../../bench/openloop/result.ts";

const ROOT = resolve(import.meta.dir, "../..");
const DELAY_MS = 2;
let server: ChildProcess;
let port = 0;

beforeAll(async () => {
  server = spawn(process.execPath, ["bench/openloop/delay-server.ts", "--port", "0", "--delay", String(DELAY_MS)], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  port = await new Promise<number>((ok, fail) => {
    let out = "";
    server.stdout!.setEncoding("utf8").on("data", (s: string) => {
      out += s;
      const m = /listening (\d+)/.exec(out);
      if (m) ok(Number(m[1]));
    });
    server.once("exit", (code) => fail(new Error(`delay server exited ${code}`)));
  });
});

afterAll(() => {
  server.kill("SIGTERM");
});

test("keep-alive at 400 req/s: every scheduled request sent and answered, none faster than the server's delay", async () => {
  const r = await runOpenLoop({ ...DEFAULTS, url: `http://127.0.0.1:${port}/`, rate: 400, durationS: 1.5, warmupS: 0.5, connections: 8, drainS: 2 });
  expect(r.scheduled).toBe(600);
  // The 200 warm-up requests are checked but not counted or recorded.
  expect({ sent: r.sent, answered: r.answered, checked: r.checked }).toEqual({ sent: 600, answered: 600, checked: 800 });
  expect(r.errors).toEqual({ connect: 0, read: 0, write: 0, status: 0, timeout: 0 });
  expect(r.bad).toBe(0);
  expect(r.unsent).toBe(0);
  // Latency counts from the scheduled time, so it can never be below the server's delay.
  expect(r.spectrum[0]![1]).toBeGreaterThanOrEqual(DELAY_MS * 1000);
  expect(r.latencyUs.p50).toBeGreaterThanOrEqual(DELAY_MS * 1000);
  expect(r.latencyUs.count).toBe(600);
  expect(r.latenessUs.count).toBe(600);
  expect(r.achievedRate).toBeGreaterThan(0.99 * 400);
  expect(r.histograms.latency.length).toBeGreaterThan(10);
}, 20_000);

test("connection-close with ?delay=: a connection per request, the per-request delay honoured", async () => {
  const r = await runOpenLoop({ ...DEFAULTS, url: `http://127.0.0.1:${port}/?delay=3`, rate: 200, durationS: 0.5, warmupS: 0, connections: 8, close: true, drainS: 2 });
  expect({ sent: r.sent, answered: r.answered, bad: r.bad, mode: r.mode }).toEqual({ sent: 100, answered: 100, bad: 0, mode: "close" });
  expect(r.errors).toEqual({ connect: 0, read: 0, write: 0, status: 0, timeout: 0 });
  expect(r.spectrum[0]![1]).toBeGreaterThanOrEqual(3000);
}, 20_000);

test("a wrong body is caught in every answer and makes the run invalid", async () => {
  const r = await runOpenLoop({ ...DEFAULTS, url: `http://127.0.0.1:${port}/`, rate: 200, durationS: 0.25, warmupS: 0, connections: 4, body: "HELLO", drainS: 2 });
  expect(r.answered).toBe(50);
  expect(r.bad).toBe(50);
  expect(r.valid).toBe(false);
  expect(r.invalidReasons).toContain("50 wrong responses of 50 checked");
}, 20_000);

test("nobody listening: connect errors, not a hang", async () => {
  await expect(runOpenLoop({ ...DEFAULTS, url: "http://127.0.0.1:1/", rate: 100, durationS: 0.2, warmupS: 0, connections: 2 })).rejects.toThrow("connections opened");
  const r = await runOpenLoop({ ...DEFAULTS, url: "http://127.0.0.1:1/", rate: 100, durationS: 0.2, warmupS: 0, connections: 2, close: true, drainS: 1 });
  expect(r.errors.connect).toBe(20);
  expect(r.valid).toBe(false);
}, 20_000);

test("the command line prints a result line the harness parses", async () => {
  const proc = Bun.spawn([process.execPath, "bench/openloop/openloop.ts", "--url", `http://127.0.0.1:${port}/`, "--rate", "200", "--duration", "0.5", "--connections", "4", "--poisson", "--warmup", "0.2", "--json"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  expect(code).toBe(0);
  const r = parseOpenLoopOutput(stdout);
  expect(r.arrivals).toBe("poisson");
  expect(r.answered).toBe(r.scheduled);
  expect(r.scheduled).toBeGreaterThan(50);
  expect(r.latencyUs.p50).toBeGreaterThanOrEqual(DELAY_MS * 1000);
}, 20_000);

/** A one-off server in a child process (the generator's loop blocks this one): `answer` is JS writing to `s`. */
async function childServer(answer: string): Promise<{ port: number; stop(): void }> {
  const code = `const net = require("node:net");
net.createServer((s) => s.on("data", () => { ${answer} }).on("error", () => {})).listen(0, "127.0.0.1", function () { console.log("listening " + this.address().port); });`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  const p = await new Promise<number>((ok, fail) => {
    child.stdout!.setEncoding("utf8").on("data", (s: string) => {
      const m = /listening (\d+)/.exec(s);
      if (m) ok(Number(m[1]));
    });
    child.once("exit", (c) => fail(new Error(`child server exited ${c}`)));
  });
  return { port: p, stop: () => void child.kill("SIGTERM") };
}

test("an answer in two pieces is put together; its latency runs to the last byte", async () => {
  const server = await childServer(`s.write("HTTP/1.1 200 OK\\r\\nContent-Length: 5\\r\\n\\r\\nhe"); setTimeout(() => s.write("llo"), 4);`);
  try {
    const r = await runOpenLoop({ ...DEFAULTS, url: `http://127.0.0.1:${server.port}/`, rate: 100, durationS: 0.3, warmupS: 0, connections: 4, drainS: 2 });
    expect({ answered: r.answered, bad: r.bad, errors: r.errors.read + r.errors.connect }).toEqual({ answered: 30, bad: 0, errors: 0 });
    expect(r.spectrum[0]![1]).toBeGreaterThanOrEqual(4000);
  } finally {
    server.stop();
  }
}, 20_000);

test("a chunked answer is refused as unreadable, and the run is invalid", async () => {
  const server = await childServer(`s.write("HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n5\\r\\nhello\\r\\n0\\r\\n\\r\\n");`);
  try {
    const r = await runOpenLoop({ ...DEFAULTS, url: `http://127.0.0.1:${server.port}/`, rate: 100, durationS: 0.1, warmupS: 0, connections: 2, drainS: 1 });
    expect(r.bad).toBe(10);
    expect(r.valid).toBe(false);
    expect(r.invalidReasons.join("\n")).toContain("10× Transfer-Encoding");
  } finally {
    server.stop();
  }
}, 20_000);

test("keep-alive, but the server closes after each answer (Connection: close): a fresh connection each time, no errors", async () => {
  const server = await childServer(`s.end("HTTP/1.1 200 OK\\r\\nConnection: close\\r\\nContent-Length: 5\\r\\n\\r\\nhello");`);
  try {
    const r = await runOpenLoop({ ...DEFAULTS, url: `http://127.0.0.1:${server.port}/`, rate: 100, durationS: 0.3, warmupS: 0, connections: 4, drainS: 2 });
    expect({ answered: r.answered, bad: r.bad, reconnects: r.reconnects, retried: r.retried }).toEqual({ answered: 30, bad: 0, reconnects: 30, retried: 0 });
    expect(r.errors).toEqual({ connect: 0, read: 0, write: 0, status: 0, timeout: 0 });
  } finally {
    server.stop();
  }
}, 20_000);
