/**
 * What a cluster needs from the server, run once per runtime and back end
 * against the real server over TCP: the health path (and --healthcheck on
 * it), the shutdown delay after SIGTERM, IPv4 and IPv6 on one dual-stack
 * socket and on IPv6 literals, and JSON lifecycle lines.
 */
import { expect, test } from "bun:test";
import { bodyText, header, type ParsedResponse } from "../helpers/http-parse.ts";
import { RawClient } from "../helpers/raw-client.ts";
import { runCli, startServer, withServer, type Runtime } from "../helpers/server.ts";

const get = (target: string, method = "GET") => `${method} ${target} HTTP/1.1\r\nHost: a\r\n\r\n`;

/** One request on a fresh connection to host:port; the connection is closed afterwards. */
async function ask(host: string, port: number, bytes: string, n = 1, head = false): Promise<ParsedResponse[]> {
  const c = await RawClient.connect(port, host);
  try {
    c.write(bytes);
    return await c.waitResponses(n, head ? { noBody: () => true } : {});
  } finally {
    c.destroy();
  }
}

/** Resolves to the error code of a refused connection, or "connected". */
function tryConnect(host: string, port: number): Promise<string> {
  return RawClient.connect(port, host).then(
    (c) => {
      c.destroy();
      return "connected";
    },
    (e: NodeJS.ErrnoException) => e.code ?? e.message,
  );
}

/** Polls (bounded) until `cond` resolves true: for a state change with no event to wait on. */
async function until(what: string, cond: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function addClusterTests(runtime: Runtime): void {
  const t = test.concurrent;

  t("--health-path: 200 ok whatever --status says (a query too), HEAD without a body, other paths keep the configured answer; --healthcheck probes it", async () => {
    await withServer(runtime, ["--status", "500", "--body", "configured", "--health-path", "/healthz"], async (s) => {
      const rs = await ask(s.host, s.port, get("/healthz") + get("/healthz?probe=1") + get("/") + get("/healthz/x") + get("/other"), 5);
      expect(rs.map((r) => r.status)).toEqual([200, 200, 500, 500, 500]);
      expect(bodyText(rs[0]!)).toBe("ok");
      expect(bodyText(rs[1]!)).toBe("ok");
      expect(bodyText(rs[2]!)).toBe("configured");
      const [h] = await ask(s.host, s.port, get("/healthz", "HEAD"), 1, true);
      expect(h!.status).toBe(200);
      expect(header(h!, "content-length")).toBe("2");
      expect(h!.body.length).toBe(0);
      const common = ["--healthcheck", "--host", s.host, "--port", String(s.port), "--status", "500"];
      // With the health path, --healthcheck wants its 200 (the configured 500 no longer matters)…
      expect((await runCli(runtime, [...common, "--health-path", "/healthz"])).code).toBe(0);
      // …and without it, the configured status on /.
      expect((await runCli(runtime, common)).code).toBe(0);
      expect((await runCli(runtime, [...common, "--health-path", "/nothing-here"])).code).toBe(1);
    });
  }, 30_000);

  t("--shutdown-delay: after SIGTERM the server keeps accepting and serving, every answer with Connection: close, the health path 503; then it drains and exits 0", async () => {
    // Long enough for the checks below on a loaded 2-CPU machine (a --healthcheck process start included).
    const DELAY_S = 8;
    const s = await startServer(runtime, ["--shutdown-delay", String(DELAY_S), "--health-path", "/healthz"]);
    const kept = await RawClient.connect(s.port, s.host);
    try {
      kept.write(get("/"));
      const [before] = await kept.waitResponses(1);
      expect(header(before!, "connection")).toBe(undefined);
      expect((await ask(s.host, s.port, get("/healthz")))[0]!.status).toBe(200);
      const signalled = Date.now();
      s.proc.kill("SIGTERM");
      await until("the health path to answer 503", async () => (await ask(s.host, s.port, get("/healthz")))[0]!.status === 503);
      const healthcheck = runCli(runtime, ["--healthcheck", "--host", s.host, "--port", String(s.port), "--health-path", "/healthz"]);
      // A new connection after the signal is accepted and served (without the delay the listener would be closed).
      const [fresh] = await ask(s.host, s.port, get("/"));
      expect(fresh!.status).toBe(200);
      expect(bodyText(fresh!)).toBe("hello");
      expect(header(fresh!, "connection")).toBe("close");
      // A connection kept alive from before the signal: its next answer closes it.
      kept.write(get("/"));
      await kept.waitEnd();
      const rs = kept.responses();
      expect(rs.length).toBe(2);
      expect(header(rs[1]!, "connection")).toBe("close");
      const hc = await healthcheck;
      expect(hc.code).toBe(1);
      expect(hc.stderr).toContain("status 503, expected 200");
      const exit = await s.exited;
      const took = Date.now() - signalled;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(took).toBeGreaterThanOrEqual(DELAY_S * 1000 - 100);
      expect(took).toBeLessThan(DELAY_S * 1000 + 5000);
      expect(s.stderr()).toContain(`hello-server: shutdown delay: serving ${DELAY_S} s more`);
      expect(s.stderr()).toContain("hello-server: shutdown done");
    } finally {
      kept.destroy();
      await s.stop("SIGKILL");
    }
  }, 40_000);

  t("--shutdown-delay: SIGINT drains at once", async () => {
    const s = await startServer(runtime, ["--shutdown-delay", "30"]);
    try {
      const sent = Date.now();
      s.proc.kill("SIGINT");
      expect(await s.exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - sent).toBeLessThan(5000);
    } finally {
      await s.stop("SIGKILL");
    }
  }, 30_000);

  t("--host :: is one dual-stack socket: IPv4 and IPv6 clients are both served; the listening line says so", async () => {
    await withServer(runtime, ["--host", "::"], async (s) => {
      expect(s.stderr()).toContain(`listening on http://[::]:${s.port} (dual-stack, `);
      for (const host of ["127.0.0.1", "::1"]) {
        const [r] = await ask(host, s.port, get("/"));
        expect(r!.status).toBe(200);
        expect(bodyText(r!)).toBe("hello");
      }
    });
  }, 30_000);

  t("--host ::1, [::1] and a long IPv6 literal bind IPv6 loopback only", async () => {
    for (const literal of ["::1", "[::1]", "0:0:0:0:0:0:0:1"]) {
      await withServer(runtime, ["--host", literal], async (s) => {
        const [r] = await ask(s.host, s.port, get("/"));
        expect(r!.status).toBe(200);
        expect(bodyText(r!)).toBe("hello");
        expect(await tryConnect("::1", s.port)).toBe("connected");
        expect(await tryConnect("127.0.0.1", s.port)).toBe("ECONNREFUSED");
      });
    }
  }, 30_000);

  t("--host 127.0.0.1 serves IPv4 only", async () => {
    await withServer(runtime, [], async (s) => {
      expect((await ask("127.0.0.1", s.port, get("/")))[0]!.status).toBe(200);
      expect(await tryConnect("::1", s.port)).toBe("ECONNREFUSED");
    });
  }, 30_000);

  t("--log-format json: every lifecycle line is one JSON object (time, level, event, pid, worker, message)", async () => {
    const s = await startServer(runtime, ["--log-format", "json"]);
    s.proc.kill("SIGTERM");
    expect(await s.exited).toEqual({ code: 0, signal: null });
    const lines = s.stderr().trimEnd().split("\n");
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((r) => r.event)).toEqual(["listening", "worker_started", "shutdown_begun", "shutdown_done"]);
    for (const r of records) {
      expect(Object.keys(r)).toEqual(["time", "level", "event", "pid", "worker", "message"]);
      expect(r.pid).toBe(s.pid);
      expect(r.level).toBe("info");
      expect(Math.abs(Date.parse(r.time as string) - Date.now())).toBeLessThan(60_000);
      expect(r.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    expect(records[0]!.message).toBe(`listening on http://127.0.0.1:${s.port} (${(records[0]!.message as string).split("(")[1]}`);
    expect(records[0]!.worker).toBe(null);
    expect(records[1]).toMatchObject({ worker: s.pid, message: `worker ${s.pid} started` });
    expect(records[2]!.message).toBe("shutdown begun (SIGTERM)");
  }, 30_000);
}
