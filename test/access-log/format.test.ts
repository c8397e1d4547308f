/**
 * The byte formatter (format.ts, bytes.ts) against the string formatter it replaced, kept here as
 * the reference: for random records (ASCII, control bytes, quotes, backslashes, non-ASCII, astral
 * characters, lone surrogates, over-long values) both forms must be byte for byte the same line.
 */
import { expect, test } from "bun:test";
import { formatAddress } from "../../src/contract/address.ts";
import { formatAccessLine, MAX_LINE_BYTES, type AccessRecord } from "../../src/access-log/format.ts";

const CAPS = { target: 1024, header: 256 } as const;
/** What a line falls back to when even capped fields make it too long (every byte escaped). */
const TIGHT = { target: 128, header: 32 } as const;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;
const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** The combined format's time: `07/Dec/2026:18:44:28 +0000` (UTC). */
function clfTime(ms: number): string {
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

function refText(r: AccessRecord, caps: typeof CAPS | typeof TIGHT): string {
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

function refJson(r: AccessRecord, caps: typeof CAPS | typeof TIGHT): string {
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
function referenceLine(format: "text" | "json", r: AccessRecord): string {
  const render = format === "json" ? refJson : refText;
  const line = render(r, CAPS);
  return line.length * 3 < MAX_LINE_BYTES || new TextEncoder().encode(line).length < MAX_LINE_BYTES ? line : render(r, TIGHT);
}

/** A deterministic generator (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ["a", "Z", "/", " ", '"', "\\", "\n", "\t", "\u0001", "\u001f", "\u007f", "é", "\u00ff", "€", "\u{1F600}", "\ud800", "\udfff", "-", "%", "?"];

function value(next: () => number, maxLength: number): string {
  const length = Math.floor(next() ** 3 * maxLength);
  let s = "";
  while (s.length < length) s += next() < 0.6 ? "x" : PIECES[Math.floor(next() * PIECES.length)]!;
  return s;
}

function record(next: () => number): AccessRecord {
  const maybe = (max: number) => (next() < 0.4 ? null : value(next, max));
  return {
    time: Date.UTC(2026, 11, 7, 18, 44, 28) + next() * 1e10,
    client: next() < 0.2 ? null : next() < 0.5 ? { address: "::1", port: Math.floor(next() * 65536) } : { address: "10.0.0.7", port: 80 },
    method: next() < 0.9 ? "GET" : value(next, 40),
    target: value(next, 3000),
    protocol: next() < 0.5 ? "HTTP/1.1" : "HTTP/2.0",
    status: Math.floor(next() * 600),
    bytes: Math.floor(next() * 1e9),
    referer: maybe(600),
    userAgent: maybe(600),
    forwardedFor: maybe(600),
    requestId: maybe(100),
    durationUs: next() * 1e7,
    pid: Math.floor(next() * 4e6),
    streamId: next() < 0.5 ? 0 : 2 * Math.floor(next() * 1e6) + 1,
    refused: next() < 0.8 ? null : "headers_too_large",
    fault: next() < 0.8 ? null : next() < 0.5 ? "error" : "delay+reset",
    grpcStatus: next() < 0.8 ? null : Math.floor(next() * 17),
    ws: next() < 0.8 ? null : { received: Math.floor(next() * 1000), sent: Math.floor(next() * 1000) },
  };
}

test("both formats, 4,000 random records: the byte formatter writes exactly the reference's line", () => {
  const next = random(20261207);
  for (let i = 0; i < 2000; i++) {
    const r = record(next);
    for (const format of ["text", "json"] as const) {
      const line = formatAccessLine(format, r);
      if (line !== referenceLine(format, r)) expect({ format, r, line }).toEqual({ format, r, line: referenceLine(format, r) });
    }
  }
});

test("the cached time stamps follow the clock across seconds, days and years", () => {
  const base: AccessRecord = record(random(1));
  for (const t of [Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2027, 0, 1), Date.UTC(2027, 0, 1, 0, 0, 0, 7.9), Date.UTC(2026, 11, 31, 23, 59, 59, 0)]) {
    expect(formatAccessLine("text", { ...base, time: t })).toBe(referenceLine("text", { ...base, time: t }));
    expect(formatAccessLine("json", { ...base, time: t })).toBe(referenceLine("json", { ...base, time: t }));
  }
});
