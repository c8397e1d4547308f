/**
 * Plain HTTP sent to the TLS port. Node looks at the first byte before node:tls takes the socket
 * and answers nginx's way: 400 with the one-line body "This port expects HTTPS", then a clean
 * close; HTTPS (HTTP/1.1 and h2) on the same port is unchanged. Bun (BoringSSL) and Deno (rustls)
 * take the socket into TLS at accept, so they cannot answer: the connection must end with a FIN,
 * never a reset (curl "empty reply" on Bun; Deno's rustls writes its alert first). Checked with
 * curl and with a raw socket, on HTTPS-only --port and on --tls-port beside plain HTTP.
 * Needs dist/hello-server.js, curl and openssl.
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { connect } from "node:net";
import { certsForFile } from "../helpers/tls-files.ts";
import { RUNTIMES, startServer } from "../helpers/server.ts";

const certs = certsForFile();

/** curl's exit code, output and stderr; `-i` so that the status line and fields come back too. */
function curl(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync("curl", ["-sS", "-i", "--max-time", "5", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Writes `bytes` on a plain TCP connection; resolves with what came back, whether the end was a reset, and whether it closed within `waitMs`. */
function rawExchange(port: number, bytes: string, waitMs: number): Promise<{ reply: string; reset: boolean; closed: boolean }> {
  return new Promise((resolve) => {
    let reply = "";
    let reset = false;
    const socket = connect(port, "127.0.0.1", () => socket.write(bytes));
    socket.on("data", (d: Buffer) => (reply += d.toString("latin1")));
    socket.on("error", (e: NodeJS.ErrnoException) => (reset ||= e.code === "ECONNRESET"));
    // Half-open on our side until the server closes: its FIN ends the wait.
    socket.on("end", () => socket.end());
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ reply, reset, closed: false });
    }, waitMs);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ reply, reset, closed: true });
    });
  });
}

const REQUEST = "GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: raw\r\n\r\n";

for (const runtime of RUNTIMES.filter((r) => ["bun", "deno", "node"].includes(r.label))) {
  describe(runtime.label, () => {
    for (const layout of ["HTTPS only on --port", "--tls-port beside plain HTTP"] as const) {
      test(`${layout}: plain HTTP to the TLS port is ${runtime.name === "node" ? "answered 400 and closed" : "closed cleanly"}`, async () => {
        const tlsFlags = ["--tls-cert", certs.cert, "--tls-key", certs.key];
        const server = await startServer(runtime, layout === "HTTPS only on --port" ? tlsFlags : [...tlsFlags, "--tls-port", "0"]);
        try {
          let tlsPort = server.port;
          if (layout !== "HTTPS only on --port") {
            const m = /https:\/\/[^\s]+:(\d+)/.exec(server.stderr());
            expect(m, server.stderr()).not.toBeNull();
            tlsPort = Number(m![1]);
            expect(curl([`http://127.0.0.1:${server.port}/`]).out).toContain("\r\n\r\nhello");
          }
          const viaCurl = curl([`http://127.0.0.1:${tlsPort}/`]);
          const raw = await rawExchange(tlsPort, REQUEST, 5000);
          expect(raw.closed).toBe(true);
          expect(raw.reset, raw.reply).toBe(false);
          if (runtime.name === "node") {
            expect(viaCurl.code, viaCurl.err).toBe(0);
            expect(viaCurl.out).toStartWith("HTTP/1.1 400 Bad Request\r\n");
            expect(viaCurl.out).toContain("\r\nConnection: close\r\n");
            expect(viaCurl.out).toEndWith("\r\n\r\nThis port expects HTTPS\n");
            expect(raw.reply).toStartWith("HTTP/1.1 400 Bad Request\r\n");
            expect(raw.reply).toEndWith("\r\n\r\nThis port expects HTTPS\n");
          } else {
            // 56 is curl's "connection reset by peer"; 52 "empty reply" (Bun), 1 "HTTP/0.9" (rustls' alert on Deno).
            expect(viaCurl.code, viaCurl.err).not.toBe(56);
            expect(viaCurl.out).not.toContain("HTTP/1.1 200");
            expect(raw.reply).not.toContain("HTTP/1.1");
          }
          // HTTPS on the same port goes on: HTTP/1.1 and, by ALPN, h2.
          const https1 = curl(["--http1.1", "--cacert", certs.ca, `https://localhost:${tlsPort}/`]);
          expect(https1.out).toStartWith("HTTP/1.1 200");
          expect(https1.out).toEndWith("\r\n\r\nhello");
          const https2 = curl(["--http2", "--cacert", certs.ca, `https://localhost:${tlsPort}/`]);
          expect(https2.out).toStartWith("HTTP/2 200");
          expect(https2.out).toEndWith("\r\n\r\nhello");
        } finally {
          const exit = await server.stop();
          expect(exit.code).toBe(0);
        }
      }, 30_000);
    }
  });
}
