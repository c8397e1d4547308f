/**
 * gRPC against the real server, once per runtime × back end, with real clients: Debian's
 * python3-grpcio (test/grpc/clients/grpc_client.py, generic calls with raw protobuf), @grpc/grpc-js
 * on Node and on Bun, h2load (correctness, not speed), curl for what is not gRPC, and the
 * `--healthcheck-grpc` probe. A few servers per runtime, each shared by the tests that can share
 * it; tests concurrent.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTestCerts, type TestCerts } from "../helpers/certs.ts";
import { ROOT, runCli, startServer, type Runtime, type RunningServer } from "../helpers/server.ts";
import { run } from "./h2-suite.ts";

const PYTHON = "/usr/bin/python3";
const CLIENTS = join(ROOT, "test", "grpc", "clients");
const GRPC_CLIENT = join(CLIENTS, "grpc_client.py");
const WATCH_EVENTS = join(CLIENTS, "watch_events.py");
const GRPCJS_CLIENT = join(CLIENTS, "grpcjs_client.cjs");
const BUN = join(ROOT, "node_modules", ".bin", "bun");
const ADMIN_LINE = /admin on http:\/\/[^\s]+:(\d+)/;
const TIMEOUT_MS = 60_000;

interface CallResult {
  code: string;
  details: string | null;
  status?: string;
  statuses?: string[];
  reply?: { message: string; metadata: Array<[string, string]>; pid?: number; protocol?: string; peer?: string };
  hex?: string;
}

const target = (s: RunningServer): string => `${s.host}:${s.port}`;

/** grpc_client.py TARGET [options…] COMMAND ARGS: its one JSON line. */
async function py(s: RunningServer | string, args: readonly string[]): Promise<CallResult> {
  const r = await run(PYTHON, [GRPC_CLIENT, typeof s === "string" ? s : target(s), ...args]);
  if (r.code !== 0) throw new Error(`grpc_client.py ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as CallResult;
}

/** One unary call through @grpc/grpc-js under `program` (node or bun). */
async function grpcJs(program: string, s: RunningServer, path: string, hex: string): Promise<{ code: number; details: string | null; hex?: string }> {
  const r = await run(program, [GRPCJS_CLIENT, target(s), path, hex]);
  if (r.code !== 0) throw new Error(`grpcjs_client.cjs under ${program}: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { code: number; details: string | null; hex?: string };
}

function adminPort(s: RunningServer): number {
  const m = ADMIN_LINE.exec(s.stderr());
  if (m === null) throw new Error(`no admin line in: ${s.stderr()}`);
  return Number(m[1]);
}

async function admin(runtime: Runtime, action: string, port: number): Promise<void> {
  const r = await runCli(runtime, ["admin", action, "--admin-port", String(port)]);
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toBe(`{"state":"${action}"}`);
}

/** `--healthcheck-grpc` through this runtime, as kubelet's exec probe would run it. */
async function probe(runtime: Runtime, s: RunningServer, extra: readonly string[] = []): Promise<{ code: number | null; stderr: string }> {
  return runCli(runtime, ["--healthcheck-grpc", "--host", s.host, "--port", String(s.port), ...extra]);
}

interface WatchEvent {
  ch: number;
  pid?: number | null;
  status?: string;
  end?: string;
}

/** watch_events.py, its events as they come; `until` resolves once a predicate over them holds (bounded). */
function watchEvents(s: RunningServer, n: number) {
  const child = spawn(PYTHON, [WATCH_EVENTS, target(s), String(n), "20"], { cwd: CLIENTS, stdio: ["ignore", "pipe", "pipe"] });
  const events: WatchEvent[] = [];
  let stderr = "";
  let buffered = "";
  const waiters = new Set<() => void>();
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  child.stdout!.setEncoding("utf8").on("data", (c: string) => {
    buffered += c;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      events.push(JSON.parse(buffered.slice(0, nl)) as WatchEvent);
      buffered = buffered.slice(nl + 1);
    }
    for (const w of [...waiters]) w();
  });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const until = (what: string, cond: (e: readonly WatchEvent[]) => boolean, ms: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (!cond(events)) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no ${what} within ${ms} ms; events ${JSON.stringify(events)}; stderr ${stderr}`));
      }, ms);
      waiters.add(check);
      check();
    });
  return { events, until, exited, stop: () => child.kill("SIGKILL") };
}

/** How many channels have an event `pick` takes. */
const perChannel = (events: readonly WatchEvent[], pick: (e: WatchEvent) => boolean): number => new Set(events.filter(pick).map((e) => e.ch)).size;

export function addGrpcTests(runtime: Runtime, options: { tls: boolean } = { tls: runtime.args.includes("socket") }): void {
  const t = (name: string, fn: () => Promise<void>): void => test.concurrent(name, fn, TIMEOUT_MS);
  let shared: Promise<RunningServer> | undefined;
  const server = (): Promise<RunningServer> => (shared ??= startServer(runtime, ["--request-control", "--grpc-service", "foo.Bar", "--max-delay", "5s"]));

  t("python grpcio Check: \"\" and a --grpc-service name SERVING, an unknown name NOT_FOUND (5)", async () => {
    const s = await server();
    const [empty, named, unknown] = await Promise.all([py(s, ["check", ""]), py(s, ["check", "foo.Bar"]), py(s, ["check", "nope.Nope"])]);
    expect(empty).toEqual({ code: "OK", details: null, status: "SERVING" });
    expect(named).toEqual({ code: "OK", details: null, status: "SERVING" });
    expect(unknown.code).toBe("NOT_FOUND");
  });

  t("python grpcio Echo: the message bytes, the metadata as sent, h2c, this worker's pid", async () => {
    const s = await server();
    const r = await py(s, ["--metadata", "x-trace=abc 123", "echo", "héllo"]);
    expect(r.code).toBe("OK");
    expect(r.reply!.message).toBe("héllo");
    expect(r.reply!.metadata).toContainEqual(["x-trace", "abc 123"]);
    expect(r.reply!.metadata).toContainEqual(["content-type", "application/grpc"]);
    expect(r.reply!.protocol).toBe("h2c");
    expect(r.reply!.pid).toBe(s.pid);
    expect(r.reply!.peer).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  t("deadlines: x-hello-delay past the call's timeout → DEADLINE_EXCEEDED; within it → OK", async () => {
    const s = await server();
    const [late, inTime] = await Promise.all([
      py(s, ["--timeout", "0.3", "--metadata", "x-hello-delay=2s", "echo", "x"]),
      py(s, ["--timeout", "3", "--metadata", "x-hello-delay=100ms", "echo", "x"]),
    ]);
    expect(late.code).toBe("DEADLINE_EXCEEDED");
    expect(inTime.code).toBe("OK");
  });

  t("x-hello-grpc-status picks the status; 17 is INVALID_ARGUMENT; health is never steered by it", async () => {
    const s = await server();
    const [seven, bad, check] = await Promise.all([
      py(s, ["--metadata", "x-hello-grpc-status=7", "echo", "x"]),
      py(s, ["--metadata", "x-hello-grpc-status=17", "echo", "x"]),
      py(s, ["--metadata", "x-hello-grpc-status=14", "--metadata", "x-hello-delay=5s", "--timeout", "2", "check", ""]),
    ]);
    expect(seven.code).toBe("PERMISSION_DENIED");
    expect(bad.code).toBe("INVALID_ARGUMENT");
    expect(check).toEqual({ code: "OK", details: null, status: "SERVING" });
  });

  t("an unknown method → UNIMPLEMENTED (12); a wrong content-type → HTTP 415; a plain GET stays HTTP", async () => {
    const s = await server();
    const base = `http://${target(s)}`;
    const [unknown, wrongType, plain] = await Promise.all([
      py(s, ["call", "/nope.Service/Method", ""]),
      run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--http2-prior-knowledge", "-X", "POST", "-H", "content-type: application/json", "-d", "{}", `${base}/grpc.health.v1.Health/Check`]),
      run("curl", ["-s", "--http2-prior-knowledge", `${base}/`]),
    ]);
    expect(unknown.code).toBe("UNIMPLEMENTED");
    expect(wrongType.stdout).toBe("415");
    expect(plain.stdout).toBe("hello");
  });

  for (const program of ["node", BUN]) {
    const name = program === "node" ? "node" : "bun";
    t(`@grpc/grpc-js client on ${name}: Check SERVING (08 01), Echo returns the message`, async () => {
      const s = await server();
      const [check, echo] = await Promise.all([grpcJs(program, s, "/grpc.health.v1.Health/Check", ""), grpcJs(program, s, "/hello.v1.Echo/Echo", "0a026869")]);
      expect(check).toEqual({ code: 0, details: null, hex: "0801" });
      expect(echo.code).toBe(0);
      // Field 1 (the message) comes first: 0a 02 "hi".
      expect(echo.hex!.startsWith("0a026869")).toBe(true);
    });
  }

  t("h2load: 1000 unary Checks (-c 4 -m 10), every one 200", async () => {
    const s = await server();
    const dir = mkdtempSync(join(tmpdir(), "grpc-h2load-"));
    try {
      const body = join(dir, "check.bin");
      writeFileSync(body, Uint8Array.of(0, 0, 0, 0, 0));
      const r = await run("h2load", ["-n", "1000", "-c", "4", "-m", "10", "-d", body, "-H", "content-type: application/grpc", "-H", "te: trailers", `http://${target(s)}/grpc.health.v1.Health/Check`], 30_000);
      expect(r.stdout).toContain("requests: 1000 total, 1000 started, 1000 done, 1000 succeeded, 0 failed, 0 errored");
      expect(r.stdout).toContain("status codes: 1000 2xx, 0 3xx, 0 4xx, 0 5xx");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  t("--healthcheck-grpc against the running server: exit 0; against a closed port: exit 1", async () => {
    const s = await server();
    const ok = await probe(runtime, s);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    const closed = await runCli(runtime, ["--healthcheck-grpc", "--host", "127.0.0.1", "--port", "1"]);
    expect(closed.code).toBe(1);
    expect(closed.stderr).toContain("unhealthy");
  });

  t("--fail-rate 1 → Echo UNAVAILABLE (14, from 503); --reset-rate 1 → a reset; health stays SERVING under both", async () => {
    const [failing, resetting] = await Promise.all([startServer(runtime, ["--fail-rate", "1"]), startServer(runtime, ["--reset-rate", "1"])]);
    try {
      const [fail, failCheck, reset, resetCheck] = await Promise.all([py(failing, ["echo", "x"]), py(failing, ["check", ""]), py(resetting, ["echo", "x"]), py(resetting, ["check", ""])]);
      expect(fail.code).toBe("UNAVAILABLE");
      expect(failCheck.status).toBe("SERVING");
      expect(reset.code).toBe("INTERNAL");
      expect(reset.details).toMatch(/RST_STREAM/);
      expect(resetCheck.status).toBe("SERVING");
    } finally {
      await Promise.all([failing.stop("SIGKILL"), resetting.stop("SIGKILL")]);
    }
  });

  t("--workers 2: every worker's Watch sees admin unready within 1 s; sick → Echo INTERNAL, health SERVING; drain ends the streams with OK", async () => {
    const s = await startServer(runtime, ["--workers", "2", "--admin-port", "0"]);
    const n = 12;
    const watch = watchEvents(s, n);
    try {
      const port = adminPort(s);
      await watch.until("every stream's first message", (e) => perChannel(e, (x) => x.status === "SERVING") === n, 20_000);
      // Connections spread over both workers (SO_REUSEPORT hashes the client's port): 12 on one alone is 2^-11.
      const pids = new Set(watch.events.filter((e) => e.pid !== undefined).map((e) => e.pid));
      expect(pids.size).toBe(2);
      await admin(runtime, "unready", port);
      await watch.until("NOT_SERVING on every stream", (e) => perChannel(e, (x) => x.status === "NOT_SERVING") === n, 1000);
      expect((await probe(runtime, s)).code).toBe(1);
      await admin(runtime, "sick", port);
      await watch.until("SERVING again (sick is serving)", (e) => e.filter((x) => x.status === "SERVING").length === 2 * n, 1000);
      const [echo, check] = await Promise.all([py(s, ["echo", "x"]), py(s, ["check", ""])]);
      expect(echo.code).toBe("INTERNAL");
      expect(check.status).toBe("SERVING");
      const exit = s.stop("SIGTERM");
      await watch.until("NOT_SERVING then OK at the drain", (e) => perChannel(e, (x) => x.end === "OK") === n, 5000);
      expect(watch.events.filter((x) => x.status === "NOT_SERVING").length).toBe(2 * n);
      expect((await exit).code).toBe(0);
    } finally {
      watch.stop();
      await s.stop("SIGKILL");
    }
  });

  if (options.tls) {
    let certs: TestCerts;
    beforeAll(() => {
      certs = makeTestCerts();
    });
    afterAll(() => certs.remove());

    t("gRPC over TLS (ALPN h2): python grpcio with the test CA, Check and Echo; --healthcheck-grpc over h2", async () => {
      const s = await startServer(runtime, ["--tls-cert", certs.cert, "--tls-key", certs.key]);
      try {
        const to = `localhost:${s.port}`;
        const [check, echo] = await Promise.all([py(to, ["--ca", certs.ca, "check", ""]), py(to, ["--ca", certs.ca, "echo", "secret"])]);
        expect(check).toEqual({ code: "OK", details: null, status: "SERVING" });
        expect(echo.reply!.message).toBe("secret");
        expect(echo.reply!.protocol).toBe("h2");
        const probed = await probe(runtime, s, ["--tls-cert", certs.cert, "--tls-key", certs.key]);
        expect(probed.stderr).toBe("");
        expect(probed.code).toBe(0);
      } finally {
        await s.stop("SIGKILL");
      }
    });
  }
}
