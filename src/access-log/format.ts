/**
 * One access-log line per answered request (`--access-log text|json`): `text` is the combined
 * log format (nginx's and Apache's `combined`) with the duration and the worker pid appended,
 * then the fields that exist only sometimes as `key="value"`; `json` is one object per line
 * whose field names are fixed (docs/access-log.md) and always present, null when absent.
 * Pure: the writer (writer.ts) owns the descriptor.
 */
import { formatAddress, type SocketAddress } from "../contract/address.ts";

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

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;
const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** The combined format's time: `07/Dec/2026:18:44:28 +0000` (UTC). */
export function clfTime(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** A value inside double quotes, as nginx escapes it: `"`, `\`, control and non-ASCII bytes as \xHH, so a line stays one line. */
function quoted(value: string | null, cap: number): string {
  if (value === null) return '"-"';
  const s = value.length > cap ? value.slice(0, cap) : value;
  let out = "";
  for (const byte of new TextEncoder().encode(s)) {
    out += byte === 0x22 || byte === 0x5c || byte < 0x20 || byte >= 0x7f ? `\\x${byte.toString(16).toUpperCase().padStart(2, "0")}` : String.fromCharCode(byte);
  }
  return `"${out}"`;
}

function text(r: AccessRecord, caps: typeof CAPS | typeof TIGHT): string {
  const request = quoted(`${r.method} ${r.target.length > caps.target ? r.target.slice(0, caps.target) : r.target} ${r.protocol}`, caps.target + 64);
  const extra: string[] = [];
  if (r.forwardedFor !== null) extra.push(`xff=${quoted(r.forwardedFor, caps.header)}`);
  if (r.requestId !== null) extra.push(`request_id=${quoted(r.requestId, caps.header)}`);
  if (r.streamId !== 0) extra.push(`stream=${r.streamId}`);
  if (r.refused !== null) extra.push(`refused=${r.refused}`);
  if (r.fault !== null) extra.push(`fault=${r.fault}`);
  if (r.grpcStatus != null) extra.push(`grpc_status=${r.grpcStatus}`);
  if (r.ws !== null) extra.push(`ws_received=${r.ws.received}`, `ws_sent=${r.ws.sent}`);
  const client = formatAddress(r.client) || "-";
  const line = `${client} - - [${clfTime(r.time)}] ${request} ${r.status} ${r.bytes} ${quoted(r.referer, caps.header)} ${quoted(r.userAgent, caps.header)} ${Math.round(r.durationUs)} ${r.pid}`;
  return extra.length === 0 ? line : `${line} ${extra.join(" ")}`;
}

const cut = (v: string | null, cap: number) => (v === null || v.length <= cap ? v : v.slice(0, cap));

function json(r: AccessRecord, caps: typeof CAPS | typeof TIGHT): string {
  return JSON.stringify({
    time: new Date(r.time).toISOString(),
    client: formatAddress(r.client) || null,
    method: r.method,
    target: cut(r.target, caps.target),
    protocol: r.protocol,
    status: r.status,
    bytes: r.bytes,
    referer: cut(r.referer, caps.header),
    user_agent: cut(r.userAgent, caps.header),
    forwarded_for: cut(r.forwardedFor, caps.header),
    request_id: cut(r.requestId, caps.header),
    duration_us: Math.round(r.durationUs),
    pid: r.pid,
    stream_id: r.streamId === 0 ? null : r.streamId,
    refused: r.refused,
    fault: r.fault,
    grpc_status: r.grpcStatus ?? null,
    ws_received: r.ws?.received ?? null,
    ws_sent: r.ws?.sent ?? null,
  });
}

/** The line for `r`, without its newline; at most MAX_LINE_BYTES - 1 bytes of UTF-8, so that it and its newline are one atomic write. */
export function formatAccessLine(format: AccessLogFormat, r: AccessRecord): string {
  const render = format === "json" ? json : text;
  const line = render(r, CAPS);
  // JSON keeps non-ASCII as UTF-8 (up to 3 bytes a character): measure, and tighten the rare line that is too long.
  return line.length * 3 < MAX_LINE_BYTES || new TextEncoder().encode(line).length < MAX_LINE_BYTES ? line : render(r, TIGHT);
}
