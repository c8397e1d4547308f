/**
 * The behavioural suite, run once per runtime against the real server over
 * TCP (srvx's `addTests` shape): keep-alive, pipelining, HTTP/1.0, HEAD,
 * bodies, Connection: close, 100-continue, timeouts, a client that never
 * reads, the CLI flags, and graceful SIGTERM.
 */
import { expect, test } from "bun:test";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { bodyText, header } from "../helpers/http-parse.ts";
import { GET, RawClient, request } from "../helpers/raw-client.ts";
import { rssKiB, runCli, startServer, type Runtime, type RunningServer } from "../helpers/server.ts";

const run = promisify(execFile);

async function curl(...args: string[]): Promise<string> {
  const { stdout } = await run("curl", ["-sS", "--max-time", "5", ...args]);
  return stdout;
}

/** Serves `fn` a fresh server with `args`, always stopped afterwards. */
async function withServer<T>(runtime: Runtime, args: string[], fn: (s: RunningServer) => Promise<T>): Promise<T> {
  const s = await startServer(runtime, args);
  try {
    return await fn(s);
  } finally {
    await s.stop();
  }
}

export function addBehaviourTests(runtime: Runtime, server: () => Promise<RunningServer>): void {
  const t = test.concurrent;

  t("fetch: status, body and fields", async () => {
    const { port } = await server();
    const res = await fetch(`http://127.0.0.1:${port}/any/path?x=1`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("hello");
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(res.headers.get("content-length")).toBe("5");
    expect(res.headers.get("server")).toBe("hello-server");
    expect(Date.parse(res.headers.get("date") ?? "")).toBeGreaterThan(Date.now() - 60_000);
  });

  t("the Date field follows the clock (refreshed at least once a second, RFC 9110 §6.6.1)", async () => {
    const { port } = await server();
    const c = await RawClient.connect(port);
    try {
      c.write(GET);
      const first = header((await c.waitResponses(1))[0]!, "date");
      // Poll (bounded) until a later second shows up; a stale cache never gets there.
      let latest = first;
      for (let i = 1; i <= 30 && latest === first; i++) {
        await new Promise((r) => setTimeout(r, 100));
        c.write(GET);
        latest = header((await c.waitResponses(i + 1))[i]!, "date");
      }
      expect(latest).not.toBe(first);
      expect(Math.abs(Date.parse(latest!) - Date.now())).toBeLessThan(2000);
    } finally {
      c.destroy();
    }
  });

  t("keep-alive: many requests, one at a time, on one raw connection", async () => {
    const { port } = await server();
    const c = await RawClient.connect(port);
    try {
      for (let i = 1; i <= 20; i++) {
        c.write(GET);
        const rs = await c.waitResponses(i);
        expect(rs[i - 1]!.status).toBe(200);
        expect(bodyText(rs[i - 1]!)).toBe("hello");
      }
      expect(c.ended).toBe(false);
    } finally {
      c.destroy();
    }
  });

  t("keep-alive: curl reuses its connection", async () => {
    const { port } = await server();
    const url = `http://127.0.0.1:${port}/`;
    const out = await curl("-o", "/dev/null", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\n", url, url);
    expect(out).toBe("200 1\n200 0\n");
  });

  t("keep-alive: concurrent fetches", async () => {
    const { port } = await server();
    const bodies = await Promise.all(Array.from({ length: 32 }, () => fetch(`http://127.0.0.1:${port}/`).then((r) => r.text())));
    expect(bodies.every((b) => b === "hello")).toBe(true);
  });

  t("16 pipelined requests in one write: 16 responses in order", async () => {
    const { port } = await server();
    const c = await RawClient.connect(port);
    try {
      c.write(Array.from({ length: 16 }, (_, i) => `GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`).join(""));
      const rs = await c.waitResponses(16);
      expect(rs.length).toBe(16);
      expect(rs.every((r) => r.status === 200 && bodyText(r) === "hello")).toBe(true);
      // And again on the same connection: pipelining leaves the parser at a request boundary.
      c.write(GET.repeat(16));
      expect((await c.waitResponses(32)).length).toBe(32);
      expect(c.ended).toBe(false);
    } finally {
      c.destroy();
    }
  });

  t("HTTP/1.0: closed after the response; with keep-alive, kept", async () => {
    const { port } = await server();
    const plain = await RawClient.connect(port);
    const kept = await RawClient.connect(port);
    try {
      plain.write("GET / HTTP/1.0\r\n\r\n");
      await plain.waitEnd();
      const [r] = plain.responses();
      expect(r!.status).toBe(200);
      expect(bodyText(r!)).toBe("hello");

      kept.write("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      const [k] = await kept.waitResponses(1);
      expect(header(k!, "connection")).toBe("keep-alive");
      kept.write("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      await kept.waitResponses(2);
      expect(kept.ended).toBe(false);
    } finally {
      plain.destroy();
      kept.destroy();
    }
    expect(await curl("--http1.0", `http://127.0.0.1:${port}/`)).toBe("hello");
  });

  t("HEAD: the fields of GET, no body", async () => {
    const { port } = await server();
    const res = await fetch(`http://127.0.0.1:${port}/`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe("5");
    expect((await res.arrayBuffer()).byteLength).toBe(0);
    // Raw: a GET right after HEAD on the same connection starts exactly after HEAD's blank line.
    const rs = await request(port, "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n" + GET, 2, (s) => s.length === 1);
    expect(rs.map((r) => r.body.length)).toEqual([0, 5]);
  });

  t("POST with Content-Length (fetch) and chunked (curl, raw)", async () => {
    const { port } = await server();
    const url = `http://127.0.0.1:${port}/upload`;
    const res = await fetch(url, { method: "POST", body: "x".repeat(100_000) });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("hello");
    const out = await run("sh", ["-c", `head -c 300000 /dev/zero | curl -sS --max-time 5 -H 'Transfer-Encoding: chunked' --data-binary @- ${url}`]);
    expect(out.stdout).toBe("hello");
    const rs = await request(port, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;e=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\n" + GET, 2);
    expect(rs.map((r) => r.status)).toEqual([200, 200]);
  });

  t("Expect: 100-continue: 100 first, then 200 once the body is sent", async () => {
    const { port } = await server();
    const c = await RawClient.connect(port);
    try {
      c.write("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
      const [cont] = await c.waitResponses(1, { count1xx: true });
      expect(cont!.status).toBe(100);
      c.write("hello");
      const rs = await c.waitResponses(1);
      expect(rs.map((r) => r.status)).toEqual([100, 200]);
    } finally {
      c.destroy();
    }
    // curl waits for the 100 (up to 1 s) before sending a large body; a fast 100 means no wait.
    const started = Date.now();
    const out = await run("sh", ["-c", `head -c 2000000 /dev/zero | curl -sS --max-time 5 -H 'Expect: 100-continue' --data-binary @- -o /dev/null -w '%{http_code}' http://127.0.0.1:${port}/`]);
    expect(out.stdout).toBe("413");
    expect(Date.now() - started).toBeLessThan(3000);
  });

  t("Connection: close: the response, then FIN", async () => {
    const { port } = await server();
    const c = await RawClient.connect(port);
    try {
      c.write("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      await c.waitEnd();
      const rs = c.responses();
      expect(rs.map((r) => r.status)).toEqual([200]);
      expect(header(rs[0]!, "connection")).toBe("close");
    } finally {
      c.destroy();
    }
  });

  t("Connection: close with more bytes behind it: a FIN, not a reset that could destroy the response (RFC 9112 §9.6)", async () => {
    const { port } = await server();
    const c = await RawClient.connect(port);
    try {
      // The bytes after the closing request are still unread in the server's socket when it closes;
      // close(2) on unread data sends RST, which on a real network can discard the response in flight.
      c.write("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" + "x".repeat(4 * 1024 * 1024));
      await c.waitEnd();
      expect(c.responses().map((r) => r.status)).toEqual([200]);
      expect(c.error?.message ?? "no error").toBe("no error");
    } finally {
      c.destroy();
    }
  });

  t("a refused request with more bytes behind it: 400, then a FIN, not a reset", async () => {
    const { port } = await server();
    const c = await RawClient.connect(port);
    try {
      c.write("GET / HTTP/1.1\r\nHost : a\r\n\r\n" + "x".repeat(4 * 1024 * 1024));
      await c.waitEnd();
      expect(c.responses().map((r) => r.status)).toEqual([400]);
      expect(c.error?.message ?? "no error").toBe("no error");
    } finally {
      c.destroy();
    }
  });

  t("requests followed at once by the client's FIN are still answered, then closed", async () => {
    const { port } = await server();
    const c = await RawClient.connect(port);
    try {
      c.socket.end(GET.repeat(16));
      await c.waitEnd();
      const rs = c.responses();
      expect(rs.length).toBe(16);
      expect(rs.every((r) => r.status === 200 && bodyText(r) === "hello")).toBe(true);
    } finally {
      c.destroy();
    }
  });

  t("large responses to a slow reader: partial writes and drain deliver every byte in order", async () => {
    // 120 KiB: under the kernel's 128 KiB limit on one argument.
    const body = Array.from({ length: 120 * 1024 }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
    await withServer(runtime, ["--body", body], async ({ port }) => {
      const c = await RawClient.connect(port);
      try {
        // Do not read until everything is sent, so the server's writes come up short and must drain.
        c.socket.pause();
        c.write(GET.repeat(16) + "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n" + GET.repeat(8));
        await new Promise<void>((r) => c.socket.write(new Uint8Array(0), () => r()));
        c.socket.resume();
        const rs = await c.waitResponses(25, { noBody: (s) => s.length === 17, timeoutMs: 10_000 });
        expect(rs.length).toBe(25);
        rs.forEach((r, i) => {
          expect(r.status).toBe(200);
          expect(header(r, "content-length")).toBe(String(body.length));
          if (i !== 16) expect(r.body.length === body.length && bodyText(r) === body).toBe(true);
        });
        expect(rs[16]!.body.length).toBe(0);
      } finally {
        c.destroy();
      }
    });
  });

  t("clients that reset mid-response do not disturb the server", async () => {
    const body = "z".repeat(120 * 1024);
    await withServer(runtime, ["--body", body], async (s) => {
      for (let i = 0; i < 20; i++) {
        const c = await RawClient.connect(s.port);
        c.write(GET.repeat(16));
        // Some bytes of the ~2 MiB answer have arrived; the rest is being written when the RST lands.
        await c.waitFor(() => c.received().length > 0, "the first bytes");
        c.socket.resetAndDestroy();
      }
      const [r] = await request(s.port, GET);
      expect(r!.status).toBe(200);
      expect(r!.body.length).toBe(body.length);
      expect(s.proc.exitCode).toBe(null);
    });
  });

  t("many connections at once are all served", async () => {
    const { port } = await server();
    const clients = await Promise.all(Array.from({ length: 64 }, () => RawClient.connect(port)));
    try {
      for (const c of clients) c.write(GET + GET);
      const all = await Promise.all(clients.map((c) => c.waitResponses(2)));
      expect(all.every((rs) => rs.length === 2 && rs.every((r) => r.status === 200))).toBe(true);
    } finally {
      for (const c of clients) c.destroy();
    }
  });

  t("a TLS ClientHello gets 400 and a close at once, then others are served", async () => {
    const { port } = await server();
    const c = await RawClient.connect(port);
    try {
      const started = Date.now();
      c.write(new Uint8Array([0x16, 0x03, 0x01, 0x00, 0xf1, 0x01, 0x00, 0x00, 0xed, 0x03, 0x03]));
      await c.waitEnd(2000);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(c.responses().map((r) => r.status)).toEqual([400]);
    } finally {
      c.destroy();
    }
    expect((await request(port, GET))[0]!.status).toBe(200);
  });

  t("slowloris: a trickled head is cut by the header timeout with 408", async () => {
    await withServer(runtime, ["--header-timeout", "1", "--idle-timeout", "30"], async ({ port }) => {
      const c = await RawClient.connect(port);
      const started = Date.now();
      const head = "GET / HTTP/1.1\r\nHost: a\r\nX-Slow: " + "a".repeat(1000);
      let i = 0;
      // Traffic, not synchronisation: a byte every 100 ms keeps the connection busy but never completes the head.
      const trickle = setInterval(() => {
        if (!c.ended && i < head.length) c.write(head[i++]!);
      }, 100);
      try {
        await c.waitEnd(4000);
        const elapsed = Date.now() - started;
        expect(c.responses().map((r) => r.status)).toEqual([408]);
        // The core's clock is coarse (advanced every tickMs, a quarter of the shortest timeout), so a deadline may fire up to 25% early.
        expect(elapsed).toBeGreaterThanOrEqual(700);
        expect(elapsed).toBeLessThan(3000);
      } finally {
        clearInterval(trickle);
        c.destroy();
      }
      expect((await request(port, GET))[0]!.status).toBe(200);
    });
  });

  t("idle timeout: a kept-alive connection left idle is closed without a response", async () => {
    await withServer(runtime, ["--idle-timeout", "1"], async ({ port }) => {
      const c = await RawClient.connect(port);
      try {
        c.write(GET);
        await c.waitResponses(1);
        const answered = Date.now();
        await c.waitEnd(4000);
        const elapsed = Date.now() - answered;
        expect(elapsed).toBeGreaterThanOrEqual(700); // up to 25% early: see the slowloris test
        expect(elapsed).toBeLessThan(3000);
        expect(c.responses().length).toBe(1);
      } finally {
        c.destroy();
      }
    });
  });

  t("a pipelining client that never reads: memory stays bounded and others are served", async () => {
    await withServer(runtime, [], async (s) => {
      // Warm up so the baseline includes the JIT and buffers of normal serving.
      for (let i = 0; i < 3; i++) await request(s.port, GET.repeat(16), 16);
      const baseline = rssKiB(s.pid);
      const flood = await RawClient.connect(s.port);
      // Never read: no more data events are taken from the kernel.
      flood.socket.pause();
      const chunk = Buffer.from(GET.repeat(2400)); // ~64 KiB
      const total = 32 * 1024 * 1024;
      for (let sent = 0; sent < total; sent += chunk.length) flood.socket.write(chunk);
      try {
        // Wait (bounded) until the server stops taking our bytes: the unsent rest stays with us.
        let last = -1;
        let still = 0;
        for (let i = 0; i < 60 && still < 3; i++) {
          await new Promise((r) => setTimeout(r, 100));
          const pending = flood.socket.writableLength;
          still = pending === last ? still + 1 : 0;
          last = pending;
        }
        expect(flood.socket.writableLength).toBeGreaterThan(0);
        let peak = 0;
        for (let i = 0; i < 5; i++) {
          peak = Math.max(peak, rssKiB(s.pid));
          // Meanwhile another client is served normally.
          expect((await request(s.port, GET))[0]!.status).toBe(200);
        }
        const grownMiB = (peak - baseline) / 1024;
        // 32 MiB of requests would be ~160 MiB of answers if the server kept reading and queueing.
        expect(grownMiB).toBeLessThan(48);
      } finally {
        flood.destroy();
      }
      expect((await request(s.port, GET))[0]!.status).toBe(200);
    });
  });

  t("--status, --body, --header and --content-type shape the response", async () => {
    const args = ["--status", "201", "--body", "made it ✓", "--header", "X-Test: yes", "--header", "Cache-Control: no-store", "--content-type", "application/json"];
    await withServer(runtime, args, async ({ port }) => {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(res.status).toBe(201);
      expect(await res.text()).toBe("made it ✓");
      expect(res.headers.get("x-test")).toBe("yes");
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(res.headers.get("content-length")).toBe(String(Buffer.byteLength("made it ✓")));
    });
  });

  t("the listening line names the address, runtime and pid", async () => {
    const s = await server();
    expect(s.stderr()).toContain(`listening on http://127.0.0.1:${s.port}`);
    expect(s.stderr()).toContain(runtime.name);
    expect(s.stderr()).toContain(String(s.pid));
  });

  t("--help exits 0 with the usage on stdout; --version exits 0", async () => {
    const help = await runCli(runtime, ["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: hello-server");
    expect(help.stdout).toContain("--header-timeout");
    const version = await runCli(runtime, ["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^hello-server \d+\.\d+\.\d+\n$/);
  });

  t("a bad flag or value exits 2 with a one-line error", async () => {
    for (const args of [["--nope"], ["--port", "http"], ["--status", "204"]]) {
      const r = await runCli(runtime, args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.trimEnd().split("\n").length).toBe(1);
      expect(r.stderr).toStartWith("hello-server: ");
    }
  });

  t("SIGTERM: idle connections closed, a request in flight answered with close, exit 0", async () => {
    const s = await startServer(runtime, []);
    const idle = await RawClient.connect(s.port);
    const busy = await RawClient.connect(s.port);
    try {
      idle.write(GET);
      await idle.waitResponses(1);
      busy.write("GET / HTTP/1.1\r\nHo");
      // The partial head is in the server before the signal: a full response proves it read it.
      const probe = await RawClient.connect(s.port);
      probe.write(GET);
      await probe.waitResponses(1);
      probe.destroy();
      s.proc.kill("SIGTERM");
      await idle.waitEnd();
      busy.write("st: a\r\n\r\n");
      await busy.waitEnd();
      const [r] = busy.responses();
      expect(r?.status).toBe(200);
      expect(header(r!, "connection")).toBe("close");
      const exit = await s.stop();
      expect(exit).toEqual({ code: 0, signal: null });
    } finally {
      idle.destroy();
      busy.destroy();
      await s.stop("SIGKILL");
    }
  });
}
