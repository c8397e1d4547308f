/**
 * The access log as a responder around the composed one (src/respond/index.ts): every request a
 * responder would see (HTTP/1.1 and every HTTP/2 stream; never the health path) gets an entry at
 * `plan`, completed from the Reply at the final `answer`. With the log on, a null composition
 * becomes this wrapper around nothing, answering the configured reply: the prebuilt fast path is
 * not taken (the flag is opt-in), and with the log off none of this exists.
 */
import { BodyKind, type ExchangeRequest, type Finished, type Reply, type Responder } from "../contract/exchange.ts";
import { REASON } from "../http/constants.ts";
import { AccessEntry, describeRequest, type AccessLog } from "./log.ts";

/** The answer a null plan stands for: the configured one, framed from the prebuilt variants. */
const CONFIGURED: Reply = { status: 0, fields: null, body: { kind: BodyKind.CONFIGURED }, trailers: null, delayMs: 0, close: false, reset: false };

/** Fault kinds in the order of src/metrics/counters.ts FAULT_KINDS, whose tally the fault stage increments. */
export interface FaultTally {
  readonly kinds: readonly string[];
  readonly counts: Float64Array;
}

class Planned extends AccessEntry {
  inner: object | null = null;
  /** Times `answer` was asked: a delayed reply is asked again when due, and only that answer goes out. */
  asked = 0;
}

/** What the configured answer sends as content: its status and body length (--status, --body). */
export interface ConfiguredAnswer {
  readonly status: number;
  readonly bodyBytes: number;
}

export function accessLogResponder(inner: Responder | null, log: AccessLog, configured: ConfiguredAnswer, faults: FaultTally | null): Responder<Planned> {
  const encoder = new TextEncoder();
  const before = faults === null ? null : new Float64Array(faults.counts.length);
  return {
    plan(request: ExchangeRequest): Planned {
      const e = new Planned(performance.now());
      describeRequest(e, request);
      if (inner === null) return e;
      if (before !== null) before.set(faults!.counts);
      e.inner = inner.plan(request);
      if (before !== null) e.fault = faultsDrawn(before, faults!);
      return e;
    },
    wantsBody: (p) => p.inner !== null && inner!.wantsBody?.(p.inner) === true,
    answer(p: Planned, finished: Finished): Reply {
      const reply = p.inner === null ? CONFIGURED : inner!.answer(p.inner, finished);
      p.asked++;
      // The first answer of a delayed reply only arms the timer; the one asked when due is sent.
      if (reply.delayMs > 0 && p.asked === 1) return reply;
      const switching = finished.switching ?? 0;
      const passes = reply.status === 0 && reply.body.kind === BodyKind.CONFIGURED && reply.fields === null && reply.trailers === null && !reply.reset;
      if (switching !== 0 && passes) {
        // The 101's session is logged at its close, with its message counts (websocket.ts).
        if (switching === 101) return reply;
        p.status = switching;
      } else {
        p.status = reply.reset ? 0 : reply.status === 0 ? configured.status : reply.status;
        p.bytes = reply.reset ? 0 : contentBytes(reply, p.status, finished.isHead, configured, encoder);
      }
      log.add(p);
      return reply;
    },
  };
}

/** The combined format's `%b`: content bytes the framing sends for `reply` (src/http/reply.ts, src/protocols/h2.ts). */
function contentBytes(reply: Reply, status: number, isHead: boolean, configured: ConfiguredAnswer, encoder: TextEncoder): number {
  // RFC 9110 §9.3.2, §15.3.5, §15.4.5: HEAD, 204 and 304 carry no content.
  if (isHead || status === 204 || status === 304) return 0;
  const body = reply.body;
  switch (body.kind) {
    case BodyKind.CONFIGURED:
      return configured.bodyBytes;
    case BodyKind.REASON:
      return body.text !== null ? encoder.encode(body.text).length : (REASON[status] ?? "Error").length + 1;
    case BodyKind.BYTES:
      return body.bytes.length;
    default:
      // A stream's length is known only at its end; the line is written when it starts.
      return 0;
  }
}

/** Which faults the fault stage drew for this request: the kinds whose tally moved, joined by `+`. */
function faultsDrawn(before: Float64Array, faults: FaultTally): string | null {
  let drawn: string | null = null;
  const counts = faults.counts;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] !== before[i]) drawn = drawn === null ? faults.kinds[i]! : `${drawn}+${faults.kinds[i]}`;
  }
  return drawn;
}
