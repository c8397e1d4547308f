/**
 * The WebSocket echo (--ws-echo-path) against the real server, once per runtime × back end:
 * real clients (the `ws` package under Node, Debian's python3-websockets, Bun's own WebSocket),
 * the handshake's refusals over a raw socket, plain HTTP beside it on the same port, the
 * server's pings, the idle timeout's and the drain's 1001, and wss:// with the test CA where
 * the back end has TLS.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { makeTestCerts, type TestCerts } from "../helpers/certs.ts";
import { header } from "../helpers/http-parse.ts";
import { GET, RawClient } from "../helpers/raw-client.ts";
import { startServer, type Runtime, type RunningServer } from "../helpers/server.ts";
import { runPingCounter, runPythonClient, runWsPackageClient } from "../ws/clients.ts";
import { SAMPLE_ACCEPT, SAMPLE_KEY } from "../ws/upgrade-cases.ts";
import { metricsUrl, sample } from "./watch-suite.ts";

export const WS_PATH = "/ws";

const handshake = (version: string, key = SAMPLE_KEY): string =>
  `GET ${WS_PATH} HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: ${version}\r\n\r\n`;

export function wsUrl(s: RunningServer, scheme: "ws" | "wss" = "ws", host = s.host): string {
  return `${scheme}://${host.includes(":") ? `[${host}]` : host}:${s.port}${WS_PATH}`;
}

/** Bun's WebSocket client in this process: resolves with the close code once the server closes. */
export function openSocket(url: string): Promise<{ socket: WebSocket; closed: Promise<number>; next(): Promise<string | ArrayBuffer> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    const queue: Array<string | ArrayBuffer> = [];
    let waiter: ((m: string | ArrayBuffer) => void) | null = null;
    socket.onmessage = (e) => {
      if (waiter !== null) {
        const w = waiter;
        waiter = null;
        w(e.data as string | ArrayBuffer);
      } else queue.push(e.data as string | ArrayBuffer);
    };
    const closed = new Promise<number>((r) => socket.addEventListener("close", (e) => r(e.code)));
    socket.onopen = () =>
      resolve({ socket, closed, next: () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise((r) => (waiter = r))) });
    socket.onerror = () => reject(new Error(`WebSocket to ${url} failed`));
  });
}

/** Rejects after `ms`: a bound on a wait, never a synchronisation. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)));
  return Promise.race([p, bound]).finally(() => clearTimeout(timer));
}

/** The status of the first answer to a raw handshake on `path`, and when it came (ms after the request was written). */
async function upgradeStatus(s: RunningServer, target = WS_PATH): Promise<{ status: number; ms: number; servedBy: string | undefined }> {
  const client = await RawClient.connect(s.port, s.host);
  try {
    const started = performance.now();
    client.write(handshake("13").replace(`GET ${WS_PATH} `, `GET ${target} `));
    const [r] = await client.waitResponses(1, { noBody: (statuses) => statuses[statuses.length - 1]! < 200, count1xx: true });
    return { status: r!.status, ms: performance.now() - started, servedBy: header(r!, "x-served-by") };
  } finally {
    client.socket.destroy();
  }
}

/** Server pings (FIN+PING, empty: 0x89 0x00) seen on a raw WebSocket in `windowMs` after its 101; the window is the measurement, not a wait for an event. */
async function countPings(s: RunningServer, windowMs: number): Promise<number> {
  const client = await RawClient.connect(s.port, s.host);
  try {
    const chunks: Buffer[] = [];
    client.socket.on("data", (d: Buffer) => chunks.push(d));
    client.write(handshake("13"));
    await new Promise((r) => setTimeout(r, windowMs));
    const all = Buffer.concat(chunks);
    const body = all.subarray(all.indexOf("\r\n\r\n") + 4);
    let pings = 0;
    for (let i = 0; i + 1 < body.length; i += 2) if (body[i] === 0x89 && body[i + 1] === 0x00) pings++;
    return pings;
  } finally {
    client.socket.destroy();
  }
}

/** `tls`: also the wss:// cases (the socket back ends, which are the ones with TLS). */
export function addWebSocketTests(runtime: Runtime, options: { tls: boolean } = { tls: runtime.args.includes("socket") }): void {
  const t = test.concurrent;
  let shared: Promise<RunningServer> | undefined;
  const server = (): Promise<RunningServer> => (shared ??= startServer(runtime, ["--ws-echo-path", WS_PATH, "--served-by"]));

  t("the ws package: text, binary, fragmented, 1 MiB echoed; 1 MiB + 1 closes with 1009", async () => {
    const r = await runWsPackageClient(wsUrl(await server()));
    expect(r).toEqual({ text: true, binary: true, fragmented: true, mebibyte: true, overCloseCode: 1009 });
  }, 30_000);

  t("python3-websockets: text, binary, ping answered with pong, close 1000 echoed", async () => {
    const r = await runPythonClient(wsUrl(await server()));
    expect(r).toEqual({ text: true, binary: true, ping: true, closeCode: 1000 });
  }, 30_000);

  t("Bun's WebSocket: a text and a binary message echoed; the close code it sends comes back", async () => {
    const { socket, closed, next } = await openSocket(wsUrl(await server()));
    socket.send("hé");
    expect(await within(5000, "text echo", next())).toBe("hé");
    socket.send(new Uint8Array([0, 1, 255]));
    expect(Array.from(new Uint8Array((await within(5000, "binary echo", next())) as ArrayBuffer))).toEqual([0, 1, 255]);
    socket.close(4000);
    expect(await within(5000, "close", closed)).toBe(4000);
  });

  t("the 101 over a raw socket: the RFC's accept value, X-Served-By, no subprotocol, no extension", async () => {
    const s = await server();
    const client = await RawClient.connect(s.port, s.host);
    try {
      client.write(handshake("13"));
      const [r] = await client.waitResponses(1, { noBody: (statuses) => statuses[statuses.length - 1]! < 200, count1xx: true });
      expect(r!.status).toBe(101);
      expect(header(r!, "sec-websocket-accept")).toBe(SAMPLE_ACCEPT);
      expect(header(r!, "upgrade")?.toLowerCase()).toBe("websocket");
      expect(header(r!, "x-served-by")).toContain(`/${s.pid}`);
      expect(header(r!, "sec-websocket-protocol")).toBeUndefined();
      expect(header(r!, "sec-websocket-extensions")).toBeUndefined();
    } finally {
      client.socket.destroy();
    }
  });

  t("a bad upgrade (a 12-byte key) gets 400 and the connection ends", async () => {
    const s = await server();
    const client = await RawClient.connect(s.port, s.host);
    try {
      client.write(handshake("13", "AAAAAAAAAAAAAAAA"));
      const [r] = await client.waitResponses(1);
      expect(r!.status).toBe(400);
      expect(header(r!, "connection")).toBe("close");
      await client.waitEnd();
    } finally {
      client.socket.destroy();
    }
  });

  t("version 8 gets 426 with Sec-WebSocket-Version: 13 and the connection ends", async () => {
    const s = await server();
    const client = await RawClient.connect(s.port, s.host);
    try {
      client.write(handshake("8"));
      const [r] = await client.waitResponses(1);
      expect(r!.status).toBe(426);
      expect(header(r!, "sec-websocket-version")).toBe("13");
      await client.waitEnd();
    } finally {
      client.socket.destroy();
    }
  });

  t("HTTP on the same port is still served: before an upgrade on one connection, and the ws path without Upgrade", async () => {
    const s = await server();
    const client = await RawClient.connect(s.port, s.host);
    try {
      client.write(GET + handshake("13"));
      const [first, second] = await client.waitResponses(2, { noBody: (statuses) => statuses[statuses.length - 1]! < 200, count1xx: true });
      expect([first!.status, new TextDecoder().decode(first!.body)]).toEqual([200, "hello"]);
      expect(second!.status).toBe(101);
    } finally {
      client.socket.destroy();
    }
    const plain = await fetch(`http://${s.host}:${s.port}${WS_PATH}`, { keepalive: false });
    expect([plain.status, await plain.text()]).toEqual([200, "hello"]);
  });

  t("--ws-ping-interval: the client sees the server's pings (empty payloads) while it says nothing", async () => {
    const s = await startServer(runtime, ["--ws-echo-path", WS_PATH, "--ws-ping-interval", "200ms"]);
    try {
      const r = await runPingCounter(wsUrl(s), 2);
      expect(r).toEqual({ pings: 2, payloadLengths: [0, 0], closeCode: 1000 });
    } finally {
      await s.stop();
    }
  }, 20_000);

  t("--ws-ping-interval 200ms, under the core's 1 s tick: ~5 pings a second (the tick follows the interval)", async () => {
    const s = await startServer(runtime, ["--ws-echo-path", WS_PATH, "--ws-ping-interval", "200ms"]);
    try {
      const pings = await countPings(s, 1000);
      // 200 ms apart, each up to a 50 ms tick late: 4 or 5 in a second; with a 1 s tick it was 1.
      expect(pings).toBeGreaterThanOrEqual(3);
      expect(pings).toBeLessThanOrEqual(6);
    } finally {
      await s.stop();
    }
  }, 15_000);

  t("faults on the upgrade: --fail-rate 1 answers 503 instead of 101; --request-control ?status=503 on the upgrade URL too; X-Served-By on both", async () => {
    const failing = await startServer(runtime, ["--ws-echo-path", WS_PATH, "--fail-rate", "1", "--served-by"]);
    const controlled = await startServer(runtime, ["--ws-echo-path", WS_PATH, "--request-control", "--served-by"]);
    try {
      const failed = await upgradeStatus(failing);
      expect(failed.status).toBe(503);
      expect(failed.servedBy).toContain(`/${failing.pid}`);
      expect((await upgradeStatus(controlled, `${WS_PATH}?status=503`)).status).toBe(503);
      const ok = await upgradeStatus(controlled);
      expect(ok.status).toBe(101);
      expect(ok.servedBy).toContain(`/${controlled.pid}`);
    } finally {
      await failing.stop();
      await controlled.stop();
    }
  }, 20_000);

  t("--delay 300ms delays the 101; the session then echoes", async () => {
    const s = await startServer(runtime, ["--ws-echo-path", WS_PATH, "--delay", "300ms"]);
    try {
      const r = await upgradeStatus(s);
      expect(r.status).toBe(101);
      expect(r.ms).toBeGreaterThanOrEqual(290);
      const { socket, closed, next } = await openSocket(wsUrl(s));
      socket.send("after the delay");
      expect(await within(5000, "echo", next())).toBe("after the delay");
      socket.close(1000);
      await within(5000, "close", closed);
    } finally {
      await s.stop();
    }
  }, 20_000);

  t("--metrics-port: WebSocket connections open, messages received and sent, the 101 and a refused upgrade in hello_requests_total", async () => {
    const s = await startServer(runtime, ["--ws-echo-path", WS_PATH, "--metrics-port", "0"]);
    try {
      const url = metricsUrl(s);
      const { socket, closed, next } = await openSocket(wsUrl(s));
      for (const m of ["a", "b", "c"]) {
        socket.send(m);
        expect(await within(5000, "echo", next())).toBe(m);
      }
      const client = await RawClient.connect(s.port, s.host);
      client.write(handshake("8"));
      await client.waitResponses(1);
      client.socket.destroy();
      const read = async (): Promise<string> => (await fetch(url)).text();
      // Polled (bounded): a worker's counts reach the listener within its report interval.
      let text = "";
      for (let i = 0; i < 50; i++) {
        text = await read();
        if (sample(text, "hello_websocket_messages_sent_total") === 3 && sample(text, `hello_requests_total{method="GET",code="426",protocol="http/1.1"}`) === 1) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(sample(text, "hello_websocket_connections")).toBe(1);
      expect(sample(text, "hello_websocket_messages_received_total")).toBe(3);
      expect(sample(text, "hello_websocket_messages_sent_total")).toBe(3);
      expect(sample(text, `hello_requests_total{method="GET",code="101",protocol="http/1.1"}`)).toBe(1);
      expect(sample(text, `hello_requests_total{method="GET",code="426",protocol="http/1.1"}`)).toBe(1);
      socket.close(1000);
      await within(5000, "close", closed);
      for (let i = 0; i < 50 && sample(text, "hello_websocket_connections") !== 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        text = await read();
      }
      expect(sample(text, "hello_websocket_connections")).toBe(0);
    } finally {
      await s.stop();
    }
  }, 20_000);

  t("--idle-timeout: a WebSocket with no frame from its peer is closed with 1001", async () => {
    const s = await startServer(runtime, ["--ws-echo-path", WS_PATH, "--idle-timeout", "1"]);
    try {
      const { closed } = await openSocket(wsUrl(s));
      expect(await within(5000, "idle close", closed)).toBe(1001);
    } finally {
      await s.stop();
    }
  }, 15_000);

  t("SIGTERM: an open WebSocket gets close 1001 (going away), and the server exits 0 once it is answered", async () => {
    const s = await startServer(runtime, ["--ws-echo-path", WS_PATH, "--shutdown-timeout", "5"]);
    try {
      const { socket, closed, next } = await openSocket(wsUrl(s));
      socket.send("before");
      expect(await within(5000, "echo", next())).toBe("before");
      s.proc.kill("SIGTERM");
      expect(await within(5000, "drain close", closed)).toBe(1001);
      expect(await within(6000, "exit", s.exited)).toEqual({ code: 0, signal: null });
    } finally {
      await s.stop();
    }
  }, 20_000);

  if (options.tls) {
    let certs: TestCerts;
    beforeAll(() => {
      certs = makeTestCerts();
    });
    afterAll(() => certs.remove());

    t("wss:// with the test CA: the ws package and python3-websockets echo", async () => {
      const s = await startServer(runtime, ["--ws-echo-path", WS_PATH, "--tls-cert", certs.cert, "--tls-key", certs.key]);
      try {
        const url = wsUrl(s, "wss", "localhost");
        expect(await runWsPackageClient(url, 20_000, certs.ca)).toEqual({ text: true, binary: true, fragmented: true, mebibyte: true, overCloseCode: 1009 });
        expect(await runPythonClient(url, 25_000, certs.ca)).toEqual({ text: true, binary: true, ping: true, closeCode: 1000 });
      } finally {
        await s.stop();
      }
    }, 60_000);
  }
}
