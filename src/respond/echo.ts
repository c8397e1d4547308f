/**
 * Echo (--echo-path): that path answers with the request as it arrived and who answered it,
 * as JSON, or as text in traefik/whoami's layout (`Accept: text/plain` or `?format=text`).
 * People put it behind proxies and load balancers to see what they changed: the header
 * fields in the order and spelling received, the client's and local addresses, the pod.
 *
 * The head's bytes are read in `plan` (its buffer is reused afterwards); the answer is built
 * once the body has been read, so the body's length is known. Every limit of the core
 * applies unchanged: the core reads and frames the request before echo sees it.
 */
import { formatAddress } from "../contract/address.ts";
import { forEachField, fieldNameIs } from "../http/fields.ts";
import { Byte } from "../http/constants.ts";
import { targetPathIs } from "../http/head.ts";
import type { ResponseCache } from "../http/response.ts";
import type { Answer, ConnectionInfo, Responder, RequestView, SocketAddress } from "../http/responder.ts";
import type { Identity } from "./echo-identity.ts";

const JSON_TYPE = "application/json";
const TEXT_TYPE = "text/plain; charset=utf-8";
/** What arrived is not for caches to keep. */
const FIELDS = "Cache-Control: no-store\r\n";

export interface EchoPlan {
  readonly method: string;
  readonly target: string;
  readonly path: string;
  /** After the `?`, or null when there is none. */
  readonly query: string | null;
  readonly version: string;
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
  headers: Array<[string, string]>;
  bodyLength: number;
  client: SocketAddress | null;
  local: SocketAddress | null;
  hostname: string;
  pod?: string;
  namespace?: string;
  node?: string;
  worker: { pid: number; runtime: string; io: string };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const latin1 = new TextDecoder("latin1");

/** Field bytes as text: UTF-8 when they are valid UTF-8, else one character per byte (obs-text, RFC 9110 §5.5). */
function decode(buf: Uint8Array, start: number, end: number): string {
  const bytes = buf.subarray(start, end);
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      try {
        return utf8.decode(bytes);
      } catch {
        return latin1.decode(bytes);
      }
    }
  }
  return latin1.decode(bytes);
}

/** A two-string array (a header field) as JSON.stringify indents it: put back on one line. */
const PAIR = /\[\n\s+("(?:[^"\\\n]|\\.)*"),\n\s+("(?:[^"\\\n]|\\.)*")\n\s+\]/g;

/** JSON with every character outside ASCII as a \u escape: valid JSON, and valid in any ASCII-safe channel. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value, null, 2)
    .replace(PAIR, "[$1, $2]")
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function hostPort(a: SocketAddress | null): string {
  return a === null ? "unknown" : formatAddress(a);
}

/** whoami's layout: who answered, one fact a line, then the request as received. */
export function echoText(report: EchoReport): string {
  const lines = [`Hostname: ${report.hostname}`];
  if (report.pod !== undefined) lines.push(`Pod: ${report.pod}`);
  if (report.namespace !== undefined) lines.push(`Namespace: ${report.namespace}`);
  if (report.node !== undefined) lines.push(`Node: ${report.node}`);
  lines.push(`Worker: ${report.worker.pid} (${report.worker.runtime}, io ${report.worker.io})`);
  lines.push(`RemoteAddr: ${hostPort(report.client)}`, `LocalAddr: ${hostPort(report.local)}`);
  lines.push(`${report.method} ${report.target} ${report.version}`);
  for (const [name, value] of report.headers) lines.push(`${name}: ${value}`);
  lines.push("", `Body-Length: ${report.bodyLength}`);
  return lines.join("\n") + "\n";
}

export function echoResponder(echoPath: string, responses: ResponseCache, identity: Identity): Responder<EchoPlan> {
  const path = new TextEncoder().encode(echoPath);
  const encoder = new TextEncoder();

  return {
    plan(request: RequestView, conn: ConnectionInfo): EchoPlan | null {
      const { buf, start, end, head } = request;
      if (!targetPathIs(buf, head, path)) return null;
      let sp = start;
      while (sp < end && buf[sp] !== Byte.SP) sp++;
      const target = decode(buf, head.targetStart, head.targetEnd);
      const q = target.indexOf("?");
      const query = q < 0 ? null : target.slice(q + 1);
      const headers: Array<readonly [string, string]> = [];
      let acceptsText = false;
      forEachField(buf, start, end, (ns, ne, vs, ve) => {
        headers.push([decode(buf, ns, ne), decode(buf, vs, ve)]);
        if (fieldNameIs(buf, ns, ne, "accept") && /(^|,)\s*text\/plain/i.test(decode(buf, vs, ve))) acceptsText = true;
      });
      const text = acceptsText || (query !== null && /(^|&)format=text(&|$)/.test(query));
      return {
        method: decode(buf, start, sp),
        target,
        path: q < 0 ? target : target.slice(0, q),
        query,
        version: `HTTP/1.${head.minor}`,
        headers,
        client: conn.transport.remoteAddress?.() ?? null,
        local: conn.transport.localAddress?.() ?? null,
        text,
      };
    },

    answer(plan, persist, isHead, bodyLength): Answer {
      const report: EchoReport = {
        method: plan.method,
        target: plan.target,
        path: plan.path,
        query: plan.query,
        version: plan.version,
        headers: plan.headers.map(([n, v]) => [n, v]),
        bodyLength,
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
      const body = encoder.encode(plan.text ? echoText(report) : asciiJson(ordered) + "\n");
      const head = responses.encodeAnswer(200, plan.text ? TEXT_TYPE : JSON_TYPE, body, persist, isHead, FIELDS);
      return { head, body: null, delayMs: 0, close: false, reset: false };
    },
  };
}

function orderReport(r: EchoReport): EchoReport {
  const { worker, ...rest } = r;
  return { ...rest, worker };
}
