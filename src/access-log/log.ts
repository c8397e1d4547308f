/**
 * One worker's access log: entries (one per answered request, refusal, gRPC call or WebSocket
 * session) timed as their answer is queued, then formatted and handed to the writer once per turn
 * of the event loop. The duration ends at `add`: every back end writes a read's answers in the
 * same call that queued them (the core writes once per read), so the write returns microseconds
 * later; stamping later, after the turn, would add the epoll and io_uring loops' wait (they hand
 * the turn back to the runtime only between waits: 1.4-25 ms measured on Bun --io syscall).
 */
import type { ExchangeRequest } from "../contract/exchange.ts";
import type { SocketAddress } from "../contract/address.ts";
import { formatAccessLine, type AccessLogFormat, type AccessRecord } from "./format.ts";
import type { AccessLogWriter } from "./writer.ts";

/** The `protocol` of a line, as the request line names it, by the neutral request's protocol. */
export const PROTOCOL_NAMES = { "http/1.0": "HTTP/1.0", "http/1.1": "HTTP/1.1", h2: "HTTP/2.0" } as const;

/** One line in the making: filled by whoever saw the request, timed by the log at the end of the turn. */
export class AccessEntry implements AccessRecord {
  time = 0;
  client: SocketAddress | null = null;
  method = "-";
  target = "-";
  protocol = "-";
  status = 0;
  bytes = 0;
  referer: string | null = null;
  userAgent: string | null = null;
  forwardedFor: string | null = null;
  requestId: string | null = null;
  durationUs = 0;
  pid = 0;
  streamId = 0;
  refused: string | null = null;
  fault: string | null = null;
  grpcStatus: number | null = null;
  ws: { received: number; sent: number } | null = null;
  /** performance.now() when the request's head was read (the start of the duration). */
  startedAt: number;

  constructor(startedAt: number) {
    this.startedAt = startedAt;
  }
}

/** The request fields a line shows, read once while the request is valid (ExchangeRequest is reused after `plan`). */
/** Fills `e` from `request` (valid only now): the request line's parts, the stream, the client and the logged fields. */
export function describeRequest(e: AccessEntry, request: ExchangeRequest): void {
  e.method = request.method;
  e.target = request.target;
  e.protocol = PROTOCOL_NAMES[request.protocol];
  e.streamId = request.streamId;
  e.client = request.peer;
  readRequestFields(e, (name) => request.fields.get(name));
}

export function readRequestFields(e: AccessEntry, get: (lowerName: string) => string | null): void {
  e.referer = get("referer");
  e.userAgent = get("user-agent");
  e.forwardedFor = get("x-forwarded-for");
  e.requestId = get("x-request-id");
}

export class AccessLog {
  #pending: AccessEntry[] = [];
  #scheduled = false;
  readonly #flush = (): void => this.#format();

  constructor(
    readonly format: AccessLogFormat,
    private readonly writer: AccessLogWriter,
    private readonly pid: number,
  ) {}

  /** Lines lost so far (hello_access_log_dropped_total). */
  get dropped(): number {
    return this.writer.dropped;
  }

  /** `entry` is answered (its answer queued for this read's write): timed now, formatted and written after the turn. */
  add(entry: AccessEntry): void {
    const end = performance.now();
    entry.durationUs = Math.max(0, (end - entry.startedAt) * 1000);
    // The epoch time from the same reading: no Date.now() per line.
    entry.time = performance.timeOrigin + end;
    entry.pid = this.pid;
    this.#pending.push(entry);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#flush);
  }

  #format(): void {
    this.#scheduled = false;
    const entries = this.#pending;
    this.#pending = [];
    for (const e of entries) this.writer.add(formatAccessLine(this.format, e));
  }
}
