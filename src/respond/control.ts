/**
 * Per-request control (--request-control): `status=`, `delay=`, `size=` and `close=` as query
 * parameters, or as `X-Hello-Status`, `X-Hello-Delay`, `X-Hello-Size`, `X-Hello-Close` request
 * headers for clients that cannot change the URL; a query parameter wins over its header, and
 * the first of repeated ones counts. Limits named once (go-httpbin's rule): --max-delay, --max-size.
 * A malformed or over-cap value refuses the request with 400 and a one-line reason.
 */
import type { Config } from "../config.ts";
import type { ExchangeRequest } from "../contract/exchange.ts";
import { Byte } from "../http/constants.ts";
import { Http1Request } from "../http/exchange-request.ts";
import { fieldNameIs, forEachField } from "../http/fields.ts";
import { parseDuration, parseSize } from "../units.ts";
import { emptyPlan, type Stage, type SteerPlan } from "./plan.ts";

/** The controls, in the order of their slots in {@link Controls}. */
const NAMES = ["status", "delay", "size", "close"] as const;
/** X-Hello-Status … as lower-case field names. */
const FIELDS = NAMES.map((n) => `x-hello-${n}`);
const SHORTEST_FIELD = Math.min(...FIELDS.map((f) => f.length));
/** A value longer than this is refused without being read further (and quoted only this long). */
const MAX_VALUE = 32;

/** First byte of every X-Hello-* name, either case: most field lines are skipped on it. */
const X_LOWER = 0x78;

/** The raw value of each control, by its slot in NAMES; made only for a request that has one. */
type Controls = [string | undefined, string | undefined, string | undefined, string | undefined];

const latin1 = new TextDecoder("latin1");

export function controlStage(config: Pick<Config, "maxDelay" | "maxSize">): Stage {
  const maxDelayMs = config.maxDelay * 1000;
  return (request, plan) => {
    // Nothing is allocated for an HTTP/1.1 request without controls: --request-control must stay cheap.
    const found = request instanceof Http1Request ? fromHead(request) : fromRequest(request);
    if (found === null) return plan;
    return apply(found, plan ?? emptyPlan(), maxDelayMs, config.maxSize);
  };
}

function slots(): Controls {
  return [undefined, undefined, undefined, undefined];
}

/** Any protocol's request: the query of its target, then its fields (a query parameter wins over its field). */
function fromRequest(request: ExchangeRequest): Controls | null {
  const target = request.target;
  const q = target.indexOf("?");
  let found: Controls | null = null;
  if (q >= 0) {
    for (const pair of target.slice(q + 1).split("&")) {
      const eq = pair.indexOf("=");
      const slot = NAMES.indexOf((eq < 0 ? pair : pair.slice(0, eq)) as (typeof NAMES)[number]);
      if (slot < 0) continue;
      found ??= slots();
      found[slot] ??= eq < 0 ? "" : pair.slice(eq + 1, eq + 2 + MAX_VALUE);
    }
  }
  for (let i = 0; i < FIELDS.length; i++) {
    if (found?.[i] !== undefined) continue;
    const v = request.fields.get(FIELDS[i]!);
    if (v === null) continue;
    found ??= slots();
    // RFC 9110 §5.3 joins repeated lines with commas: the first one counts, as on the HTTP/1.1 path.
    const comma = v.indexOf(",");
    found[i] = (comma < 0 ? v : v.slice(0, comma).trimEnd()).slice(0, MAX_VALUE + 1);
  }
  return found;
}

/**
 * An HTTP/1.1 request, read from its head's bytes in place. A specialised copy of
 * {@link fromRequest}, kept for its cost: the neutral path decodes the target and walks the
 * field lines once per control (four walks), where this is one pass that allocates nothing
 * for a request without controls.
 */
function fromHead(request: Http1Request): Controls | null {
  return fromFields(request, fromQuery(request, null));
}

/** The controls of the target's query (the first of repeated ones), or `found` unchanged when it has none. */
function fromQuery(request: Http1Request, found: Controls | null): Controls | null {
  const { buf, head } = request;
  const end = head.targetEnd;
  let p = head.targetStart;
  while (p < end && buf[p] !== Byte.QUESTION) p++;
  p++;
  while (p < end) {
    let amp = p;
    while (amp < end && buf[amp] !== Byte.AMPERSAND) amp++;
    let eq = p;
    while (eq < amp && buf[eq] !== Byte.EQUALS) eq++;
    const slot = nameSlot(buf, p, eq);
    if (slot >= 0) {
      found ??= slots();
      found[slot] ??= eq < amp ? value(buf, eq + 1, amp) : "";
    }
    p = amp + 1;
  }
  return found;
}

/**
 * Fills the slots the query left empty from X-Hello-* field lines, through the one field walker
 * (fields.ts), from the end of the target. A line is compared further only when its name starts
 * with x or X and is long enough. The walker's loops are plain loops, not indexOf: on V8 a
 * TypedArray indexOf call per line cost more than the scan itself (pipelined ×16 with
 * --request-control measured 1.13× the default path's CPU per request on Deno with indexOf,
 * 1.05× with the byte loops).
 */
function fromFields(request: Http1Request, found: Controls | null): Controls | null {
  scanBuf = request.buf;
  scanFound = found;
  forEachField(scanBuf, request.head.targetEnd, request.end, visitField, X_LOWER);
  found = scanFound;
  scanBuf = NONE;
  scanFound = null;
  return found;
}

// The walk's state in module variables, so that the visitor is one function made once: a closure per request was an allocation per request.
const NONE = new Uint8Array(0);
let scanBuf: Uint8Array = NONE;
let scanFound: Controls | null = null;

function visitField(ns: number, ne: number, vs: number, ve: number): void {
  const buf = scanBuf;
  if (ne - ns < SHORTEST_FIELD) return;
  for (let i = 0; i < FIELDS.length; i++) {
    if (!fieldNameIs(buf, ns, ne, FIELDS[i]!)) continue;
    if (scanFound?.[i] === undefined) {
      scanFound ??= slots();
      scanFound[i] = value(buf, vs, ve);
    }
    return;
  }
}

/** Which control buf[start, end) names, or -1. */
function nameSlot(buf: Uint8Array, start: number, end: number): number {
  for (let i = 0; i < NAMES.length; i++) {
    const name = NAMES[i]!;
    if (end - start !== name.length) continue;
    let same = true;
    for (let j = 0; j < name.length && same; j++) same = buf[start + j] === name.charCodeAt(j);
    if (same) return i;
  }
  return -1;
}

function value(buf: Uint8Array, start: number, end: number): string {
  return latin1.decode(buf.subarray(start, Math.min(end, start + MAX_VALUE + 1)));
}

function apply(found: Controls, plan: SteerPlan, maxDelayMs: number, maxSize: number): SteerPlan {
  const [status, delay, size, close] = found;
  if (status !== undefined) {
    const n = /^\d{3}$/.test(status) ? Number(status) : 0;
    if (n < 200 || n > 599) return refuse(plan, `status=${quote(status)}: must be a status code 200..599`);
    plan.status = n;
    // An explicit status wins over an injected failure's (faults run first).
    plan.reason = false;
  }
  if (delay !== undefined) {
    const ms = parseDuration(delay);
    if (ms === null) return refuse(plan, `delay=${quote(delay)}: must be a duration like 250ms, 1.5s or 2m`);
    if (ms > maxDelayMs) return refuse(plan, `delay=${quote(delay)}: above --max-delay ${maxDelayMs / 1000}s`);
    // Replaces --delay for this request.
    plan.delayMs = ms;
  }
  if (size !== undefined) {
    const n = parseSize(size);
    if (n === null) return refuse(plan, `size=${quote(size)}: must be a number of bytes, k or M suffix allowed (e.g. 512, 16k, 1M)`);
    if (n > maxSize) return refuse(plan, `size=${quote(size)}: above --max-size ${maxSize} bytes`);
    plan.size = n;
  }
  if (close !== undefined) {
    if (close === "1" || close === "true") plan.close = true;
    else if (close !== "0" && close !== "false") return refuse(plan, `close=${quote(close)}: must be 1 or 0 (true or false)`);
  }
  return plan;
}

function refuse(plan: SteerPlan, reason: string): SteerPlan {
  plan.error = reason;
  plan.delayMs = 0;
  return plan;
}

/** The value as the reason line shows it: printable ASCII only, cut at MAX_VALUE. */
function quote(raw: string): string {
  const shown = raw.length > MAX_VALUE ? `${raw.slice(0, MAX_VALUE)}…` : raw;
  return `'${shown.replace(/[^\x20-\x7e…]/g, "?")}'`;
}
