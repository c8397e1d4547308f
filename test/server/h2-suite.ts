/**
 * HTTP/2 against the real server, once per runtime × back end, with real clients: curl (prior
 * knowledge, the h2c Upgrade, https with ALPN), nghttp, h2load (correctness, not speed), node:http2
 * (several streams on one connection; a delayed stream does not hold back another), and a raw
 * socket for what `--http2 off` and `only` refuse. One server per mode per runtime, tests concurrent.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { makeTestCerts, type TestCerts } from "../helpers/certs.ts";
import { runCli, startServer, type Runtime, type RunningServer } from "../helpers/server.ts";

const HEALTH = "/hz";
const ECHO = "/echo";

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a client to its end, killed after `timeoutMs` (a bound, not a synchronisation). */
export function run(program: string, args: readonly string[], timeoutMs = 20_000, input?: string): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(program, [...args], { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    if (input !== undefined) child.stdin!.end(input);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const origin = (s: RunningServer): string => `http://${s.host.includes(":") ? `[${s.host}]` : s.host}:${s.port}`;

/** Bytes a raw client gets back for `data` until the server closes or `ms` pass. */
function rawExchange(s: RunningServer, data: string, ms = 3000): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: s.host, port: s.port }, () => socket.write(data));
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

/**
 * node:http2 under Node (a child process): one session, the delayed stream opened first and a
 * plain one right after; prints each stream's path, status and milliseconds in the order they ended.
 */
const NODE_CLIENT = `
const http2 = require("node:http2");
const [url, ...paths] = process.argv.slice(1);
const session = http2.connect(url);
const t0 = performance.now();
const done = [];
let left = paths.length;
for (const path of paths) {
  const req = session.request({ ":path": path });
  let status = 0, body = "";
  req.on("response", (h) => (status = h[":status"]));
  req.setEncoding("utf8");
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    done.push({ path, status, body, ms: Math.round(performance.now() - t0) });
    if (--left === 0) { console.log(JSON.stringify(done)); session.close(); }
  });
}
session.on("error", (e) => { console.error(String(e)); process.exit(1); });
`;

export function addHttp2Tests(runtime: Runtime, options: { tls: boolean } = { tls: runtime.args.includes("socket") }): void {
  const t = test.concurrent;
  let shared: Promise<RunningServer> | undefined;
  const server = (): Promise<RunningServer> =>
    (shared ??= startServer(runtime, ["--request-control", "--echo-path", ECHO, "--health-path", HEALTH, "--served-by", "--http2-max-streams", "50"]));

  t("curl --http2-prior-knowledge: HTTP/2 200, the configured body and fields", async () => {
    const s = await server();
    const r = await run("curl", ["-s", "-i", "--http2-prior-knowledge", `${origin(s)}/`]);
    expect(r.stdout).toMatch(/^HTTP\/2 200 \r\n/);
    expect(r.stdout).toMatch(/\r\ncontent-length: 5\r\n/);
    expect(r.stdout).toMatch(/\r\ncontent-type: text\/plain; charset=utf-8\r\n/);
    expect(r.stdout).toMatch(/\r\ndate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n/);
    expect(r.stdout).toMatch(/\r\nx-served-by: [^/\r\n]+\/\d+\r\n/);
    expect(r.stdout.endsWith("\r\n\r\nhello")).toBe(true);
  });

  t("curl --http2 to http:// upgrades (101, Upgrade: h2c) and is answered on stream 1", async () => {
    const s = await server();
    const r = await run("curl", ["-s", "-v", "--http2", `${origin(s)}/`]);
    expect(r.stderr).toContain("< HTTP/1.1 101 Switching Protocols");
    expect(r.stderr).toMatch(/< Upgrade: h2c/i);
    expect(r.stderr).toContain("< HTTP/2 200");
    expect(r.stdout).toBe("hello");
  });

  t("HEAD over HTTP/2: the same fields, no content", async () => {
    const s = await server();
    const r = await run("curl", ["-s", "-I", "--http2-prior-knowledge", `${origin(s)}/`]);
    expect(r.stdout).toMatch(/^HTTP\/2 200 \r\n/);
    expect(r.stdout).toMatch(/content-length: 5\r\n/);
    expect(r.stdout.endsWith("\r\n\r\n")).toBe(true);
  });

  t("nghttp -nv: the SETTINGS exchange (ours announce max streams and acknowledge the client's) and a 200", async () => {
    const s = await server();
    const r = await run("nghttp", ["-nv", `${origin(s)}/`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/recv SETTINGS frame <length=\d+, flags=0x00, stream_id=0>/);
    expect(r.stdout).toContain("[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):50]");
    expect(r.stdout).toMatch(/recv SETTINGS frame <length=0, flags=0x01, stream_id=0>/);
    expect(r.stdout).toMatch(/send SETTINGS frame <length=\d+, flags=0x00, stream_id=0>/);
    expect(r.stdout).toContain(":status: 200");
  });

  t("h2load -n 2000 -c 4 -m 10: every request answered 2xx", async () => {
    const s = await server();
    const r = await run("h2load", ["-n", "2000", "-c", "4", "-m", "10", `${origin(s)}/`], 30_000);
    expect(r.stdout).toContain("requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored");
    expect(r.stdout).toContain("status codes: 2000 2xx, 0 3xx, 0 4xx, 0 5xx");
  });

  t("node:http2: three streams on one connection; a delay= on one holds back none of the others", async () => {
    const s = await server();
    const r = await run("node", ["-e", NODE_CLIENT, origin(s), "/?delay=1500ms", "/", "/?status=418"]);
    expect(r.stderr).toBe("");
    const done = JSON.parse(r.stdout) as Array<{ path: string; status: number; body: string; ms: number }>;
    expect(done.map((d) => [d.path, d.status])).toEqual([
      expect.anything(),
      expect.anything(),
      ["/?delay=1500ms", 200],
    ]);
    expect(done.slice(0, 2).map((d) => d.path).sort()).toEqual(["/", "/?status=418"]);
    expect(done.find((d) => d.path === "/?status=418")!.status).toBe(418);
    // The undelayed streams end long before the delayed one is due; the delayed one not before it.
    for (const d of done.slice(0, 2)) expect(d.ms).toBeLessThan(1000);
    expect(done[2]!.ms).toBeGreaterThanOrEqual(1400);
  });

  t("the health path over HTTP/2: 200 ok, no-store", async () => {
    const s = await server();
    const r = await run("curl", ["-s", "-i", "--http2-prior-knowledge", `${origin(s)}${HEALTH}`]);
    expect(r.stdout).toMatch(/^HTTP\/2 200 \r\n/);
    expect(r.stdout).toMatch(/cache-control: no-store\r\n/);
    expect(r.stdout.endsWith("\r\n\r\nok")).toBe(true);
  });

  t("echo over HTTP/2: pseudo-fields and fields as received, the protocol and the stream id", async () => {
    const s = await server();
    const r = await run("curl", ["-s", "--http2-prior-knowledge", "-H", "X-Probe: 1", `${origin(s)}${ECHO}?a=b`]);
    const echo = JSON.parse(r.stdout) as { version: string; streamId: number; target: string; headers: Array<[string, string]> };
    expect(echo.version).toBe("HTTP/2");
    expect(echo.streamId).toBe(1);
    expect(echo.target).toBe(`${ECHO}?a=b`);
    expect(echo.headers.slice(0, 4).map(([n]) => n)).toEqual([":method", ":scheme", ":authority", ":path"]);
    expect(echo.headers).toContainEqual(["x-probe", "1"]);
  });

  t("close=1: the answer, then GOAWAY NO_ERROR", async () => {
    const s = await server();
    const r = await run("nghttp", ["-v", `${origin(s)}/?close=1`]);
    expect(r.stdout).toContain(":status: 200");
    expect(r.stdout).toMatch(/recv GOAWAY frame <length=8, flags=0x00, stream_id=0>\s+\(last_stream_id=\d+, error_code=NO_ERROR\(0x00\)/);
  });

  t("--http2 off: the preface is refused as HTTP/1.1 would refuse it", async () => {
    const s = await startServer(runtime, ["--http2", "off"]);
    try {
      const reply = await rawExchange(s, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
      expect(reply.toString("latin1")).toMatch(/^HTTP\/1\.1 [45]\d\d /);
      const h2c = await run("curl", ["-s", "-v", "--http2", `${origin(s)}/`]);
      // RFC 9110 §7.8: the Upgrade is ignored, the request answered as HTTP/1.1.
      expect(h2c.stderr).toContain("< HTTP/1.1 200 OK");
    } finally {
      await s.stop();
    }
  });

  t("--http2 only: an HTTP/1.1 request is an invalid preface (SETTINGS, then GOAWAY PROTOCOL_ERROR); h2c and --healthcheck work", async () => {
    const s = await startServer(runtime, ["--http2", "only", "--health-path", HEALTH]);
    try {
      const reply = await rawExchange(s, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      // §3.4: the server's preface (a SETTINGS frame, type 4) first, then GOAWAY (type 7) with PROTOCOL_ERROR (1).
      expect(reply[3]).toBe(0x4);
      const goaway = reply.indexOf(Buffer.from([0x00, 0x00, 0x08, 0x07]));
      expect(goaway).toBeGreaterThan(0);
      expect(reply.readUInt32BE(goaway + 9 + 4)).toBe(1);
      const h2 = await run("curl", ["-s", "--http2-prior-knowledge", `${origin(s)}/`]);
      expect(h2.stdout).toBe("hello");
      const hc = await runCli(runtime, ["--healthcheck", "--http2", "only", "--host", s.host, "--port", String(s.port), "--health-path", HEALTH]);
      expect([hc.code, hc.stderr]).toEqual([0, ""]);
      const h1 = await runCli(runtime, ["--healthcheck", "--host", s.host, "--port", String(s.port), "--health-path", HEALTH]);
      expect(h1.code).toBe(1);
    } finally {
      await s.stop();
    }
  });

  if (options.tls) {
    let certs: TestCerts;
    beforeAll(() => {
      certs = makeTestCerts();
    });
    afterAll(() => certs.remove());

    t("https: curl --http2 negotiates h2 by ALPN; a client offering only http/1.1 still gets it", async () => {
      const s = await startServer(runtime, ["--tls-cert", certs.cert, "--tls-key", certs.key]);
      try {
        const url = `https://localhost:${s.port}/`;
        const h2 = await run("curl", ["-s", "-v", "--cacert", certs.ca, "--http2", url]);
        expect(h2.stderr).toContain("ALPN: server accepted h2");
        expect(h2.stderr).toContain("< HTTP/2 200");
        expect(h2.stdout).toBe("hello");
        const h1 = await run("curl", ["-s", "-v", "--cacert", certs.ca, "--http1.1", url]);
        expect(h1.stderr).toContain("ALPN: server accepted http/1.1");
        expect(h1.stdout).toBe("hello");
      } finally {
        await s.stop();
      }
    });
  }
}
