/**
 * Issue 18 in the shared suite, once per runtime × back end over TCP: echo (the request as it
 * arrived, and the addresses the client's own socket sees), X-Served-By on every answer, and
 * --metrics-port counting what the test sent (promtool checks the output where installed).
 */
import { expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { hostname } from "node:os";
import { bodyText, header, type ParsedResponse } from "../helpers/http-parse.ts";
import { GET, RawClient } from "../helpers/raw-client.ts";
import { startServer, type Runtime, type RunningServer } from "../helpers/server.ts";
import { promtool } from "../metrics/tools.ts";

const ECHO = "/echo";

/** The bound metrics URL from the server's `metrics on …` line. */
export function metricsUrl(s: RunningServer): string {
  const m = /metrics on (http:\/\/\S+\/metrics)/.exec(s.stderr());
  if (m === null) throw new Error(`no metrics line in: ${s.stderr()}`);
  return m[1]!;
}

/** One request on its own connection, raw bytes in, parsed answers out. */
async function exchange(port: number, bytes: Uint8Array | string, n = 1, headFor?: number): Promise<{ client: RawClient; responses: ParsedResponse[] }> {
  const client = await RawClient.connect(port);
  client.write(bytes);
  // Without content: 1xx, 204 (RFC 9110 §15.3.5), and the answer to the HEAD request numbered `headFor`.
  const responses = await client.waitResponses(n, { noBody: (s) => s.length === headFor || s[s.length - 1]! < 200 || s[s.length - 1] === 204 });
  return { client, responses };
}

function latin1(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** A metric's value in exposition text; 0 when absent. */
export function sample(text: string, series: string): number {
  for (const line of text.split("\n")) if (line.startsWith(series + " ")) return Number(line.slice(series.length + 1));
  return 0;
}

export function addWatchTests(runtime: Runtime): void {
  const t = test.concurrent;
  let shared: Promise<RunningServer> | undefined;
  const server = (): Promise<RunningServer> => (shared ??= startServer(runtime, ["--echo-path", ECHO, "--served-by", "--health-path", "/healthz", "--request-control"]));

  t("echo: JSON with the request line, the header fields in the order and spelling received, the body length", async () => {
    const s = await server();
    // "é" in UTF-8, then one byte that is not UTF-8 (obs-text, RFC 9110 §5.5).
    const req = latin1(
      `POST ${ECHO}?a=1&b=%20 HTTP/1.1\r\nHost: echo.test\r\nx-MiXeD-CaSe: one\r\nX-Dup: 1\r\nX-Dup: 2\r\nX-Utf8: caf\xc3\xa9\r\nX-Latin: \xff\r\nContent-Length: 5\r\n\r\nhello`,
    );
    const { client, responses } = await exchange(s.port, req);
    try {
      const r = responses[0]!;
      expect(r.status).toBe(200);
      expect(header(r, "content-type")).toBe("application/json");
      // Every byte ASCII: non-ASCII arrives escaped, so the JSON is valid whatever was sent.
      expect(r.body.every((b) => b < 0x80)).toBe(true);
      const echo = JSON.parse(bodyText(r));
      expect(echo.method).toBe("POST");
      expect(echo.target).toBe(`${ECHO}?a=1&b=%20`);
      expect(echo.path).toBe(ECHO);
      expect(echo.query).toBe("a=1&b=%20");
      expect(echo.version).toBe("HTTP/1.1");
      expect(echo.headers).toEqual([
        ["Host", "echo.test"],
        ["x-MiXeD-CaSe", "one"],
        ["X-Dup", "1"],
        ["X-Dup", "2"],
        ["X-Utf8", "café"],
        ["X-Latin", "\u00ff"],
        ["Content-Length", "5"],
      ]);
      expect(echo.bodyLength).toBe(5);
      expect(echo.worker).toEqual({ pid: s.pid, runtime: runtime.name, io: runtime.args[runtime.args.indexOf("--io") + 1] });
      expect(echo.hostname).toBe(hostname());
      // The addresses are the client socket's, seen from the other end.
      expect(echo.client).toEqual({ address: client.socket.localAddress, port: client.socket.localPort });
      expect(echo.local).toEqual({ address: client.socket.remoteAddress, port: client.socket.remotePort });
    } finally {
      client.destroy();
    }
  });

  t("echo: text in whoami's layout (?format=text, Accept: text/plain); HEAD gets the fields and no body", async () => {
    const s = await server();
    const req =
      `GET ${ECHO}?format=text HTTP/1.1\r\nHost: a\r\nX-One: 1\r\n\r\n` +
      `GET ${ECHO} HTTP/1.1\r\nHost: a\r\nAccept: text/plain\r\n\r\n` +
      `HEAD ${ECHO} HTTP/1.1\r\nHost: a\r\n\r\n` +
      GET;
    const { client, responses } = await exchange(s.port, req, 4, 3);
    try {
      const [text, accept, head, after] = responses;
      for (const r of [text!, accept!]) {
        expect(header(r, "content-type")).toBe("text/plain; charset=utf-8");
        const lines = bodyText(r).split("\n");
        expect(lines[0]).toBe(`Hostname: ${hostname()}`);
        expect(lines).toContain(`RemoteAddr: ${client.socket.localAddress}:${client.socket.localPort}`);
        expect(lines).toContain(`LocalAddr: ${client.socket.remoteAddress}:${client.socket.remotePort}`);
      }
      expect(bodyText(text!)).toContain(`GET ${ECHO}?format=text HTTP/1.1\nHost: a\nX-One: 1\n`);
      expect(head!.status).toBe(200);
      expect(Number(header(head!, "content-length"))).toBeGreaterThan(0);
      expect(head!.body.length).toBe(0);
      // The answer after HEAD parses at its own first byte: HEAD sent no body.
      expect(bodyText(after!)).toBe("hello");
    } finally {
      client.destroy();
    }
  });

  t("echo: the length of a chunked body, counted as it was decoded", async () => {
    const s = await server();
    const { client, responses } = await exchange(s.port, `POST ${ECHO} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\n\r\n`);
    client.destroy();
    expect(JSON.parse(bodyText(responses[0]!)).bodyLength).toBe(8);
  });

  t("echo obeys the core's limits: an oversized head is refused with 431", async () => {
    const s = await server();
    const { client, responses } = await exchange(s.port, `GET ${ECHO} HTTP/1.1\r\nHost: a\r\nX-Big: ${"a".repeat(9000)}\r\n\r\n`);
    client.destroy();
    expect(responses[0]!.status).toBe(431);
  });

  t("--served-by: X-Served-By host/pid on the prebuilt, echo, health, steered and error answers", async () => {
    const s = await server();
    const want = `${process.env.POD_NAME || hostname()}/${s.pid}`;
    const steered = ["/?status=204", "/?status=503", "/?size=10", "/?status=999"].map((p) => `GET ${p} HTTP/1.1\r\nHost: a\r\n\r\n`).join("");
    const { client, responses } = await exchange(s.port, GET + `GET ${ECHO} HTTP/1.1\r\nHost: a\r\n\r\n` + "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n" + steered, 7);
    client.destroy();
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 204, 503, 200, 400]);
    for (const r of responses) expect(header(r, "x-served-by")).toBe(want);
    const bad = await exchange(s.port, "GET / HTTP/1.1\r\n\r\n"); // no Host: 400
    bad.client.destroy();
    expect(bad.responses[0]!.status).toBe(400);
    expect(header(bad.responses[0]!, "x-served-by")).toBe(want);
  });

  t("--metrics-port: requests by method and status, refusals by reason, bytes; promtool accepts the output", async () => {
    const s = await startServer(runtime, ["--metrics-port", "0", "--echo-path", ECHO]);
    try {
      const n = 7;
      const { client } = await exchange(s.port, GET.repeat(n) + `HEAD / HTTP/1.1\r\nHost: a\r\n\r\n` + `GET ${ECHO} HTTP/1.1\r\nHost: a\r\n\r\n`, n + 2, n + 1);
      client.destroy();
      const bad = await exchange(s.port, "GET / HTTP/1.1\r\n\r\n");
      bad.client.destroy();
      const url = metricsUrl(s);
      // Closed connections are counted as the server releases them: poll (bounded) for both.
      // A connection per scrape: Bun's fetch pools by host:port, and a pooled connection to an
      // earlier test's server that had the same port (now gone) is reset when reused.
      let text = "";
      for (let i = 0; i < 100; i++) {
        text = await (await fetch(url, { keepalive: false })).text();
        if (sample(text, "hello_connections_open") === 0 && sample(text, "hello_connections_accepted_total") >= 2) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(sample(text, `hello_requests_total{method="GET",code="200",protocol="http/1.1"}`)).toBe(n + 1);
      expect(sample(text, `hello_requests_total{method="HEAD",code="200",protocol="http/1.1"}`)).toBe(1);
      expect(sample(text, `hello_requests_refused_total{reason="missing_host",code="400"}`)).toBe(1);
      expect(sample(text, "hello_connections_accepted_total")).toBeGreaterThanOrEqual(2);
      expect(sample(text, "hello_received_bytes_total")).toBeGreaterThan(GET.length * n);
      expect(sample(text, "hello_sent_bytes_total")).toBeGreaterThan(0);
      expect(sample(text, `hello_build_info{version="${/"version": "([^"]+)"/.exec(await Bun.file("package.json").text())![1]}",runtime="${runtime.name}",io="${runtime.args[runtime.args.indexOf("--io") + 1]}"}`)).toBe(1);
      const check = promtool();
      if (check === null) console.warn("SKIPPED promtool check metrics: promtool is not installed (apt-get install prometheus)");
      else expect(execFileSync(check, ["check", "metrics"], { input: text, encoding: "utf8" })).toBe("");
      // Anything but GET /metrics: 404, and 405 for another method.
      expect((await fetch(url.replace("/metrics", "/other"), { keepalive: false })).status).toBe(404);
      expect((await fetch(url, { method: "POST", keepalive: false })).status).toBe(405);
    } finally {
      await s.stop();
    }
  });
}
