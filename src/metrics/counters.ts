/**
 * One worker's counters (--metrics-port), in plain number fields and typed arrays indexed by
 * small integers: counting a request is an array increment, never a Map lookup or a string.
 * With metrics off none of this exists and nothing calls it (the core's handler and responder
 * are the uncounted ones, chosen once at start by src/worker.ts: see counting.ts). One object
 * per worker, made by src/worker.ts and passed to whatever counts: no module keeps one.
 *
 * A worker under a supervisor sends {@link CounterSnapshot}s up its stdout pipe
 * (src/spawner/protocol.ts); the supervisor sums them (aggregate.ts).
 */
import { ParseError, type ParseErrorKind } from "../http/constants.ts";

/** Method labels, indexed by head.ts's `Method` numbers (OTHER = any other accepted method). */
export const METHOD_LABELS = ["OTHER", "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] as const;
/** Statuses are three digits (RFC 9110 §15): one slot per possible code, per method. */
export const STATUS_SLOTS = 1000;
/**
 * The `protocol` label of hello_requests_total, indexed by {@link ProtocolSlot}: a label on the
 * one family rather than a family per protocol, because a request is the same thing on both
 * (Prometheus' naming guide: `sum()` over a label must be meaningful, and the sum is all requests).
 * HTTP/1.0 is counted as http/1.1: the label tells the framings apart, not the minor versions.
 */
export const PROTOCOL_LABELS = ["http/1.1", "h2"] as const;
export const ProtocolSlot = { HTTP1: 0, H2: 1 } as const;
/** gRPC status codes 0..16 (grpc/status.ts): the bounded `code` label of hello_grpc_calls_total. */
export const GRPC_CODES = 17;

/** Why requests were refused: the core's ParseError kinds (src/http/constants.ts). */
export const REFUSAL_KINDS = Object.keys(ParseError) as ParseErrorKind[];

/**
 * Kinds of injected faults (counted by the fault stage, src/respond/faults.ts). A closed list, so
 * the label's values stay bounded: add a kind here before counting it.
 */
export const FAULT_KINDS = ["error", "delay", "reset"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** Indexes into {@link WorkerCounters.faults}: `faults[Fault.reset]++`. */
export const Fault = Object.fromEntries(FAULT_KINDS.map((k, i) => [k, i])) as { readonly [K in FaultKind]: number };

const REFUSAL_INDEX = Object.fromEntries(REFUSAL_KINDS.map((k, i) => [k, i])) as Record<ParseErrorKind, number>;

/** What a worker reports: only counters that are not zero, keyed by their label values. */
export interface CounterSnapshot {
  /** "PROTOCOL METHOD STATUS" → requests answered. */
  readonly requests: Record<string, number>;
  /** gRPC status code → calls answered with it. Absent in a report of an older worker. */
  readonly grpc?: Record<string, number>;
  /** WebSocket sessions opened and closed, messages received and sent. Absent in a report of an older worker. */
  readonly ws?: { readonly opened: number; readonly closed: number; readonly received: number; readonly sent: number };
  /** ParseError kind → refused requests. */
  readonly refused: Record<string, number>;
  /** Fault kind → faults injected. */
  readonly faults: Record<string, number>;
  /** Access-log lines dropped (--access-log). Absent in a report of an older worker. */
  readonly accessLogDropped?: number;
  readonly accepted: number;
  readonly closed: number;
  readonly received: number;
  readonly sent: number;
}

export class WorkerCounters {
  /** Answered requests, index = (protocol * METHOD_LABELS.length + method) * STATUS_SLOTS + status: HTTP/1.1 first, so its index is method * STATUS_SLOTS + status. */
  readonly requests = new Float64Array(PROTOCOL_LABELS.length * METHOD_LABELS.length * STATUS_SLOTS);
  /** gRPC calls answered, index = grpc-status code. */
  readonly grpc = new Float64Array(GRPC_CODES);
  /** WebSocket sessions opened and closed (open = opened - closed), whole messages received and sent. */
  wsOpened = 0;
  wsClosed = 0;
  wsReceived = 0;
  wsSent = 0;
  /** Refused requests, index = position of the kind in REFUSAL_KINDS. */
  readonly refused = new Float64Array(REFUSAL_KINDS.length);
  /** Injected faults, index = {@link Fault}. */
  readonly faults = new Float64Array(FAULT_KINDS.length);
  /** Connections accepted, and closed (open = accepted - closed). */
  accepted = 0;
  closed = 0;
  /** Bytes the back end delivered, and bytes it took to send. */
  received = 0;
  sent = 0;
  /** Access-log lines dropped so far: the log's writer keeps the count, and src/worker.ts points this at it. */
  accessLogDropped: () => number = () => 0;

  /** A session was refused for `kind`: an HTTP/1.1 ParseError name; another protocol's names have no slot yet and are not counted. */
  refuse(kind: string): void {
    const i = REFUSAL_INDEX[kind as ParseErrorKind] as number | undefined;
    if (i !== undefined) this.refused[i]!++;
  }

  snapshot(): CounterSnapshot {
    const requests: Record<string, number> = {};
    const r = this.requests;
    const methods = METHOD_LABELS.length;
    for (let i = 0; i < r.length; i++) {
      if (r[i] === 0) continue;
      const slot = Math.floor(i / STATUS_SLOTS);
      requests[`${PROTOCOL_LABELS[Math.floor(slot / methods)]} ${METHOD_LABELS[slot % methods]} ${i % STATUS_SLOTS}`] = r[i]!;
    }
    const grpc: Record<string, number> = {};
    for (let code = 0; code < GRPC_CODES; code++) if (this.grpc[code] !== 0) grpc[code] = this.grpc[code]!;
    return {
      requests,
      grpc,
      ws: { opened: this.wsOpened, closed: this.wsClosed, received: this.wsReceived, sent: this.wsSent },
      refused: nonZero(this.refused, REFUSAL_KINDS),
      faults: nonZero(this.faults, FAULT_KINDS),
      accessLogDropped: this.accessLogDropped(),
      accepted: this.accepted,
      closed: this.closed,
      received: this.received,
      sent: this.sent,
    };
  }
}

function nonZero(values: Float64Array, labels: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) out[labels[i]!] = values[i]!;
  return out;
}
