/**
 * Echo (--echo-path): that path answers with the request as it arrived and who answered it,
 * as JSON, or as text in traefik/whoami's layout (`Accept: text/plain` or `?format=text`).
 * People put it behind proxies and load balancers to see what they changed: the header
 * fields in the order and spelling received, the client's and local addresses, the pod.
 *
 * It reads the protocol-neutral request (src/contract/exchange.ts), so an HTTP/2 stream is
 * echoed like an HTTP/1.1 request (with its stream id). The request is read in `plan` (valid
 * only then); the answer is built once the body has been read, so the body's length is known.
 * Every limit of the core applies unchanged: the protocol reads and frames the request first.
 */
import { formatAddress, type SocketAddress } from "../contract/address.ts";
import { BodyKind, type ExchangeRequest, type Protocol, type Reply, type Responder } from "../contract/exchange.ts";
import { Http1Request } from "../http/exchange-request.ts";
import type { Identity } from "./echo-identity.ts";
import { echoBody, type BodyEncoding } from "./echo-body.ts";

const JSON_TYPE = "application/json";
const TEXT_TYPE = "text/plain; charset=utf-8";
/** What arrived is not for caches to keep. */
const FIELDS = [["Cache-Control", "no-store"]] as const;

export interface EchoPlan {
  readonly method: string;
  readonly target: string;
  readonly path: string;
  /** After the `?`, or null when there is none. */
  readonly query: string | null;
  readonly version: string;
  /** The HTTP/2 stream; 0 on HTTP/1.x (then not shown). */
  readonly streamId: number;
  /** [name, value] in the order and spelling received. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly client: SocketAddress | null;
  readonly local: SocketAddress | null;
  readonly text: boolean;
}

/** What the JSON answer holds, in this order. */
export interface EchoReport {
  method: string;
  target: string;
  path: string;
  query: string | null;
  version: string;
  /** Only on HTTP/2. */
  streamId?: number;
  headers: Array<[string, string]>;
  bodyLength: number;
  /** The body's first bytes (src/respond/echo-body.ts); null when the protocol did not hand it over. */
  body: string | null;
  bodyEncoding: BodyEncoding | null;
  /** The body was longer than --echo-max-body: `body` holds its first bytes only. */
  bodyTruncated: boolean;
  client: SocketAddress | null;
  local: SocketAddress | null;
  hostname: string;
  pod?: string;
  namespace?: string;
  node?: string;
  worker: { pid: number; runtime: string; io: string };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Field text as a protocol hands it over (one character per octet) shown as UTF-8 where its
 * octets are valid UTF-8, else as it is (obs-text, RFC 9110 §5.5).
 */
function decode(octets: string): string {
  let high = false;
  for (let i = 0; i < octets.length && !high; i++) high = octets.charCodeAt(i) >= 0x80;
  if (!high) return octets;
  try {
    return utf8.decode(Uint8Array.from(octets, (c) => c.charCodeAt(0)));
  } catch {
    return octets;
  }
}

const VERSIONS: Record<Protocol, string> = { "http/1.0": "HTTP/1.0", "http/1.1": "HTTP/1.1", h2: "HTTP/2" };

/** The path of a target: up to its `?`. */
function pathOf(target: string): string {
  const q = target.indexOf("?");
  return q < 0 ? target : target.slice(0, q);
}

/** A two-string array (a header field) as JSON.stringify indents it: put back on one line. */
const PAIR = /\[\n\s+("(?:[^"\\\n]|\\.)*"),\n\s+("(?:[^"\\\n]|\\.)*")\n\s+\]/g;

/** JSON with every character outside ASCII as a \u escape: valid JSON, and valid in any ASCII-safe channel. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value, null, 2)
    .replace(PAIR, "[$1, $2]")
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function shownAddress(a: SocketAddress | null): string {
  return a === null ? "unknown" : formatAddress(a);
}

/** whoami's layout: who answered, one fact a line, then the request as received. */
export function echoText(report: EchoReport): string {
  const lines = [`Hostname: ${report.hostname}`];
  if (report.pod !== undefined) lines.push(`Pod: ${report.pod}`);
  if (report.namespace !== undefined) lines.push(`Namespace: ${report.namespace}`);
  if (report.node !== undefined) lines.push(`Node: ${report.node}`);
  lines.push(`Worker: ${report.worker.pid} (${report.worker.runtime}, io ${report.worker.io})`);
  lines.push(`RemoteAddr: ${shownAddress(report.client)}`, `LocalAddr: ${shownAddress(report.local)}`);
  lines.push(`${report.method} ${report.target} ${report.version}`);
  if (report.streamId !== undefined) lines.push(`Stream: ${report.streamId}`);
  for (const [name, value] of report.headers) lines.push(`${name}: ${value}`);
  lines.push("", `Body-Length: ${report.bodyLength}`);
  if (report.bodyLength === 0 || report.body === null) return lines.join("\n") + "\n";
  lines.push(`Body-Encoding: ${report.bodyEncoding}`);
  if (report.bodyTruncated) lines.push("Body-Truncated: true");
  // The body last, after a blank line, as it came (or its base64): nothing after it to confuse it with.
  return lines.join("\n") + "\n\n" + report.body + "\n";
}

/** `maxBody`: --echo-max-body (its default when a test leaves it out). */
export function echoResponder(echoPath: string, identity: Identity, maxBody = 64 * 1024): Responder<EchoPlan> {
  const path = new TextEncoder().encode(echoPath);
  const encoder = new TextEncoder();

  return {
    plan(request: ExchangeRequest): EchoPlan | null {
      // On HTTP/1.1 the path is compared in the head's bytes: every other request costs no decoding.
      if (request instanceof Http1Request ? !request.pathIs(path) : pathOf(request.target) !== echoPath) return null;
      const target = decode(request.target);
      const q = target.indexOf("?");
      const query = q < 0 ? null : target.slice(q + 1);
      const headers: Array<readonly [string, string]> = [];
      let acceptsText = false;
      request.fields.forEach((name, value) => {
        headers.push([decode(name), decode(value)]);
        if (name.length === 6 && name.toLowerCase() === "accept" && /(^|,)\s*text\/plain/i.test(value)) acceptsText = true;
      });
      const text = acceptsText || (query !== null && /(^|&)format=text(&|$)/.test(query));
      return {
        method: request.method,
        target,
        path: q < 0 ? target : target.slice(0, q),
        query,
        version: VERSIONS[request.protocol],
        streamId: request.streamId,
        headers,
        client: request.peer,
        local: request.local,
        text,
      };
    },

    // Only for the echo path (plan is null elsewhere): every other request's body is still skipped unread.
    wantsBody(): boolean {
      return true;
    },

    answer(plan, finished): Reply {
      const shown = echoBody(finished.body, finished.bodyLength, maxBody);
      const report: EchoReport = {
        method: plan.method,
        target: plan.target,
        path: plan.path,
        query: plan.query,
        version: plan.version,
        ...(plan.streamId === 0 ? {} : { streamId: plan.streamId }),
        headers: plan.headers.map(([n, v]) => [n, v]),
        bodyLength: finished.bodyLength,
        body: shown.data,
        bodyEncoding: shown.encoding,
        bodyTruncated: shown.truncated,
        client: plan.client,
        local: plan.local,
        hostname: identity.hostname,
        worker: { pid: identity.pid, runtime: identity.runtime, io: identity.io },
      };
      if (identity.pod !== null) report.pod = identity.pod;
      if (identity.namespace !== null) report.namespace = identity.namespace;
      if (identity.node !== null) report.node = identity.node;
      // Key order as EchoReport declares it (the pod fields after hostname).
      const ordered = plan.text ? null : orderReport(report);
      const bytes = encoder.encode(plan.text ? echoText(report) : asciiJson(ordered) + "\n");
      const body = { kind: BodyKind.BYTES, bytes, contentType: plan.text ? TEXT_TYPE : JSON_TYPE } as const;
      return { status: 200, fields: FIELDS, body, trailers: null, delayMs: 0, close: false, reset: false };
    },
  };
}

function orderReport(r: EchoReport): EchoReport {
  const { worker, ...rest } = r;
  return { ...rest, worker };
}
