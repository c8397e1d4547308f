/**
 * `hello-server --healthcheck`: one request to the local server, exit code
 * 0 if it answers with the configured status, else 1. With `--health-path`
 * (HEALTH_PATH) it requests that path and wants 200: so a server in its
 * shutdown delay (503 there) reads as unhealthy. It is what the
 * Dockerfile's HEALTHCHECK runs, so the image needs no curl.
 *
 * It speaks HTTP/1.1 over `node:net`, or `node:tls` when the server serves HTTPS (which Bun, Deno and Node all provide)
 * rather than `fetch`: Bun's and Deno's fetch honour HTTP_PROXY/HTTPS_PROXY,
 * and a container with a proxy in its environment would then probe the
 * proxy instead of this server.
 */

import { hostPort } from "./contract/address.ts";
import { connect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import process from "node:process";
import type { Config } from "./config.ts";
import { probeRequest, ProbeReader } from "./protocols/h2-probe.ts";
import { grpcProbeRequest, GrpcProbeReader, grpcVerdict } from "./protocols/h2-grpc-probe.ts";

/** Docker's default HEALTHCHECK --timeout is 30 s; we give up far sooner so a hung server reads as unhealthy. */
export const HEALTHCHECK_TIMEOUT_MS = 2000;

/** A status line longer than this is not from our server (RFC 9112 §4: "HTTP/1.1 200 OK" is tiny). */
const MAX_STATUS_LINE = 1024;

// RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ].
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: |$)/;

/** Where to reach a server bound to `host`: a wildcard bind is reachable on loopback. */
export function probeAddress(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "::1";
  return host;
}

/**
 * Requests `http://HOST:PORT/` (or the health path) once and resolves to the exit
 * code: 0 when the response's status is `config.status` (200 on the health path), 1 on any other status, a refused or
 * reset connection, or no status line within `timeoutMs`. Never rejects.
 * Failures are explained in one line on stderr (Docker keeps it in the
 * container's health log).
 */
export function healthcheck(
  config: Pick<Config, "host" | "port" | "status"> & Partial<Pick<Config, "healthPath" | "tlsCert" | "tlsPort" | "http2" | "healthcheckGrpc">>,
  timeoutMs: number = HEALTHCHECK_TIMEOUT_MS,
): Promise<number> {
  const host = probeAddress(config.host);
  const path = config.healthPath ?? "/";
  const expected = config.healthPath == null ? config.status : 200;
  // With TLS the HTTPS listener is probed (--tls-port, or --port when it serves HTTPS only).
  const tls = config.tlsCert != null;
  const port = tls ? (config.tlsPort ?? config.port) : config.port;
  const url = `${tls ? "https" : "http"}://${hostPort(host, port)}${path}`;
  if (port === 0) {
    return Promise.resolve(fail(`unhealthy: --port 0 names no port to probe`));
  }
  // --healthcheck-grpc: kubelet's gRPC probe from inside the image (FROM scratch: no grpc_health_probe).
  if (config.healthcheckGrpc === true) return probeGrpc(host, port, tls, `${tls ? "https" : "http"}://${hostPort(host, port)}/grpc.health.v1.Health/Check`, timeoutMs);
  // --http2 only refuses HTTP/1.1 (RFC 9113 §3.4): then the probe speaks HTTP/2 (h2c, or h2 by ALPN).
  if (config.http2 === "only") return probeHttp2(host, port, tls, path, expected, url, timeoutMs);
  return new Promise<number>((resolve) => {
    let head = "";
    let settled = false;
    const finish = (code: number, reason?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(reason === undefined ? code : fail(`unhealthy: ${url}: ${reason}`));
    };
    const timer = setTimeout(() => finish(1, `no response within ${timeoutMs} ms`), timeoutMs);
    // The certificate is not verified: it names the service, not the loopback address probed here,
    // and what is checked is that this server answers (the same process's files, checked at start).
    const socket = tls ? tlsConnect({ host, port, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] }) : connect({ host, port });
    socket.setEncoding("latin1");
    socket.on(tls ? "secureConnect" : "connect", () => {
      // RFC 9112 §3.2: Host is required in HTTP/1.1; `Connection: close` so the server does not keep us.
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostPort(host, port)}\r\nConnection: close\r\n\r\n`);
    });
    socket.on("data", (chunk: string) => {
      head += chunk;
      const eol = head.indexOf("\n");
      if (eol === -1) {
        if (head.length > MAX_STATUS_LINE) finish(1, "no HTTP status line");
        return;
      }
      const line = head.slice(0, eol).replace(/\r$/, "");
      const match = STATUS_LINE.exec(line);
      if (match === null) return finish(1, `not an HTTP/1.x response: ${JSON.stringify(line.slice(0, 80))}`);
      const status = Number(match[1]);
      if (status !== expected) return finish(1, `status ${status}, expected ${expected}`);
      finish(0);
    });
    socket.on("error", (err: Error) => finish(1, err.message));
    socket.on("close", () => finish(1, "connection closed before a status line"));
  });
}

/** The same probe over HTTP/2: preface, SETTINGS, one HEADERS; the answer's `:status` decides. */
function probeHttp2(host: string, port: number, tls: boolean, path: string, expected: number, url: string, timeoutMs: number): Promise<number> {
  return new Promise<number>((resolve) => {
    let settled = false;
    const reader = new ProbeReader();
    const finish = (code: number, reason?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(reason === undefined ? code : fail(`unhealthy: ${url} (HTTP/2): ${reason}`));
    };
    const timer = setTimeout(() => finish(1, `no response within ${timeoutMs} ms`), timeoutMs);
    const socket = tls ? tlsConnect({ host, port, rejectUnauthorized: false, ALPNProtocols: ["h2"] }) : connect({ host, port });
    socket.on(tls ? "secureConnect" : "connect", () => socket.write(probeRequest(path, hostPort(host, port), tls)));
    socket.on("data", (chunk: Uint8Array) => {
      const outcome = reader.push(chunk);
      if (outcome.kind === "more") {
        if (outcome.reply !== null) socket.write(outcome.reply);
        return;
      }
      if (outcome.kind === "error") return finish(1, outcome.reason);
      if (outcome.status !== expected) return finish(1, `status ${outcome.status}, expected ${expected}`);
      finish(0);
    });
    socket.on("error", (err: Error) => finish(1, err.message));
    socket.on("close", () => finish(1, "connection closed before a response"));
  });
}

/** grpc.health.v1.Health/Check for service "" over HTTP/2 (h2c, or h2 by ALPN): SERVING with grpc-status 0 is healthy. */
function probeGrpc(host: string, port: number, tls: boolean, url: string, timeoutMs: number): Promise<number> {
  return new Promise<number>((resolve) => {
    let settled = false;
    const reader = new GrpcProbeReader();
    const finish = (code: number, reason?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(reason === undefined ? code : fail(`unhealthy: ${url} (gRPC): ${reason}`));
    };
    const timer = setTimeout(() => finish(1, `no answer within ${timeoutMs} ms`), timeoutMs);
    const socket = tls ? tlsConnect({ host, port, rejectUnauthorized: false, ALPNProtocols: ["h2"] }) : connect({ host, port });
    socket.on(tls ? "secureConnect" : "connect", () => socket.write(grpcProbeRequest(hostPort(host, port), tls)));
    socket.on("data", (chunk: Uint8Array) => {
      const outcome = reader.push(chunk);
      if (outcome.kind === "more") {
        if (outcome.reply !== null) socket.write(outcome.reply);
        return;
      }
      if (outcome.kind === "error") return finish(1, outcome.reason);
      const why = grpcVerdict(outcome);
      if (why !== null) return finish(1, why);
      finish(0);
    });
    socket.on("error", (err: Error) => finish(1, err.message));
    socket.on("close", () => finish(1, "connection closed before the call ended"));
  });
}

function fail(message: string): number {
  process.stderr.write(`${message}\n`);
  return 1;
}
