/**
 * Steering (issue 17) against the real server over TCP, once per runtime and back end:
 * per-request control and its malformed values, a delayed answer that keeps pipelined order and
 * blocks no other connection, faults replayed exactly from a seed (resets seen by the client),
 * and the run-time state flipped through the real CLI client (`hello-server admin …`), with and
 * without a supervisor.
 */
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { bodyText, header, type ParsedResponse } from "../helpers/http-parse.ts";
import { RawClient } from "../helpers/raw-client.ts";
import { runCli, startServer, withServer, type Runtime, type RunningServer } from "../helpers/server.ts";
import { seededRandom } from "../../src/respond/random.ts";

const get = (target: string, fields = "") => `GET ${target} HTTP/1.1\r\nHost: a\r\n${fields}\r\n`;
const ADMIN_LINE = /admin on http:\/\/[^\s]+:(\d+)/;

/** Sends `bytes` on a fresh connection and waits for `n` answers (204/304 counted without a body). */
async function ask(port: number, bytes: string, n = 1): Promise<ParsedResponse[]> {
  const c = await RawClient.connect(port);
  try {
    c.write(bytes);
    return await c.waitResponses(n, { noBody: (s) => s[s.length - 1] === 204 || s[s.length - 1] === 304 });
  } finally {
    c.destroy();
  }
}

/** What one request on a fresh connection got: a status, or how the connection ended without one. */
async function outcome(port: number, target: string): Promise<number | "reset" | "closed"> {
  const c = await RawClient.connect(port);
  try {
    c.write(get(target));
    await c.waitFor(() => c.responses().length > 0 || c.ended || c.error !== null, "an answer or the end");
    const [r] = c.responses();
    if (r !== undefined) return r.status;
    return (c.error as NodeJS.ErrnoException | null)?.code === "ECONNRESET" ? "reset" : "closed";
  } finally {
    c.destroy();
  }
}

function adminPort(s: RunningServer): number {
  const m = ADMIN_LINE.exec(s.stderr());
  if (m === null) throw new Error(`no admin line in: ${s.stderr()}`);
  return Number(m[1]);
}

/** `hello-server admin ACTION --admin-port N` through this runtime: the real CLI client. */
async function admin(runtime: Runtime, action: string, port: number): Promise<string> {
  const r = await runCli(runtime, ["admin", action, "--admin-port", String(port)]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout.trim();
}

/** Polls (bounded) until `cond` holds: a supervisor's workers get a state change a moment later. */
async function until(what: string, cond: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Each test starts its own servers; every runtime's run at once on a small machine takes a while. */
const TIMEOUT_MS = 60_000;

export function addSteerTests(runtime: Runtime): void {
  const t = (name: string, fn: () => Promise<void>): void => test.concurrent(name, fn, TIMEOUT_MS);
  const control = ["--request-control", "--health-path", "/healthz", "--max-size", "4M", "--max-delay", "5s", "--admin-port", "0"];

  t("request control: status, size, close, X-Hello-* headers, 204, malformed and over-cap values; delays in order, blocking nobody; admin state through the CLI", async () => {
    await withServer(runtime, control, async (s) => {
      // Query and header controls, pipelined on one connection; the query wins over its header.
      const rs = await ask(
        s.port,
        get("/?status=418") + get("/", "X-Hello-Status: 201\r\nX-Hello-Size: 1k\r\n") + get("/?status=202", "X-Hello-Status: 500\r\n") + get("/?status=204") + get("/?size=3M") + get("/?close=1"),
        6,
      );
      expect(rs.map((r) => r.status)).toEqual([418, 201, 202, 204, 200, 200]);
      expect(bodyText(rs[0]!)).toBe("hello");
      expect(rs[1]!.body.length).toBe(1024);
      expect(header(rs[3]!, "content-length")).toBeUndefined();
      expect(rs[4]!.body.length).toBe(3 * 1024 * 1024);
      expect(header(rs[5]!, "connection")).toBe("close");

      for (const [target, reason] of [
        ["/?status=99", /^status='99': must be a status code 200\.\.599$/],
        ["/?delay=6s", /^delay='6s': above --max-delay 5s$/],
        ["/?size=5M", /^size='5M': above --max-size 4194304 bytes$/],
        ["/?close=maybe", /^close='maybe'/],
      ] as const) {
        const [r] = await ask(s.port, get(target));
        expect(r!.status).toBe(400);
        expect(bodyText(r!).trimEnd()).toMatch(reason);
        expect(header(r!, "connection")).toBe("close");
      }
      // The health path ignores control.
      expect((await ask(s.port, get("/healthz?status=500")))[0]!.status).toBe(200);

      // A delayed answer: later pipelined requests wait behind it (RFC 9112 §9.3.2), never early.
      const slow = await RawClient.connect(s.port);
      try {
        const sent = performance.now();
        slow.write(get("/?delay=1s&status=201") + get("/?status=202") + get("/"));
        // Meanwhile another connection is answered, while the delayed one still has nothing.
        expect((await ask(s.port, get("/?status=203")))[0]!.status).toBe(203);
        expect(slow.received().length).toBe(0);
        const got = await slow.waitResponses(3);
        const waited = performance.now() - sent;
        expect(got.map((r) => r.status)).toEqual([201, 202, 200]);
        expect(waited).toBeGreaterThanOrEqual(1000);
        expect(waited).toBeLessThan(3000);
        expect(slow.ended).toBe(false);
      } finally {
        slow.destroy();
      }

      // Run-time state through `hello-server admin`: unready fails only the health path, sick every other answer.
      const port = adminPort(s);
      expect(await admin(runtime, "unready", port)).toBe(`{"state":"unready"}`);
      let [health, other] = await ask(s.port, get("/healthz") + get("/"), 2);
      expect([health!.status, bodyText(health!), other!.status]).toEqual([503, "unready", 200]);
      expect(await admin(runtime, "sick", port)).toBe(`{"state":"sick"}`);
      [health, other] = await ask(s.port, get("/healthz") + get("/?status=200"), 2);
      expect([health!.status, other!.status]).toEqual([200, 500]);
      expect(await admin(runtime, "state", port)).toBe(`{"state":"sick"}`);
      expect(await admin(runtime, "ready", port)).toBe(`{"state":"ready"}`);
      expect((await ask(s.port, get("/")))[0]!.status).toBe(200);
      // Nothing on the serving port changes the state.
      expect((await ask(s.port, "POST /sick HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"))[0]!.status).toBe(200);
      expect(await admin(runtime, "state", port)).toBe(`{"state":"ready"}`);
    });
  });

  t("faults from a seed: the exact sequence of resets and failures the seed gives; a reset is an RST the client sees", async () => {
    const n = 60;
    const random = seededRandom(7);
    // Draws per request: reset first, then failure (src/respond/faults.ts).
    const expected = Array.from({ length: n }, () => (random() < 0.2 ? "reset" : random() < 0.3 ? 503 : 200));
    // Deno's socket back end has no SO_LINGER (src/adapters/deno.ts): it closes without an answer instead.
    const noRst = runtime.name === "deno" && runtime.args.includes("socket");
    await withServer(runtime, ["--reset-rate", "0.2", "--fail-rate", "0.3", "--seed", "7", "--health-path", "/healthz"], async (s) => {
      const got: Array<number | string> = [];
      for (let i = 0; i < n; i++) got.push(await outcome(s.port, "/"));
      expect(got).toEqual(expected.map((e) => (e === "reset" && noRst ? "closed" : e)));
      expect(got.filter((g) => g === (noRst ? "closed" : "reset")).length).toBeGreaterThan(5);
      // The health path is never faulted.
      for (let i = 0; i < 10; i++) expect(await outcome(s.port, "/healthz")).toBe(200);
    });
  });

  t("SIGTERM: a pending delayed answer is still sent when due, with Connection: close, then the server exits 0; one due after --shutdown-timeout is cut", async () => {
    const s = await startServer(runtime, ["--request-control", "--shutdown-timeout", "1"]);
    try {
      const due = await RawClient.connect(s.port);
      const late = await RawClient.connect(s.port);
      due.write(get("/?delay=400ms"));
      late.write(get("/?delay=5s"));
      // Most likely both requests are read before the signal (a third connection is answered first);
      // one read during the drain's grace instead ends the same way (answered with close, or cut).
      expect((await ask(s.port, get("/")))[0]!.status).toBe(200);
      s.proc.kill("SIGTERM");
      const [r] = await due.waitResponses(1, { timeoutMs: 3000 });
      expect([r!.status, header(r!, "connection")]).toEqual([200, "close"]);
      await due.waitEnd(3000);
      await late.waitEnd(3000);
      expect(late.responses().length).toBe(0);
      expect(await s.exited).toEqual({ code: 0, signal: null });
      due.destroy();
      late.destroy();
    } finally {
      await s.stop("SIGKILL");
    }
  });

  t("--reset-rate 1: every request but the health path's gets an RST: ECONNRESET in Node, curl's exit 56", async () => {
    const noRst = runtime.name === "deno" && runtime.args.includes("socket");
    await withServer(runtime, ["--reset-rate", "1", "--health-path", "/healthz"], async (s) => {
      for (let i = 0; i < 5; i++) expect(await outcome(s.port, `/${i}`)).toBe(noRst ? "closed" : "reset");
      const curl = spawnSync("curl", ["-sS", "--max-time", "5", `http://127.0.0.1:${s.port}/`], { encoding: "utf8" });
      // 56: failure receiving network data ("Connection reset by peer"); 52: empty reply (no RST).
      expect([curl.status, curl.stderr.includes(noRst ? "Empty reply" : "reset by peer")]).toEqual([noRst ? 52 : 56, true]);
      expect(await outcome(s.port, "/healthz")).toBe(200);
    });
  });

  t("--workers 2: the supervisor owns the state; every worker, and a replaced one, follows it", async () => {
    await withServer(runtime, ["--workers", "2", "--admin-port", "0", "--health-path", "/healthz"], async (s) => {
      const port = adminPort(s);
      expect(await admin(runtime, "sick", port)).toBe(`{"state":"sick"}`);
      // Fresh connections spread over both workers (SO_REUSEPORT hashes the client port).
      const allSick = async (): Promise<boolean> => {
        const statuses = await Promise.all(Array.from({ length: 16 }, () => outcome(s.port, "/")));
        return statuses.every((x) => x === 500);
      };
      // The client returns once every worker confirmed: no polling needed.
      expect(await allSick()).toBe(true);
      const workers = /worker (\d+) started/g;
      const pids = [...s.stderr().matchAll(workers)].map((m) => Number(m[1]));
      expect(pids.length).toBe(2);
      process.kill(pids[0]!, "SIGKILL");
      await until("a replacement worker", async () => [...s.stderr().matchAll(workers)].length === 3);
      expect(await allSick()).toBe(true);
      expect(await outcome(s.port, "/healthz")).toBe(200);
      expect(await admin(runtime, "ready", port)).toBe(`{"state":"ready"}`);
      expect((await Promise.all(Array.from({ length: 16 }, () => outcome(s.port, "/")))).every((x) => x === 200)).toBe(true);
    });
  });
}
