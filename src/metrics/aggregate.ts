/**
 * The pod's totals: the sum of every worker's last snapshot, plus what workers that have
 * exited had counted when they last reported. A replaced worker's counts are kept, so no
 * counter goes backwards (Prometheus reads any decrease as a counter reset); its open
 * connections are not, as it has none left.
 */
import type { CounterSnapshot } from "./counters.ts";

/** Sums over workers; `open` is over the live ones only. */
export interface Totals {
  readonly requests: Record<string, number>;
  readonly refused: Record<string, number>;
  readonly faults: Record<string, number>;
  /** gRPC status code → calls. */
  readonly grpc: Record<string, number>;
  readonly accepted: number;
  readonly open: number;
  /** WebSocket sessions open now (live workers only), and whole messages received and sent. */
  readonly wsOpen: number;
  readonly wsReceived: number;
  readonly wsSent: number;
  /** Access-log lines dropped, by every worker that ever ran. */
  readonly accessLogDropped: number;
  readonly received: number;
  readonly sent: number;
  readonly workerStarts: number;
  readonly workerExits: number;
  readonly workers: number;
  /** Seconds since the oldest live worker's snapshot was taken (0 with none): how stale a scrape may be. */
  readonly snapshotAgeSeconds: number;
}

interface Sums {
  requests: Record<string, number>;
  refused: Record<string, number>;
  faults: Record<string, number>;
  grpc: Record<string, number>;
  wsReceived: number;
  wsSent: number;
  accessLogDropped: number;
  accepted: number;
  closed: number;
  received: number;
  sent: number;
}

function emptySums(): Sums {
  return { requests: {}, refused: {}, faults: {}, grpc: {}, wsReceived: 0, wsSent: 0, accessLogDropped: 0, accepted: 0, closed: 0, received: 0, sent: 0 };
}

function addRecord(into: Record<string, number>, from: Record<string, number>): void {
  for (const k in from) into[k] = (into[k] ?? 0) + from[k]!;
}

function add(into: Sums, s: CounterSnapshot): void {
  addRecord(into.requests, s.requests);
  addRecord(into.refused, s.refused);
  addRecord(into.faults, s.faults);
  // Optional: a report from a worker of an earlier version during a rolling restart has neither.
  if (s.grpc !== undefined) addRecord(into.grpc, s.grpc);
  into.wsReceived += s.ws?.received ?? 0;
  into.wsSent += s.ws?.sent ?? 0;
  into.accessLogDropped += s.accessLogDropped ?? 0;
  into.accepted += s.accepted;
  into.closed += s.closed;
  into.received += s.received;
  into.sent += s.sent;
}

export class Aggregator {
  /** The last snapshot of each live worker, by pid. */
  readonly #live = new Map<number, CounterSnapshot>();
  /** When each live worker's last snapshot was taken (Date.now() ms). */
  readonly #takenAt = new Map<number, number>();
  /** What exited workers had counted. */
  readonly #retired = emptySums();
  #starts = 0;
  #exits = 0;

  /** A worker started serving (it counts before its first report). */
  started(pid: number, now = Date.now()): void {
    this.#starts++;
    if (!this.#live.has(pid)) {
      this.#live.set(pid, ZERO);
      this.#takenAt.set(pid, now);
    }
  }

  /** A worker's counters since it started, taken at `now`; each report replaces the last. */
  update(pid: number, snapshot: CounterSnapshot, now = Date.now()): void {
    this.#live.set(pid, snapshot);
    this.#takenAt.set(pid, now);
  }

  /** The pids of the live workers (those a scrape waits for). */
  livePids(): IterableIterator<number> {
    return this.#live.keys();
  }

  /** A worker exited: its last counts move to the retired sums. `served`: it had started serving. */
  exited(pid: number, served: boolean): void {
    const last = this.#live.get(pid);
    if (last !== undefined) add(this.#retired, last);
    this.#live.delete(pid);
    this.#takenAt.delete(pid);
    if (served) this.#exits++;
  }

  totals(now = Date.now()): Totals {
    const all = emptySums();
    const retired = this.#retired;
    add(all, { ...retired, ws: { opened: 0, closed: 0, received: retired.wsReceived, sent: retired.wsSent } });
    let open = 0;
    let wsOpen = 0;
    for (const s of this.#live.values()) {
      add(all, s);
      open += s.accepted - s.closed;
      if (s.ws !== undefined) wsOpen += s.ws.opened - s.ws.closed;
    }
    return {
      requests: all.requests,
      refused: all.refused,
      faults: all.faults,
      grpc: all.grpc,
      accepted: all.accepted,
      open,
      wsOpen,
      wsReceived: all.wsReceived,
      wsSent: all.wsSent,
      accessLogDropped: all.accessLogDropped,
      received: all.received,
      sent: all.sent,
      workerStarts: this.#starts,
      workerExits: this.#exits,
      workers: this.#live.size,
      snapshotAgeSeconds: Math.max(0, now - Math.min(now, ...this.#takenAt.values())) / 1000,
    };
  }
}

const ZERO: CounterSnapshot = { requests: {}, refused: {}, faults: {}, accepted: 0, closed: 0, received: 0, sent: 0 };
