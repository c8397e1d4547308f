/**
 * HTTP/2's prebuilt answers, the counterpart of the HTTP/1.1 ResponseCache (src/http/response.ts):
 * every answer that needs no request is an HPACK header block encoded once per second, when the
 * Date field changes (RFC 9110 §6.6.1: one-second resolution is all the field has), and its body
 * bytes are shared. The plain h2c GET costs one cached block and one DATA frame.
 *
 * Blocks are encoded by the stateless encoder (no dynamic table), so one block serves every
 * connection and every stream; `:status 200` is one octet of it.
 */
import { REASON } from "../http/constants.ts";
import { encodeResponseHeaders, encodeTrailers } from "../http2/hpack/index.ts";

/** What the configured answer is (the flags; Config is one). */
export interface H2AnswerSpec {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
}

/** A header block and the content that follows it (null: none). */
export interface H2Answer {
  readonly block: Uint8Array;
  readonly body: Uint8Array | null;
}

type Fields = ReadonlyArray<readonly [string, string]>;

const encoder = new TextEncoder();
const TEXT = "text/plain; charset=utf-8";
const HEALTH_BODY = { ok: encoder.encode("ok"), stopping: encoder.encode("stopping"), unready: encoder.encode("unready") } as const;

/**
 * RFC 9113 §8.2.2: connection-specific fields are malformed in HTTP/2, so an endpoint must not
 * generate them; a -H or a reply field naming one is left out rather than break the stream.
 */
const CONNECTION_SPECIFIC = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

/** RFC 9110 §15.3.5, §15.4.5: 204 and 304 carry no content; §8.6: a 204 carries no Content-Length either. */
export function noContent(status: number): boolean {
  return status === 204 || status === 304;
}

/** `fields` as HTTP/2 carries them: names lower-case (RFC 9113 §8.2: upper case is malformed), connection fields dropped. */
export function h2Fields(fields: Fields | null): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (fields === null) return out;
  for (const [name, value] of fields) {
    const lower = name.toLowerCase();
    if (!CONNECTION_SPECIFIC.has(lower)) out.push([lower, value]);
  }
  return out;
}

export class H2Answers {
  /** Run-time state `unready`: the health path answers 503 `unready`. */
  unready = false;
  /** Shutdown has begun (--shutdown-delay): the health path answers 503 `stopping`. */
  stopping = false;
  /** The configured answer's content, shared by every stream that sends it. */
  readonly body: Uint8Array;
  private readonly configuredFields: Array<[string, string]>;
  private readonly served: Array<[string, string]>;
  private second = -1;
  private date = "";
  private configuredBlock: Uint8Array | null = null;
  /** Index: 0 ok, 1 stopping, 2 unready. */
  private healthBlocks: Array<Uint8Array | undefined> = [];
  /** Keyed by status; negative keys: the reason-phrase answers. */
  private steered = new Map<number, H2Answer>();

  constructor(
    private readonly spec: H2AnswerSpec,
    servedBy: string | null,
    /** The core's coarse clock (ms since the epoch): read at each use, never copied. */
    private readonly clock: { readonly now: number },
  ) {
    this.body = encoder.encode(spec.body);
    this.configuredFields = h2Fields(spec.headers);
    this.served = servedBy === null ? [] : [["x-served-by", servedBy]];
  }

  /** The configured status (--status): a reply's status 0. */
  get status(): number {
    return this.spec.status;
  }

  /** The configured answer's header block (its body is {@link body}). */
  configured(): Uint8Array {
    this.refresh();
    return (this.configuredBlock ??= this.build(this.spec.status, this.spec.contentType, this.body.length, this.configuredFields));
  }

  /** The health path: 200 `ok`, or 503 `stopping` / `unready`, `no-store` (a cached health answer is a stale one). */
  health(): H2Answer {
    this.refresh();
    const i = this.stopping ? 1 : this.unready ? 2 : 0;
    const body = i === 1 ? HEALTH_BODY.stopping : i === 2 ? HEALTH_BODY.unready : HEALTH_BODY.ok;
    const block = (this.healthBlocks[i] ??= this.build(i === 0 ? 200 : 503, TEXT, body.length, [["cache-control", "no-store"]]));
    return { block, body };
  }

  /** The configured answer under another status (`status=`); 204 and 304 without content. */
  withStatus(status: number): H2Answer {
    this.refresh();
    let a = this.steered.get(status);
    if (a === undefined) {
      a = noContent(status)
        ? { block: this.build(status, null, -1, this.configuredFields), body: null }
        : { block: this.build(status, this.spec.contentType, this.body.length, this.configuredFields), body: this.body };
      this.steered.set(status, a);
    }
    return a;
  }

  /** `status` with its reason phrase as a text body (an injected failure, a sick server); `text` instead when given (not cached). */
  reason(status: number, text: string | null): H2Answer {
    this.refresh();
    if (text !== null) return this.withBody(status, TEXT, encoder.encode(text), null);
    let a = this.steered.get(-status);
    if (a === undefined) {
      a = this.withBody(status, TEXT, encoder.encode(`${REASON[status] ?? "Error"}\n`), null);
      this.steered.set(-status, a);
    }
    return a;
  }

  /** An answer a responder built (not cached): `fields` are the reply's own, already in HTTP/2 form. */
  withBody(status: number, contentType: string, body: Uint8Array, fields: Fields | null): H2Answer {
    this.refresh();
    if (noContent(status)) return { block: this.build(status, null, -1, fields ?? []), body: null };
    return { block: this.build(status, contentType, body.length, fields ?? []), body };
  }

  /** The head of a streamed answer: no content-length (RFC 9113 §8.1: END_STREAM ends the content). */
  streamHead(status: number, contentType: string, fields: Fields | null): Uint8Array {
    this.refresh();
    return this.build(status, contentType, -1, fields ?? []);
  }

  /** A trailer block (grpc-status), names lower-cased. */
  trailers(fields: Fields): Uint8Array {
    return encodeTrailers(h2Fields(fields));
  }

  /** The configured answer's content type and -H fields, for a reply that adds its own fields to the configured body. */
  get configuredExtra(): { readonly contentType: string; readonly fields: Fields } {
    return { contentType: this.spec.contentType, fields: this.configuredFields };
  }

  /** A new second: every block is rebuilt on demand (replaced, never mutated: blocks in flight may still be queued). */
  private refresh(): void {
    const second = Math.floor(this.clock.now / 1000);
    if (second === this.second) return;
    this.second = second;
    this.date = new Date(second * 1000).toUTCString();
    this.configuredBlock = null;
    this.healthBlocks = [];
    this.steered = new Map();
  }

  /** `length` -1: no content-length; `contentType` null: none (204, 304). */
  private build(status: number, contentType: string | null, length: number, extra: Fields): Uint8Array {
    const fields: Array<readonly [string, string]> = [
      ["server", "hello-server"],
      ["date", this.date],
    ];
    if (contentType !== null) fields.push(["content-type", contentType]);
    // RFC 9110 §8.6: no Content-Length on a 204; the length of the content otherwise (HEAD too, §9.3.2).
    if (length >= 0 && status !== 204) fields.push(["content-length", String(length)]);
    for (const f of extra) fields.push(f);
    for (const f of this.served) fields.push(f);
    return encodeResponseHeaders(status, fields);
  }
}
