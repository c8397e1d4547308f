/**
 * Prebuilt response bytes. Every response this server sends is one of a few
 * variants (status x connection handling x HEAD), so each is encoded once
 * per second — when the Date field changes (RFC 9110 §6.6.1 asks for a Date
 * on every response; one-second resolution is all the field has) — and the
 * hot path only picks a buffer. Pipelined batches of the same variant are
 * cached too, so a 16-deep pipeline is answered from one ready buffer.
 */
import { REASON } from "./constants.ts";

/** How the response speaks about the connection (RFC 9112 §9.3, §9.6). */
export const Persist = {
  /** HTTP/1.1 default: no Connection field needed. */
  KEEP: 0,
  /** HTTP/1.0 client asked for keep-alive: say yes explicitly. */
  KEEP_10: 1,
  /** The server closes after this response. */
  CLOSE: 2,
} as const;

export interface ResponseSpec {
  status: number;
  body: string;
  contentType: string;
  headers: ReadonlyArray<readonly [string, string]>;
}

const encoder = new TextEncoder();
const CONNECTION_LINE = ["", "Connection: keep-alive\r\n", "Connection: close\r\n"] as const;
/** Longest pipeline whose repeated response is cached; wrk and TechEmpower use 16. */
const MAX_CACHED_REPEAT = 64;
const HEALTH_FIELDS = "Cache-Control: no-store\r\n";
const TEXT = "text/plain; charset=utf-8";

/** RFC 9110 §15.3.5, §15.4.5: 204 and 304 carry no content; §8.6: a 204 carries no Content-Length either. */
function noContent(status: number): boolean {
  return status === 204 || status === 304;
}

export class ResponseCache {
  private date = "";
  /** Index = persist * 2 + (isHead ? 1 : 0). */
  private variants: Array<Uint8Array | undefined> = [];
  /** The health path's answers; index = (stopping ? 6 : 0) + persist * 2 + (isHead ? 1 : 0). */
  private healthVariants: Array<Uint8Array | undefined> = [];
  private repeats = new Map<Uint8Array, Array<Uint8Array | undefined>>();
  private errors = new Map<number, Uint8Array>();
  readonly continue100 = encoder.encode("HTTP/1.1 100 Continue\r\n\r\n");
  private readonly bodyBytes: Uint8Array;
  private readonly fixedHeaders: string;
  /**
   * `X-Served-By: host/pid\r\n` on every answer (--served-by), or "": built into each buffer
   * when it is encoded (once a second), so it costs no request anything, and with it off the
   * bytes are exactly those without it.
   */
  private readonly identity: string;

  /** `servedBy`: the X-Served-By value of this worker (--served-by), or null for none. */
  constructor(
    private readonly spec: ResponseSpec,
    servedBy: string | null = null,
  ) {
    this.bodyBytes = encoder.encode(spec.body);
    this.fixedHeaders = spec.headers.map(([n, v]) => `${n}: ${v}\r\n`).join("");
    this.identity = servedBy === null ? "" : `X-Served-By: ${servedBy}\r\n`;
    this.configured = { body: this.bodyBytes, contentType: spec.contentType, fields: this.fixedHeaders };
  }

  /** The configured answer's content, type and -H fields (as field lines), for a reply that adds to them. */
  readonly configured: { readonly body: Uint8Array; readonly contentType: string; readonly fields: string };

  /** Refreshes the Date field; a new second invalidates every prebuilt buffer. */
  setTime(nowMs: number): void {
    const date = new Date(nowMs).toUTCString(); // IMF-fixdate, RFC 9110 §5.6.7
    if (date === this.date) return;
    this.date = date;
    // Replace, never mutate: buffers already handed to a transport may still be in flight.
    this.variants = [];
    this.healthVariants = [];
    this.repeats = new Map();
    this.errors = new Map();
    this.steered = new Map();
  }

  /** The configured response for one request. */
  get(persist: number, isHead: boolean): Uint8Array {
    const i = persist * 2 + (isHead ? 1 : 0);
    return this.variants[i] ?? (this.variants[i] = this.build(persist, isHead));
  }

  /**
   * The health path's answer: `200 ok`, or `503` once shutdown has begun (`stopping`), so a
   * readiness probe takes the pod out of its Service before the drain. Neither carries the
   * configured fields: they describe the configured answer, not this one. `no-store`: a
   * cached health answer would be a stale one.
   */
  health(persist: number, isHead: boolean, stopping: boolean): Uint8Array {
    const down = stopping ? 6 : this.unready ? 12 : 0;
    const i = down + persist * 2 + (isHead ? 1 : 0);
    let r = this.healthVariants[i];
    if (r === undefined) {
      const status = down !== 0 ? 503 : 200;
      const body = encoder.encode(stopping ? "stopping" : this.unready ? "unready" : "ok");
      r = this.encode(status, "text/plain; charset=utf-8", HEALTH_FIELDS, CONNECTION_LINE[persist as 0 | 1 | 2], body, isHead);
      this.healthVariants[i] = r;
    }
    return r;
  }

  /** `response` repeated `count` times, cached for the variants the cache itself built. */
  repeat(response: Uint8Array, count: number): Uint8Array {
    let list = this.repeats.get(response);
    if (list === undefined) {
      list = [];
      this.repeats.set(response, list);
    }
    const hit = list[count];
    if (hit !== undefined) return hit;
    const out = new Uint8Array(response.length * count);
    for (let i = 0; i < count; i++) out.set(response, i * response.length);
    if (count <= MAX_CACHED_REPEAT) list[count] = out;
    return out;
  }

  /**
   * Run-time state `unready`: the health path answers 503 `unready`, so readiness probes fail
   * while every other answer stays as it is. Set by HttpCore.setUnready.
   */
  unready = false;

  // Variants of the configured answer a reply asks for (status=, a reason): made on demand, the repeatable ones cached until the Date changes.
  private steered = new Map<number, Uint8Array>();

  /** The configured answer under another status (`status=`); 204 and 304 go without content. */
  withStatus(status: number, persist: number, isHead: boolean): Uint8Array {
    const key = (status * 3 + persist) * 2 + (isHead ? 1 : 0);
    let r = this.steered.get(key);
    if (r === undefined) {
      r = noContent(status)
        ? this.encodeNoContent(status, persist)
        : this.encode(status, this.spec.contentType, this.fixedHeaders, CONNECTION_LINE[persist as 0 | 1 | 2], this.bodyBytes, isHead);
      this.steered.set(key, r);
    }
    return r;
  }

  /**
   * `status` with its reason phrase as a text body (an injected failure, a sick server), or with
   * `text` instead (a refused control value's one-line reason; not cached).
   */
  reasonAnswer(status: number, persist: number, isHead: boolean, text: string | null = null): Uint8Array {
    const connection = CONNECTION_LINE[persist as 0 | 1 | 2];
    if (text !== null) return this.encode(status, TEXT, "", connection, encoder.encode(text), isHead);
    const key = -((status * 3 + persist) * 2 + (isHead ? 1 : 0)) - 1;
    let r = this.steered.get(key);
    if (r === undefined) {
      r = noContent(status)
        ? this.encodeNoContent(status, persist)
        : this.encode(status, TEXT, "", connection, encoder.encode(`${REASON[status] ?? "Error"}\n`), isHead);
      this.steered.set(key, r);
    }
    return r;
  }

  /** The configured status (--status): a reply's status 0. */
  get status(): number {
    return this.spec.status;
  }


  /**
   * The head alone of an answer a responder built, its content written after it: `length` bytes
   * of `contentType`, or chunked (`length` -1: a reply with trailers, RFC 9112 §7.1); `fields` are
   * whole field lines. Not cached. A 204 or 304 gets the head of no content whatever is asked.
   */
  replyHead(status: number, contentType: string, length: number, persist: number, fields: string): Uint8Array {
    if (noContent(status)) return this.encodeNoContent(status, persist, fields);
    const framing = length < 0 ? "Transfer-Encoding: chunked\r\n" : `Content-Length: ${length}\r\n`;
    return encoder.encode(this.statusAndDate(status) + `Content-Type: ${contentType}\r\n` + framing + CONNECTION_LINE[persist as 0 | 1 | 2] + fields + this.identity + `\r\n`);
  }

  private statusAndDate(status: number): string {
    return `HTTP/1.1 ${status} ${REASON[status] ?? "Unknown"}\r\nServer: hello-server\r\nDate: ${this.date}\r\n`;
  }

  /** A 204 or 304: no Content-Type, no Content-Length (RFC 9110 §8.6), nothing after the head. */
  private encodeNoContent(status: number, persist: number, fields = this.fixedHeaders): Uint8Array {
    return encoder.encode(this.statusAndDate(status) + CONNECTION_LINE[persist as 0 | 1 | 2] + fields + this.identity + `\r\n`);
  }

  /** An error response: always `Connection: close`, the reason phrase as body. */
  error(status: number): Uint8Array {
    let r = this.errors.get(status);
    if (r === undefined) {
      const body = encoder.encode(`${REASON[status] ?? "Error"}\n`);
      r = this.encode(status, "text/plain; charset=utf-8", "", CONNECTION_LINE[Persist.CLOSE], body, false);
      this.errors.set(status, r);
    }
    return r;
  }

  private build(persist: number, isHead: boolean): Uint8Array {
    const { status, contentType } = this.spec;
    return this.encode(status, contentType, this.fixedHeaders, CONNECTION_LINE[persist as 0 | 1 | 2], this.bodyBytes, isHead);
  }

  private encode(status: number, contentType: string, extra: string, connection: string, body: Uint8Array, isHead: boolean): Uint8Array {
    // RFC 9110 §9.3.2: HEAD gets the same header fields as GET, Content-Length included, and no content.
    const head =
      this.statusAndDate(status) +
      `Content-Type: ${contentType}\r\n` +
      `Content-Length: ${body.length}\r\n` +
      connection +
      extra +
      this.identity +
      `\r\n`;
    const headBytes = encoder.encode(head);
    if (isHead) return headBytes;
    const out = new Uint8Array(headBytes.length + body.length);
    out.set(headBytes);
    out.set(body, headBytes.length);
    return out;
  }
}
