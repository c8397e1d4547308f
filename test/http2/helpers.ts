/**
 * Driving an Http2Session in-process over the shared FakeTransport: client-side frame and HPACK
 * builders, and a reader of what the server wrote.
 */
import { CLIENT_PREFACE, ErrorCode, FrameType, SettingId } from "../../src/http2/constants.ts";
import { encodeResponseHeaders, HpackDecoder } from "../../src/http2/hpack/index.ts";
import { Http2Session } from "../../src/http2/session.ts";
import { DEFAULT_HTTP2_OPTIONS, type Http2App, type Http2Options, type Http2Reply, type Http2Request } from "../../src/http2/types.ts";
import { FakeTransport } from "../helpers/fake-transport.ts";

export function frame(type: number, flags: number, streamId: number, payload: ArrayLike<number> = []): Uint8Array {
  const out = new Uint8Array(9 + payload.length);
  out[0] = payload.length >>> 16;
  out[1] = (payload.length >>> 8) & 0xff;
  out[2] = payload.length & 0xff;
  out[3] = type;
  out[4] = flags;
  new DataView(out.buffer).setUint32(5, streamId >>> 0);
  out.set(payload, 9);
  return out;
}

export function u32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

export function settingsPayload(entries: ReadonlyArray<readonly [number, number]>): number[] {
  return entries.flatMap(([id, v]) => [id >>> 8, id & 0xff, ...u32(v)]);
}

function hpackInt(value: number, prefixBits: number, first: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [first | value];
  const out = [first | max];
  value -= max;
  while (value >= 128) {
    out.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  out.push(value);
  return out;
}

/** A header block of literals without indexing, new names, no Huffman (RFC 7541 §6.2.2). */
export function block(fields: ReadonlyArray<readonly [string, string]>): number[] {
  const out: number[] = [];
  for (const [name, value] of fields) {
    out.push(0x00, ...hpackInt(name.length, 7, 0), ...[...name].map((c) => c.charCodeAt(0)));
    out.push(...hpackInt(value.length, 7, 0), ...[...value].map((c) => c.charCodeAt(0)));
  }
  return out;
}

export const GET: ReadonlyArray<readonly [string, string]> = [
  [":method", "GET"],
  [":scheme", "http"],
  [":path", "/"],
  [":authority", "a"],
];

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The client's preface and an empty SETTINGS. */
export function preface(settings: ReadonlyArray<readonly [number, number]> = []): Uint8Array {
  return concat([CLIENT_PREFACE, frame(FrameType.SETTINGS, 0, 0, settingsPayload(settings))]);
}

export interface OutFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Uint8Array;
}

export function parseFrames(bytes: Uint8Array): OutFrame[] {
  const frames: OutFrame[] = [];
  let p = 0;
  while (p + 9 <= bytes.length) {
    const len = (bytes[p]! << 16) | (bytes[p + 1]! << 8) | bytes[p + 2]!;
    if (p + 9 + len > bytes.length) throw new Error(`truncated frame at ${p}`);
    frames.push({ type: bytes[p + 3]!, flags: bytes[p + 4]!, streamId: new DataView(bytes.buffer, bytes.byteOffset).getUint32(p + 5) & 0x7fffffff, payload: bytes.slice(p + 9, p + 9 + len) });
    p += 9 + len;
  }
  if (p !== bytes.length) throw new Error(`${bytes.length - p} stray octets`);
  return frames;
}

const CODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(ErrorCode).map(([k, v]) => [v, k]));

/**
 * What the server said, as words: `STATUS id NNN`, `DATA id n [END]`, `TRAILERS id`, `RST id CODE`,
 * `GOAWAY last CODE`, `PING_ACK`; SETTINGS, their ACKs and WINDOW_UPDATEs are left out.
 */
export function events(bytes: Uint8Array): string[] {
  const decoder = new HpackDecoder();
  const out: string[] = [];
  const sawHeaders = new Set<number>();
  let block: number[] = [];
  for (const f of parseFrames(bytes)) {
    const view = new DataView(f.payload.buffer, f.payload.byteOffset);
    if (f.type === FrameType.HEADERS || f.type === FrameType.CONTINUATION) {
      block.push(...f.payload);
      if ((f.flags & 0x4) === 0) continue;
      let status = "";
      decoder.decode(Uint8Array.from(block), 0, block.length, 1 << 20, (n, v) => {
        if (n === ":status") status = v;
      });
      block = [];
      out.push(sawHeaders.has(f.streamId) ? `TRAILERS ${f.streamId}` : `STATUS ${f.streamId} ${status}`);
      sawHeaders.add(f.streamId);
    } else if (f.type === FrameType.DATA) out.push(`DATA ${f.streamId} ${f.payload.length}${(f.flags & 1) !== 0 ? " END" : ""}`);
    else if (f.type === FrameType.RST_STREAM) out.push(`RST ${f.streamId} ${CODE_NAMES[view.getUint32(0)]}`);
    else if (f.type === FrameType.GOAWAY) out.push(`GOAWAY ${view.getUint32(0)} ${CODE_NAMES[view.getUint32(4)]}`);
    else if (f.type === FrameType.PING && (f.flags & 1) !== 0) out.push("PING_ACK");
    else if (f.type === FrameType.PING) out.push("PING");
  }
  return out;
}

/** Folds a run of `DATA id n` events of one stream into one, so splitting by window does not matter. */
export function mergeData(evs: string[]): string[] {
  const out: string[] = [];
  for (const e of evs) {
    const m = /^DATA (\d+) (\d+)( END)?$/.exec(e);
    const prev = out[out.length - 1];
    const pm = prev === undefined ? null : /^DATA (\d+) (\d+)$/.exec(prev);
    if (m !== null && pm !== null && pm[1] === m[1]) out[out.length - 1] = `DATA ${m[1]} ${Number(pm[2]) + Number(m[2])}${m[3] ?? ""}`;
    else out.push(e);
  }
  return out;
}

export const HELLO = new TextEncoder().encode("hello");
export const HELLO_BLOCK = encodeResponseHeaders(200, [["content-type", "text/plain"]]);

/** An app that answers `hello` at once, or records the request for the test to answer. */
export class TestApp implements Http2App {
  readonly requests: Http2Request[] = [];
  readonly replies: Http2Reply[] = [];
  constructor(public answer = true) {}
  request(req: Http2Request, reply: Http2Reply): void {
    this.requests.push(req);
    this.replies.push(reply);
    if (this.answer) reply.respond(HELLO_BLOCK, HELLO);
  }
}

export class Harness {
  readonly transport = new FakeTransport();
  readonly app: TestApp;
  readonly clock = { now: 1_000_000 };
  readonly session: Http2Session;
  constructor(options: Partial<Http2Options> = {}, answer = true) {
    this.app = new TestApp(answer);
    this.session = new Http2Session(this.transport, { ...DEFAULT_HTTP2_OPTIONS, ...options }, this.app, this.clock);
    this.transport.onClose = () => this.session.onClosed();
  }
  /** Feeds one read (a copy wiped afterwards: bytes are valid only during the call). */
  feed(bytes: Uint8Array): void {
    const copy = bytes.slice();
    this.session.onData(copy);
    copy.fill(0xee);
  }
  advance(ms: number): void {
    this.clock.now += ms;
    if (this.clock.now >= this.session.deadline) this.session.onTimeout();
  }
  events(): string[] {
    return events(this.transport.received());
  }
}

export { SettingId };
