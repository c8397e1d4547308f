/**
 * One worker's access log: entries (one per answered request, refusal, gRPC call or WebSocket
 * session) timed and formatted as their answer is queued, into the writer's buffer, which is written
 * once per turn of the event loop. The duration ends at `add`: every back end writes a read's answers in the
 * same call that queued them (the core writes once per read), so the write returns microseconds
 * later; stamping later, after the turn, would add the epoll and io_uring loops' wait (they hand
 * the turn back to the runtime only between waits: 1.4-25 ms measured on Bun --io syscall).
 */
import type { ExchangeRequest } from "../contract/exchange.ts";
import type { SocketAddress } from "../contract/address.ts";
import { fieldNameIs, forEachField } from "../http/fields.ts";
import { Http1Request } from "../http/exchange-request.ts";
import type { AccessLogFormat, AccessRecord } from "./format.ts";
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

/** Fills `e` from `request` (valid only now): the request line's parts, the stream, the client and the logged fields. */
export function describeRequest(e: AccessEntry, request: ExchangeRequest): void {
  e.method = request.method;
  e.target = request.target;
  e.protocol = PROTOCOL_NAMES[request.protocol];
  e.streamId = request.streamId;
  e.client = request.peer;
  if (request instanceof Http1Request) readHeadFields(e, request);
  else readRequestFields(e, request.fields);
}

/** The logged fields, by lower-case name. */
const LOGGED = { referer: "referer", userAgent: "user-agent", forwardedFor: "x-forwarded-for", requestId: "x-request-id" } as const;

const latin1 = new TextDecoder("latin1");

/** RFC 9110 §5.3: several lines of one field are one list, joined with commas (RequestFields.get's rule). */
const joined = (was: string | null, value: string): string => (was === null ? value : `${was}, ${value}`);

/** The entry and head that {@link visitLogged} fills from: set around one walk (synchronous), so the walk needs no closure per request. */
let into: AccessEntry | null = null;
const EMPTY = new Uint8Array(0);
let from: Uint8Array = EMPTY;

type LoggedKey = keyof typeof LOGGED;
/** The logged fields by the length of their name: the lengths differ, so one comparison per line at most. */
const LOGGED_BY_LENGTH: readonly (LoggedKey | undefined)[] = (() => {
  const byLength: (LoggedKey | undefined)[] = [];
  for (const key of Object.keys(LOGGED) as LoggedKey[]) byLength[LOGGED[key].length] = key;
  return byLength;
})();

function visitLogged(ns: number, ne: number, vs: number, ve: number): void {
  const key = LOGGED_BY_LENGTH[ne - ns];
  if (key === undefined || !fieldNameIs(from, ns, ne, LOGGED[key])) return;
  const e = into!;
  e[key] = joined(e[key], latin1.decode(from.subarray(vs, ve)));
}

/**
 * The four fields in one walk over the head's bytes, decoding only the lines logged: four
 * `fields.get` walks cost more than the whole line's formatting on a 12-field browser head
 * (bench/micro/access-log.ts).
 */
function readHeadFields(e: AccessEntry, request: Http1Request): void {
  e.referer = e.userAgent = e.forwardedFor = e.requestId = null;
  into = e;
  from = request.buf;
  forEachField(from, request.start, request.end, visitLogged);
  // Not kept past the walk: the entry is queued, the buffer is the connection's.
  into = null;
  from = EMPTY;
}

/** The same fields from any other protocol's request (HTTP/2: already decoded strings, a list walk each). */
export function readRequestFields(e: AccessEntry, fields: { get(lowerName: string): string | null }): void {
  e.referer = fields.get(LOGGED.referer);
  e.userAgent = fields.get(LOGGED.userAgent);
  e.forwardedFor = fields.get(LOGGED.forwardedFor);
  e.requestId = fields.get(LOGGED.requestId);
}

export class AccessLog {
  constructor(
    readonly format: AccessLogFormat,
    private readonly writer: AccessLogWriter,
    private readonly pid: number,
  ) {}

  /** Lines lost so far (hello_access_log_dropped_total). */
  get dropped(): number {
    return this.writer.dropped;
  }

  /** `entry` is answered (its answer queued for this read's write): timed and written into the turn's buffer now, sent after the turn. */
  add(entry: AccessEntry): void {
    const end = performance.now();
    entry.durationUs = Math.max(0, (end - entry.startedAt) * 1000);
    // The epoch time from the same reading: no Date.now() per line.
    entry.time = performance.timeOrigin + end;
    entry.pid = this.pid;
    // Formatted at once, while the entry is young: no list of entries, no second turn callback.
    this.writer.addRecord(this.format, entry);
  }

  /** The process's exit (output.ts): writes what waits, as far as the output takes it now. */
  flushAtExit(): void {
    this.writer.flush(true);
  }
}
