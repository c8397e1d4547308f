/**
 * --access-log text|json against the real server: the lines match what the clients got (count,
 * status, bytes) for a GET, a HEAD, a refusal (raw malformed request → 400 with its reason), an
 * h2c stream (its stream id), a gRPC Check (grpc-status), a WebSocket session (one line at its
 * close with its message counts) and an injected fault; `--workers 2` lines arrive whole on the
 * supervisor's stdout; a stdout nobody reads does not stall serving, and the lines lost are
 * counted in hello_access_log_dropped_total.
 *
 * Needs dist/hello-server.js (`npm run build`). TEST_RUNTIMES=bun,node narrows the runtimes.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { connect as h2connect, type ClientHttp2Session } from "node:http2";
import { connect, createServer } from "node:net";
import { assertBundle, selectedRuntimes, startServer, stopAll, type Runtime, type RunningServer } from "../helpers/server.ts";

assertBundle();
afterAll(stopAll);

/** The runtime × back end entries the issue names: each runtime's socket back end, one FFI loop per runtime. */
const LABELS = ["bun", "deno-syscall", "node", "node-uring", "bun-uring"];
const FORMATS = ["text", "json"] as const;
const WAIT_MS = 5000;

/** What the tests read of a line, from either format. */
interface Line {
  method: string;
  target: string;
  protocol: string;
  status: number;
  bytes: number;
  userAgent: string | null;
  requestId: string | null;
  forwardedFor: string | null;
  referer: string | null;
  durationUs: number;
  pid: number;
  streamId: number;
  refused: string | null;
  fault: string | null;
  grpcStatus: number | null;
  wsReceived: number | null;
  wsSent: number | null;
}

const TEXT_LINE = /^(\S+) - - \[[^\]]+\] "(\S+) (\S+) (\S+)" (\d+) (\d+) "([^"]*)" "([^"]*)" (\d+) (\d+)(.*)$/;

function parseLine(format: (typeof FORMATS)[number], raw: string): Line {
  if (format === "json") {
    const o = JSON.parse(raw);
    return {
      method: o.method,
      target: o.target,
      protocol: o.protocol,
      status: o.status,
      bytes: o.bytes,
      userAgent: o.user_agent,
      requestId: o.request_id,
      forwardedFor: o.forwarded_for,
      referer: o.referer,
      durationUs: o.duration_us,
      pid: o.pid,
      streamId: o.stream_id ?? 0,
      refused: o.refused,
      fault: o.fault,
      grpcStatus: o.grpc_status,
      wsReceived: o.ws_received,
      wsSent: o.ws_sent,
    };
  }
  const m = TEXT_LINE.exec(raw);
  if (m === null) throw new Error(`not a text access-log line: ${raw}`);
  const extra = new Map<string, string>();
  for (const kv of m[11]!.matchAll(/ (\w+)=("[^"]*"|\S+)/g)) extra.set(kv[1]!, kv[2]!.replace(/^"|"$/g, ""));
  const dash = (v: string) => (v === "-" ? null : v);
  const num = (k: string) => (extra.has(k) ? Number(extra.get(k)) : null);
  return {
    method: m[2]!,
    target: m[3]!,
    protocol: m[4]!,
    status: Number(m[5]),
    bytes: Number(m[6]),
    referer: dash(m[7]!),
    userAgent: dash(m[8]!),
    durationUs: Number(m[9]),
    pid: Number(m[10]),
    requestId: extra.get("request_id") ?? null,
    forwardedFor: extra.get("xff") ?? null,
    streamId: num("stream") ?? 0,
    refused: extra.get("refused") ?? null,
    fault: extra.get("fault") ?? null,
    grpcStatus: num("grpc_status"),
    wsReceived: num("ws_received"),
    wsSent: num("ws_sent"),
  };
}

/** The server's stdout as lines, and a bounded wait for `n` of them. */
function collect(s: RunningServer): { lines: string[]; waitFor(n: number): Promise<string[]> } {
  const lines: string[] = [];
  let partial = "";
  let wake: (() => void) | null = null;
  s.proc.stdout!.setEncoding("utf8");
  s.proc.stdout!.on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop()!;
    lines.push(...parts);
    wake?.();
  });
  return {
    lines,
    async waitFor(n) {
      const until = Date.now() + WAIT_MS;
      while (lines.length < n) {
        const left = until - Date.now();
        if (left <= 0) throw new Error(`${lines.length} access-log lines, expected ${n}; the first: ${lines[0]?.slice(0, 300)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
      return lines;
    },
  };
}

/** A raw request, and what came back until the server closed: status and content length. */
function raw(s: RunningServer, bytes: string): Promise<{ status: number; bodyBytes: number }> {
  return new Promise((resolve, reject) => {
    const sock = connect(s.port, s.host, () => sock.write(bytes));
    let got = "";
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => (got += d));
    sock.on("error", reject);
    sock.on("close", () => {
      const at = got.indexOf("\r\n\r\n");
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 0), bodyBytes: at < 0 ? -1 : got.length - at - 4 });
    });
  });
}

function h2request(session: ClientHttp2Session, headers: Record<string, string>, body?: Uint8Array): Promise<{ status: number; bytes: number; grpcStatus: string | null }> {
  return new Promise((resolve, reject) => {
    const req = session.request(headers);
    let status = 0;
    let bytes = 0;
    let grpcStatus: string | null = null;
    req.on("response", (h) => {
      status = Number(h[":status"]);
      if (h["grpc-status"] !== undefined) grpcStatus = String(h["grpc-status"]);
    });
    req.on("trailers", (t) => (grpcStatus = String(t["grpc-status"])));
    req.on("data", (d: Uint8Array) => (bytes += d.length));
    req.on("end", () => resolve({ status, bytes, grpcStatus }));
    req.on("error", reject);
    req.end(body);
  });
}

/** A WebSocket session: `n` messages echoed, then a normal close. */
function webSocket(s: RunningServer, n: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${s.host}:${s.port}/ws`);
    let echoed = 0;
    ws.onopen = () => {
      for (let i = 0; i < n; i++) ws.send(`m${i}`);
    };
    ws.onmessage = () => {
      if (++echoed === n) ws.close(1000);
    };
    ws.onclose = () => resolve(echoed);
    ws.onerror = () => reject(new Error("websocket error"));
  });
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

for (const runtime of selectedRuntimes().filter((r) => LABELS.includes(r.label))) {
  describe(`${runtime.label}: --access-log`, () => {
    for (const format of FORMATS) {
      test(`${format}: GET, HEAD, a refusal, an h2c stream, a gRPC Check and a WebSocket session, one line each as the clients saw them`, async () => {
        await logsWhatClientsGot(runtime, format);
      }, 30_000);

      test(`${format}: --fail-rate 1 says which fault`, async () => {
        const s = await startServer(runtime, ["--access-log", format, "--fail-rate", "1"]);
        try {
          const out = collect(s);
          const res = await fetch(`http://${s.host}:${s.port}/f`);
          const body = await res.arrayBuffer();
          const [line] = (await out.waitFor(1)).map((l) => parseLine(format, l));
          expect(line).toMatchObject({ method: "GET", target: "/f", status: res.status, bytes: body.byteLength, fault: "error" });
          expect(res.status).toBe(503);
        } finally {
          await s.stop("SIGKILL");
        }
      }, 30_000);
    }

    // Deno's supervisor reopens its stdout through /proc (output.ts says why), which a socket refuses, and the
    // stdout this harness gives a server is a socketpair (Bun's spawn): Deno is left out here, its lines are counted as dropped.
    test.skipIf(runtime.name === "deno")("--workers 2: every line on the supervisor's stdout is whole", async () => {
      const s = await startServer(runtime, ["--access-log", "json", "--workers", "2", "--http2", "off"]);
      try {
        const out = collect(s);
        const n = 400;
        // Long targets make lines of ~0.6 KiB: several per 4 KiB write, so two workers' writes would interleave mid-line if they could.
        const long = "x".repeat(300);
        // 50 at a time: the lines of both workers still share turns, without a connect burst past the accept queue.
        for (let from = 0; from < n; from += 50) {
          await Promise.all(Array.from({ length: 50 }, (_, k) => fetch(`http://${s.host}:${s.port}/${from + k}/${long}`).then((r) => r.arrayBuffer())));
        }
        const lines = (await out.waitFor(n)).map((l) => parseLine("json", l));
        expect(lines.length).toBe(n);
        expect(new Set(lines.map((l) => Number(l.target.split("/")[1]))).size).toBe(n);
        for (const l of lines) expect(l.status).toBe(200);
      } finally {
        await s.stop("SIGKILL");
      }
    }, 60_000);

    test("a stdout nobody reads: serving goes on, the lines lost are counted", async () => {
      const metricsPort = await freePort();
      const s = await startServer(runtime, ["--access-log", "text", "--metrics-port", String(metricsPort), "--http2", "off"]);
      try {
        // Stop reading: the pipe (64 KiB) fills, then the writer's bound (256 KiB), then lines drop.
        s.proc.stdout!.pause();
        const n = 4000;
        const target = `/${"y".repeat(200)}`;
        let ok = 0;
        for (let batch = 0; batch < n / 100; batch++) {
          const got = await Promise.all(Array.from({ length: 100 }, () => fetch(`http://${s.host}:${s.port}${target}`).then((r) => r.status)));
          ok += got.filter((st) => st === 200).length;
        }
        expect(ok).toBe(n);
        const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        const dropped = Number(/^hello_access_log_dropped_total (\d+)/m.exec(metrics)?.[1]);
        expect(dropped).toBeGreaterThan(0);
        expect(dropped).toBeLessThan(n);
      } finally {
        await s.stop("SIGKILL");
      }
    }, 120_000);
  });
}

async function logsWhatClientsGot(runtime: Runtime, format: (typeof FORMATS)[number]): Promise<void> {
  const s = await startServer(runtime, ["--access-log", format, "--ws-echo-path", "/ws", "--health-path", "/healthz"]);
  let session: ClientHttp2Session | null = null;
  try {
    const out = collect(s);
    const base = `http://${s.host}:${s.port}`;
    const get = await fetch(`${base}/a?b=1`, { headers: { "user-agent": "al-test", "x-request-id": "rid-1", "x-forwarded-for": "10.1.2.3", referer: "http://r/" } });
    const getBytes = (await get.arrayBuffer()).byteLength;
    await out.waitFor(1);
    const head = await fetch(`${base}/h`, { method: "HEAD" });
    await head.arrayBuffer();
    await out.waitFor(2);
    // The health path is no request a responder sees: not logged.
    await (await fetch(`${base}/healthz`)).arrayBuffer();
    const refused = await raw(s, "GET / HTTP/1.1\r\nHost example\r\n\r\n");
    await out.waitFor(3);
    session = h2connect(base);
    const h2 = await h2request(session, { ":method": "GET", ":path": "/h2" });
    await out.waitFor(4);
    // grpc.health.v1.Health/Check with an empty HealthCheckRequest: one uncompressed, empty message.
    const check = await h2request(session, { ":method": "POST", ":path": "/grpc.health.v1.Health/Check", "content-type": "application/grpc", te: "trailers" }, new Uint8Array(5));
    await out.waitFor(5);
    const echoed = await webSocket(s, 3);
    const lines = (await out.waitFor(6)).map((l) => parseLine(format, l));
    expect(lines.length).toBe(6);
    const [a, b, c, d, e, f] = lines as [Line, Line, Line, Line, Line, Line];
    expect(a).toMatchObject({ method: "GET", target: "/a?b=1", protocol: "HTTP/1.1", status: get.status, bytes: getBytes, userAgent: "al-test", requestId: "rid-1", forwardedFor: "10.1.2.3", referer: "http://r/", streamId: 0, refused: null, fault: null });
    expect(a.pid).toBe(s.pid);
    expect(a.durationUs).toBeGreaterThanOrEqual(0);
    expect(b).toMatchObject({ method: "HEAD", target: "/h", status: head.status, bytes: 0 });
    expect(refused.status).toBe(400);
    expect(c).toMatchObject({ status: refused.status, bytes: refused.bodyBytes });
    expect(c.refused).toMatch(/^[a-z_]+$/);
    expect(d).toMatchObject({ method: "GET", target: "/h2", protocol: "HTTP/2.0", status: h2.status, bytes: h2.bytes, streamId: 1 });
    expect(check.grpcStatus).toBe("0");
    expect(e).toMatchObject({ method: "POST", target: "/grpc.health.v1.Health/Check", protocol: "HTTP/2.0", status: 200, grpcStatus: 0, streamId: 3, bytes: check.bytes });
    expect(echoed).toBe(3);
    expect(f).toMatchObject({ method: "GET", target: "/ws", status: 101, wsReceived: 3, wsSent: 3 });
  } finally {
    session?.destroy();
    await s.stop("SIGKILL");
  }
}
