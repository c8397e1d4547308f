/**
 * One access-log line per answered request (`--access-log text|json`): `text` is the combined
 * log format (nginx's and Apache's `combined`) with the duration and the worker pid appended,
 * then the fields that exist only sometimes as `key="value"`; `json` is one object per line
 * whose field names are fixed (docs/access-log.md) and always present, null when absent.
 * Pure: lines are written as bytes into a {@link LineBytes} (bytes.ts); the writer (writer.ts)
 * owns the descriptor.
 */
import { formatAddress, type SocketAddress } from "../contract/address.ts";
import { LineBytes } from "./bytes.ts";

export const ACCESS_LOG_FORMATS = ["text", "json"] as const;
export type AccessLogFormat = (typeof ACCESS_LOG_FORMATS)[number];

/** What one line says. */
export interface AccessRecord {
  /** When the answer went out, ms since the epoch. */
  readonly time: number;
  readonly client: SocketAddress | null;
  readonly method: string;
  readonly target: string;
  /** `HTTP/1.1`, `HTTP/1.0`, `HTTP/2.0` as the request line names it. */
  readonly protocol: string;
  readonly status: number;
  /** Content bytes sent (the combined format's `%b`: the body, not the head). */
  readonly bytes: number;
  readonly referer: string | null;
  readonly userAgent: string | null;
  readonly forwardedFor: string | null;
  readonly requestId: string | null;
  /** µs from the request's first byte to the answer's last byte handed to the kernel. */
  readonly durationUs: number;
  readonly pid: number;
  /** The HTTP/2 stream, 0 on HTTP/1.x. */
  readonly streamId: number;
  /** The parser's refusal (its reason, lower case: `headers_too_large`), or null. */
  readonly refused: string | null;
  /** The fault injected (`error`, `delay`, `reset`), or null. */
  readonly fault: string | null;
  /** A gRPC call's grpc-status (the HTTP status is 200 for every call that reached its trailers); absent or null otherwise. */
  readonly grpcStatus?: number | null;
  /** A WebSocket session, logged once at its close: whole messages received and sent; null otherwise. */
  readonly ws: { readonly received: number; readonly sent: number } | null;
}

/** PIPE_BUF on Linux: a write of at most this many bytes to a pipe is never interleaved with another's (pipe(7)). */
export const MAX_LINE_BYTES = 4096;

/** Longest request-target and header values kept, in characters (a line must fit MAX_LINE_BYTES). */
const CAPS = { target: 1024, header: 256 } as const;
/** What a line falls back to when even capped fields make it too long (every byte escaped). */
const TIGHT = { target: 128, header: 32 } as const;
type Caps = typeof CAPS | typeof TIGHT;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;
const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** The combined format's time: `07/Dec/2026:18:44:28 +0000` (UTC). */
export function clfTime(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/**
 * Both time stamps change once a second: each is formatted once per second and copied as bytes
 * (a Date and a string per line was most of the JSON form's cost, bench/micro/access-log.ts).
 */
class SecondCache {
  #second = NaN;
  #bytes: Uint8Array = new Uint8Array(0);
  constructor(private readonly render: (second: number) => string) {}
  at(ms: number): Uint8Array {
    const second = Math.floor(ms / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#bytes = ascii(this.render(second * 1000));
    }
    return this.#bytes;
  }
}
const clfSecond = new SecondCache(clfTime);
/** `2026-12-07T18:44:28.`: the ISO form up to its milliseconds. */
const isoSecond = new SecondCache((ms) => new Date(ms).toISOString().slice(0, -4));

/** The last client formatted: one connection's requests come in a row (keep-alive, pipelined). */
let lastClient: SocketAddress | null = null;
let lastClientText = "";
function clientText(a: SocketAddress | null): string {
  if (a === null) return "";
  if (lastClient === null || a.port !== lastClient.port || a.address !== lastClient.address) {
    lastClient = a;
    lastClientText = formatAddress(a);
  }
  return lastClientText;
}

const Q = 0x22;
const SP = 0x20;

function quotedHeader(out: LineBytes, value: string | null, cap: number): void {
  out.byte(Q);
  if (value === null) out.byte(0x2d);
  else out.nginx(value, cap);
  out.byte(Q);
}

function text(out: LineBytes, r: AccessRecord, caps: Caps): void {
  const client = clientText(r.client);
  out.ascii(client === "" ? "-" : client);
  out.ascii(" - - [");
  out.bytes(clfSecond.at(r.time));
  out.ascii('] "');
  // The request line is one quoted value, cut as a whole at the target's cap plus room for the rest.
  let budget = caps.target + 64;
  out.nginx(r.method, budget);
  budget -= Math.min(r.method.length, budget);
  if (budget > 0) {
    out.byte(SP);
    budget--;
    const target = Math.min(r.target.length, caps.target, budget);
    out.nginx(r.target, target);
    budget -= target;
  }
  if (budget > 0) {
    out.byte(SP);
    budget--;
    out.nginx(r.protocol, budget);
  }
  out.ascii('" ');
  out.int(r.status);
  out.byte(SP);
  out.int(r.bytes);
  out.byte(SP);
  quotedHeader(out, r.referer, caps.header);
  out.byte(SP);
  quotedHeader(out, r.userAgent, caps.header);
  out.byte(SP);
  out.int(Math.round(r.durationUs));
  out.byte(SP);
  out.int(r.pid);
  if (r.forwardedFor !== null) {
    out.ascii(" xff=");
    quotedHeader(out, r.forwardedFor, caps.header);
  }
  if (r.requestId !== null) {
    out.ascii(" request_id=");
    quotedHeader(out, r.requestId, caps.header);
  }
  if (r.streamId !== 0) {
    out.ascii(" stream=");
    out.int(r.streamId);
  }
  if (r.refused !== null) {
    out.ascii(" refused=");
    out.ascii(r.refused);
  }
  if (r.fault !== null) {
    out.ascii(" fault=");
    out.ascii(r.fault);
  }
  if (r.grpcStatus != null) {
    out.ascii(" grpc_status=");
    out.int(r.grpcStatus);
  }
  if (r.ws !== null) {
    out.ascii(" ws_received=");
    out.int(r.ws.received);
    out.ascii(" ws_sent=");
    out.int(r.ws.sent);
  }
}

function jsonString(out: LineBytes, value: string | null, cap: number): void {
  if (value === null) return out.ascii("null");
  out.byte(Q);
  out.json(value, cap);
  out.byte(Q);
}

function jsonInt(out: LineBytes, value: number | null | undefined): void {
  if (value == null) out.ascii("null");
  else out.int(value);
}

const NO_CAP = Number.POSITIVE_INFINITY;

/** The JSON form's fixed text, encoded once: a byte copy each, and one copy for a run of fields that are all null (the common case). */
const J = {
  time: ascii('{"time":"'),
  client: ascii('Z","client":'),
  method: ascii(',"method":'),
  target: ascii(',"target":'),
  protocol: ascii(',"protocol":'),
  status: ascii(',"status":'),
  bytes: ascii(',"bytes":'),
  referer: ascii(',"referer":'),
  userAgent: ascii(',"user_agent":'),
  forwardedFor: ascii(',"forwarded_for":'),
  requestId: ascii(',"request_id":'),
  noFields: ascii(',"referer":null,"user_agent":null,"forwarded_for":null,"request_id":null'),
  duration: ascii(',"duration_us":'),
  pid: ascii(',"pid":'),
  streamId: ascii(',"stream_id":'),
  refused: ascii(',"refused":'),
  fault: ascii(',"fault":'),
  grpcStatus: ascii(',"grpc_status":'),
  wsReceived: ascii(',"ws_received":'),
  wsSent: ascii(',"ws_sent":'),
  noTail: ascii(',"stream_id":null,"refused":null,"fault":null,"grpc_status":null,"ws_received":null,"ws_sent":null}'),
} as const;

function json(out: LineBytes, r: AccessRecord, caps: Caps): void {
  out.bytes(J.time);
  out.bytes(isoSecond.at(r.time));
  const ms = Math.floor(r.time) % 1000;
  out.byte(0x30 + Math.floor(ms / 100));
  out.byte(0x30 + (Math.floor(ms / 10) % 10));
  out.byte(0x30 + (ms % 10));
  out.bytes(J.client);
  const client = clientText(r.client);
  jsonString(out, client === "" ? null : client, NO_CAP);
  out.bytes(J.method);
  jsonString(out, r.method, NO_CAP);
  out.bytes(J.target);
  jsonString(out, r.target, caps.target);
  out.bytes(J.protocol);
  jsonString(out, r.protocol, NO_CAP);
  out.bytes(J.status);
  out.int(r.status);
  out.bytes(J.bytes);
  out.int(r.bytes);
  if (r.referer === null && r.userAgent === null && r.forwardedFor === null && r.requestId === null) out.bytes(J.noFields);
  else {
    out.bytes(J.referer);
    jsonString(out, r.referer, caps.header);
    out.bytes(J.userAgent);
    jsonString(out, r.userAgent, caps.header);
    out.bytes(J.forwardedFor);
    jsonString(out, r.forwardedFor, caps.header);
    out.bytes(J.requestId);
    jsonString(out, r.requestId, caps.header);
  }
  out.bytes(J.duration);
  out.int(Math.round(r.durationUs));
  out.bytes(J.pid);
  out.int(r.pid);
  if (r.streamId === 0 && r.refused === null && r.fault === null && r.grpcStatus == null && r.ws === null) return out.bytes(J.noTail);
  out.bytes(J.streamId);
  jsonInt(out, r.streamId === 0 ? null : r.streamId);
  out.bytes(J.refused);
  jsonString(out, r.refused, NO_CAP);
  out.bytes(J.fault);
  jsonString(out, r.fault, NO_CAP);
  out.bytes(J.grpcStatus);
  jsonInt(out, r.grpcStatus);
  out.bytes(J.wsReceived);
  jsonInt(out, r.ws === null ? null : r.ws.received);
  out.bytes(J.wsSent);
  jsonInt(out, r.ws === null ? null : r.ws.sent);
  out.byte(0x7d);
}

/**
 * Appends the line for `r` and its newline to `out`: at most MAX_LINE_BYTES bytes together, so
 * that they are one atomic write. False, with nothing appended, when even the tight caps leave
 * it longer (a method or a fault name kilobytes long): the caller counts it as dropped.
 */
export function encodeAccessLine(format: AccessLogFormat, r: AccessRecord, out: LineBytes): boolean {
  const render = format === "json" ? json : text;
  const start = out.n;
  render(out, r, CAPS);
  if (out.n - start >= MAX_LINE_BYTES) {
    // Non-ASCII and escaped bytes take up to 12 bytes a character: the rare line that is too long is cut tighter.
    out.n = start;
    render(out, r, TIGHT);
    if (out.n - start >= MAX_LINE_BYTES) {
      out.n = start;
      return false;
    }
  }
  out.byte(0x0a);
  return true;
}

const scratch = new LineBytes(MAX_LINE_BYTES * 4);
const utf8 = new TextDecoder();

/** The line for `r`, without its newline, as a string (tests, and what reads a line back); "" when it cannot fit. */
export function formatAccessLine(format: AccessLogFormat, r: AccessRecord): string {
  scratch.head = scratch.n = 0;
  if (!encodeAccessLine(format, r, scratch)) return "";
  return utf8.decode(scratch.buf.subarray(0, scratch.n - 1));
}
