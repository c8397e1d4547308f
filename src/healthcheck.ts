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
import { HEALTH_CHECK_PATH } from "./grpc/health.ts";

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
  const authority = hostPort(host, port);
  const origin = `${tls ? "https" : "http"}://${authority}`;
  if (port === 0) {
    return Promise.resolve(fail(`unhealthy: --port 0 names no port to probe`));
  }
  // --healthcheck-grpc: kubelet's gRPC probe from inside the image (FROM scratch: no grpc_health_probe).
  if (config.healthcheckGrpc === true) return probe(host, port, tls, `${origin}${HEALTH_CHECK_PATH} (gRPC)`, timeoutMs, grpcWire(authority, tls));
  // --http2 only refuses HTTP/1.1 (RFC 9113 §3.4): then the probe speaks HTTP/2 (h2c, or h2 by ALPN).
  if (config.http2 === "only") return probe(host, port, tls, `${origin}${path} (HTTP/2)`, timeoutMs, http2Wire(path, authority, tls, expected));
  return probe(host, port, tls, `${origin}${path}`, timeoutMs, http1Wire(path, authority, expected));
}

/** What a wire reader makes of one read: read on (writing `reply` first, when there is one), or the verdict (null: healthy, else why not). */
type WireStep = { readonly kind: "more"; readonly reply: Uint8Array | null } | { readonly kind: "done"; readonly unhealthy: string | null };

/** One probe's protocol: the ALPN it asks for, its request, how it reads the answer, and what it waits for. */
interface ProbeWire {
  readonly alpn: string;
  readonly request: string | Uint8Array;
  readonly read: (chunk: Uint8Array) => WireStep;
  /** Ends "connection closed before …". */
  readonly awaited: string;
}

/**
 * Connects (TLS when `tls`), writes the wire's request and feeds it the reads until it has a
 * verdict, the connection ends or `timeoutMs` passes; resolves to the exit code, never rejects.
 */
function probe(host: string, port: number, tls: boolean, url: string, timeoutMs: number, wire: ProbeWire): Promise<number> {
  return new Promise<number>((resolve) => {
    let settled = false;
    const finish = (unhealthy: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(unhealthy === null ? 0 : fail(`unhealthy: ${url}: ${unhealthy}`));
    };
    const timer = setTimeout(() => finish(`no response within ${timeoutMs} ms`), timeoutMs);
    // The certificate is not verified: it names the service, not the loopback address probed here,
    // and what is checked is that this server answers (the same process's files, checked at start).
    const socket = tls ? tlsConnect({ host, port, rejectUnauthorized: false, ALPNProtocols: [wire.alpn] }) : connect({ host, port });
    socket.on(tls ? "secureConnect" : "connect", () => socket.write(wire.request));
    socket.on("data", (chunk: Uint8Array) => {
      const step = wire.read(chunk);
      if (step.kind === "done") return finish(step.unhealthy);
      if (step.reply !== null) socket.write(step.reply);
    });
    socket.on("error", (err: Error) => finish(err.message));
    socket.on("close", () => finish(`connection closed before ${wire.awaited}`));
  });
}

/** HTTP/1.1: `GET path`, and the status line decides. */
function http1Wire(path: string, authority: string, expected: number): ProbeWire {
  let head = "";
  const read = (chunk: Uint8Array): WireStep => {
    // Only the first MAX_STATUS_LINE + 1 octets can matter; latin1 keeps each octet one character.
    head += String.fromCharCode(...chunk.subarray(0, Math.max(0, MAX_STATUS_LINE + 1 - head.length)));
    const eol = head.indexOf("\n");
    if (eol === -1) return head.length > MAX_STATUS_LINE ? { kind: "done", unhealthy: "no HTTP status line" } : { kind: "more", reply: null };
    const line = head.slice(0, eol).replace(/\r$/, "");
    const match = STATUS_LINE.exec(line);
    if (match === null) return { kind: "done", unhealthy: `not an HTTP/1.x response: ${JSON.stringify(line.slice(0, 80))}` };
    const status = Number(match[1]);
    return { kind: "done", unhealthy: status === expected ? null : `status ${status}, expected ${expected}` };
  };
  // RFC 9112 §3.2: Host is required in HTTP/1.1; `Connection: close` so the server does not keep us.
  const request = `GET ${path} HTTP/1.1\r\nHost: ${authority}\r\nConnection: close\r\n\r\n`;
  return { alpn: "http/1.1", request, read, awaited: "a status line" };
}

/** The same over HTTP/2: preface, SETTINGS, one HEADERS; the answer's `:status` decides. */
function http2Wire(path: string, authority: string, tls: boolean, expected: number): ProbeWire {
  const reader = new ProbeReader();
  const read = (chunk: Uint8Array): WireStep => {
    const outcome = reader.push(chunk);
    if (outcome.kind === "more") return outcome;
    if (outcome.kind === "error") return { kind: "done", unhealthy: outcome.reason };
    return { kind: "done", unhealthy: outcome.status === expected ? null : `status ${outcome.status}, expected ${expected}` };
  };
  return { alpn: "h2", request: probeRequest(path, authority, tls), read, awaited: "a response" };
}

/** grpc.health.v1.Health/Check for service "" over HTTP/2 (h2c, or h2 by ALPN): SERVING with grpc-status 0 is healthy. */
function grpcWire(authority: string, tls: boolean): ProbeWire {
  const reader = new GrpcProbeReader();
  const read = (chunk: Uint8Array): WireStep => {
    const outcome = reader.push(chunk);
    if (outcome.kind === "more") return outcome;
    return { kind: "done", unhealthy: outcome.kind === "error" ? outcome.reason : grpcVerdict(outcome) };
  };
  return { alpn: "h2", request: grpcProbeRequest(authority, tls), read, awaited: "the call ended" };
}

function fail(message: string): number {
  process.stderr.write(`${message}\n`);
  return 1;
}
