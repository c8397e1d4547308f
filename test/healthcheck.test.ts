/**
 * src/healthcheck.ts against stand-in servers on 127.0.0.1 that answer with
 * fixed bytes (or not at all), so every outcome of the probe is exercised.
 */
import { afterEach, expect, test } from "bun:test";
import { createServer, type Server, type Socket } from "node:net";
import { healthcheck, probeAddress } from "../src/healthcheck.ts";

const servers: Server[] = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A server that writes `reply` (or nothing, when null) once it has read a request head. Resolves to its port. */
function standIn(reply: string | null): Promise<{ port: number; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    let head = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      head += chunk;
      if (!head.includes("\r\n\r\n")) return;
      requests.push(head);
      if (reply !== null) socket.end(reply);
    });
    socket.on("error", () => {});
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ port: (server.address() as { port: number }).port, requests })));
}

/** A port with nothing listening: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
  await new Promise((r) => server.close(r));
  return port;
}

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

test("0 when the server answers with the configured status; the request is a valid HTTP/1.1 GET /", async () => {
  const s = await standIn(OK);
  expect(await healthcheck({ host: "127.0.0.1", port: s.port, status: 200 })).toBe(0);
  expect(s.requests).toHaveLength(1);
  expect(s.requests[0]).toStartWith("GET / HTTP/1.1\r\n");
  expect(s.requests[0]).toContain(`\r\nHost: 127.0.0.1:${s.port}\r\n`);
});

test("a wildcard host is probed on loopback", async () => {
  const s = await standIn(OK);
  expect(await healthcheck({ host: "0.0.0.0", port: s.port, status: 200 })).toBe(0);
  expect(probeAddress("0.0.0.0")).toBe("127.0.0.1");
  expect(probeAddress("::")).toBe("::1");
  expect(probeAddress("10.1.2.3")).toBe("10.1.2.3");
});

test("a configured non-200 status is healthy only when it is what comes back", async () => {
  const s = await standIn("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
  expect(await healthcheck({ host: "127.0.0.1", port: s.port, status: 503 })).toBe(0);
  expect(await healthcheck({ host: "127.0.0.1", port: s.port, status: 200 })).toBe(1);
});

test("1 when nothing listens", async () => {
  expect(await healthcheck({ host: "127.0.0.1", port: await closedPort(), status: 200 })).toBe(1);
});

test("1 when the server accepts but never answers, after the timeout", async () => {
  const s = await standIn(null);
  const t0 = performance.now();
  expect(await healthcheck({ host: "127.0.0.1", port: s.port, status: 200 }, 200)).toBe(1);
  expect(performance.now() - t0).toBeLessThan(2000);
});

test("1 when the answer is not HTTP, or the connection closes first", async () => {
  const garbage = await standIn("SSH-2.0-OpenSSH_9.2\r\n");
  expect(await healthcheck({ host: "127.0.0.1", port: garbage.port, status: 200 })).toBe(1);
  const silent = await standIn("");
  expect(await healthcheck({ host: "127.0.0.1", port: silent.port, status: 200 })).toBe(1);
});

test("1 for --port 0, which names no port", async () => {
  expect(await healthcheck({ host: "127.0.0.1", port: 0, status: 200 })).toBe(1);
});
