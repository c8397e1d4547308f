/**
 * gRPC on HTTP/2 streams: which stream is a gRPC call, and how the dispatcher's outcome
 * (src/grpc/service.ts) goes out on it. The dispatcher decides; this file frames:
 *   - unary: HEADERS (`:status` 200, content-type), DATA (the prefixed messages), trailers;
 *     Trailers-Only (one HEADERS with END_STREAM) when there is no message (PROTOCOL-HTTP2.md);
 *   - Watch: HEADERS, then a DATA frame per status change, trailers on drain;
 *   - reset: RST_STREAM; a plain HTTP outcome (415): an ordinary answer.
 * Every block the common outcomes need is encoded once and kept (no Date field: gRPC has no use
 * for one, so a block never goes stale), so a health Check costs one dispatch, two cached blocks
 * and the shared SERVING message.
 */
import { formatAddress } from "../contract/address.ts";
import type { ExchangeRequest } from "../contract/exchange.ts";
import type { Transport } from "../contract/socket.ts";
import type { Due } from "../http/deferred.ts";
import { ErrorCode } from "../http2/constants.ts";
import { encodeResponseHeaders, encodeTrailers } from "../http2/hpack/index.ts";
import type { Http2Reply, Http2Request } from "../http2/types.ts";
import { HEALTH_CHECK_PATH, type HealthState, WatchHub } from "../grpc/health.ts";
import { ECHO_PATH } from "../grpc/echo.ts";
import { type Fields, type GrpcCall, type GrpcDispatcher, OutcomeKind, type UnaryOutcome } from "../grpc/service.ts";
import { GrpcStatus, MALFORMED_TIMEOUT, parseGrpcTimeout } from "../grpc/status.ts";
import type { Random } from "../respond/random.ts";
import type { H2Answers } from "./h2-answers.ts";
import { H2ExchangeRequest } from "./h2-request.ts";

/** The service prefixes a POST is a gRPC call on whatever its content-type (so a wrong one gets 415, not the configured answer). */
const SERVICE_PREFIXES = [HEALTH_CHECK_PATH.slice(0, HEALTH_CHECK_PATH.lastIndexOf("/") + 1), ECHO_PATH.slice(0, ECHO_PATH.lastIndexOf("/") + 1)];
const GRPC_TYPE_PREFIX = "application/grpc";
const TEXT = "text/plain; charset=utf-8";
const OK_TRAILERS: Fields = [["grpc-status", String(GrpcStatus.OK)]];
const WATCH_DEADLINE: Fields = [
  ["grpc-status", String(GrpcStatus.DEADLINE_EXCEEDED)],
  ["grpc-message", "deadline exceeded"],
];
/** --reset-rate as on HTTP/2 (h2.ts): INTERNAL_ERROR, a crashed upstream; gRPC clients read it as INTERNAL. */
const RESET_CODE = ErrorCode.INTERNAL_ERROR;

/**
 * Whether a stream is a gRPC call: a POST (PROTOCOL-HTTP2.md: `:method POST` only) whose
 * content-type begins with application/grpc, or that names one of the services served here.
 * Every other request stays HTTP, so nothing changes for them but this one method compare.
 */
export function isGrpcRequest(req: Http2Request): boolean {
  if (req.method !== "POST") return false;
  const path = req.path;
  for (const prefix of SERVICE_PREFIXES) if (path.startsWith(prefix)) return true;
  const list = req.fields;
  for (let i = 0; i < list.length; i += 2) {
    if (list[i] === "content-type") return list[i + 1]!.startsWith(GRPC_TYPE_PREFIX);
  }
  return false;
}

/** One call as the dispatcher reads it; the peer is formatted only when asked (Echo), never for a Check. */
class H2GrpcCall implements GrpcCall {
  readonly fields: H2ExchangeRequest;

  constructor(
    private readonly req: Http2Request,
    private readonly transport: Transport,
  ) {
    this.fields = new H2ExchangeRequest(req, transport);
  }

  get path(): string {
    return this.req.path;
  }
  get authority(): string {
    return this.req.authority;
  }
  get body(): Uint8Array | null {
    return this.req.body;
  }
  get peer(): string {
    return formatAddress(this.transport.remoteAddress?.() ?? null);
  }
  get protocol(): string {
    return this.transport.tls === true ? "h2" : "h2c";
  }
}

/** One Watch stream of a connection, so that the connection's drain can end it. */
export interface OpenWatch {
  end(): void;
}

/** The connection a call came on: its Watch streams, and whether it is draining. */
export interface GrpcConnection {
  readonly transport: Transport;
  readonly watches: Set<OpenWatch>;
  readonly draining: boolean;
}

/** The header and trailer blocks of the outcomes, encoded once per distinct list (the dispatcher's lists are shared constants). */
class GrpcBlocks {
  private readonly heads = new WeakMap<Fields, Uint8Array>();
  private readonly tails = new WeakMap<Fields, Uint8Array>();
  private readonly only = new WeakMap<Fields, WeakMap<Fields, Uint8Array>>();

  constructor(private readonly served: Fields) {}

  head(headers: Fields): Uint8Array {
    let block = this.heads.get(headers);
    if (block === undefined) this.heads.set(headers, (block = encodeResponseHeaders(200, [...headers, ...this.served])));
    return block;
  }

  trailers(trailers: Fields): Uint8Array {
    let block = this.tails.get(trailers);
    if (block === undefined) this.tails.set(trailers, (block = encodeTrailers(trailers)));
    return block;
  }

  /** Trailers-Only: the response headers and the trailers in one block. */
  trailersOnly(headers: Fields, trailers: Fields): Uint8Array {
    let byTrailers = this.only.get(headers);
    if (byTrailers === undefined) this.only.set(headers, (byTrailers = new WeakMap()));
    let block = byTrailers.get(trailers);
    if (block === undefined) byTrailers.set(trailers, (block = encodeResponseHeaders(200, [...headers, ...this.served, ...trailers])));
    return block;
  }
}

/** What the worker's gRPC needs: the dispatcher, its seeded random (the faults' own) and the run-time state. */
export interface GrpcOptions {
  readonly dispatcher: GrpcDispatcher;
  /** The worker's steering random (src/respond/random.ts): one --seed replays both protocols' faults. */
  readonly random: Random;
  /** X-Served-By, when --served-by. */
  readonly servedBy: string | null;
  /** Counts a call by the grpc-status it ended with (--metrics-port); absent or null = not counted. */
  readonly counted?: ((code: number) => void) | null;
  /** The access log (--access-log): asked at a call's start, it returns what hears the call's end; absent or null = none. */
  readonly logged?: GrpcCallLog | null;
}

/**
 * Opens one call's access-log line from its request (valid only during the call): the result
 * is told how the call ended, once — the HTTP status, the grpc-status (null for a call answered
 * in plain HTTP or reset) and the message bytes sent.
 */
export type GrpcCallLog = (request: ExchangeRequest) => (status: number, grpcStatus: number | null, bytes: number) => void;

/** The end of a call nobody logs. */
const UNLOGGED = (_status: number, _grpcStatus: number | null, _bytes: number): void => {};

/** The grpc-status of a trailer list: the dispatcher puts it first (grpc/service.ts `trailers`). */
function statusOf(trailers: Fields): number {
  return Number(trailers[0]![1]);
}

/** The gRPC side of one worker's HTTP/2: shared by every connection. */
export class GrpcStreams {
  /** One hub per worker: every Watch stream of every connection hears the run-time state. */
  readonly hub: WatchHub;
  private state: HealthState = "ready";
  private readonly blocks: GrpcBlocks;

  constructor(
    private readonly options: GrpcOptions,
    private readonly answers: H2Answers,
    private readonly defer: (due: Due) => void,
  ) {
    this.hub = new WatchHub(this.state);
    this.blocks = new GrpcBlocks(options.servedBy === null ? [] : [["x-served-by", options.servedBy]]);
  }

  /** The run-time state (ready, unready, sick) or shutdown: Check answers it, Watch streams hear it. */
  setState(state: HealthState): void {
    // A state set by the admin listener during shutdown does not make the server serving again.
    if (this.state === "shutdown") return;
    this.state = state;
    this.hub.setState(state);
  }

  /** Answers one gRPC call on `reply`'s stream. */
  answer(req: Http2Request, reply: Http2Reply, connection: GrpcConnection): void {
    const call = new H2GrpcCall(req, connection.transport);
    const ended = this.options.logged?.(call.fields) ?? UNLOGGED;
    const outcome = this.options.dispatcher.dispatch(call, this.state, this.options.random);
    switch (outcome.kind) {
      case OutcomeKind.UNARY:
        return this.unary(outcome, reply, ended);
      case OutcomeKind.WATCH:
        return this.watch(outcome.headers, outcome.known, req, reply, connection, ended);
      case OutcomeKind.RESET:
        ended(0, null, 0);
        return reply.reset(RESET_CODE);
      case OutcomeKind.HTTP: {
        const a = this.answers.withBody(outcome.status, TEXT, new TextEncoder().encode(`${outcome.text}\n`), null);
        ended(outcome.status, null, a.body?.length ?? 0);
        return reply.respond(a.block, a.body);
      }
    }
  }

  private unary(outcome: UnaryOutcome, reply: Http2Reply, ended: ReturnType<GrpcCallLog>): void {
    if (outcome.delayMs <= 0) return this.sendUnary(outcome, reply, ended);
    const due: Due = {
      at: performance.now() + outcome.delayMs,
      cancelled: false,
      fire: () => {
        reply.onClose = null;
        if (!reply.closed) this.sendUnary(outcome, reply, ended);
      },
    };
    // A call the client cancelled (RST_STREAM CANCEL) or a connection gone: the timer is dropped.
    reply.onClose = () => {
      due.cancelled = true;
    };
    this.defer(due);
  }

  private sendUnary(outcome: UnaryOutcome, reply: Http2Reply, ended: ReturnType<GrpcCallLog>): void {
    const { blocks } = this;
    this.options.counted?.(statusOf(outcome.trailers));
    ended(200, statusOf(outcome.trailers), outcome.messages?.length ?? 0);
    if (outcome.messages === null) return reply.respond(blocks.trailersOnly(outcome.headers, outcome.trailers), null);
    reply.respond(blocks.head(outcome.headers), outcome.messages, blocks.trailers(outcome.trailers));
  }

  /**
   * A Watch stream: its first message now, one per change, OK trailers when its connection
   * drains. With a grpc-timeout it ends at the deadline with DEADLINE_EXCEEDED, as a server
   * stream past its deadline does in grpc-go.
   */
  private watch(headers: Fields, known: boolean, req: Http2Request, reply: Http2Reply, connection: GrpcConnection, ended: ReturnType<GrpcCallLog>): void {
    reply.start(this.blocks.head(headers));
    let unsubscribe: (() => void) | null = null;
    let timer: Due | null = null;
    const open: OpenWatch = {
      end: () => {
        unsubscribe?.();
        if (reply.closed) return;
        this.options.counted?.(statusOf(OK_TRAILERS));
        ended(200, statusOf(OK_TRAILERS), 0);
        reply.trailers(this.blocks.trailers(OK_TRAILERS));
      },
    };
    reply.onClose = () => {
      connection.watches.delete(open);
      unsubscribe?.();
      if (timer !== null) timer.cancelled = true;
    };
    const subscription = this.hub.subscribe(known, { message: (m) => reply.data(m, false), end: () => open.end() });
    if (reply.closed) return subscription();
    unsubscribe = subscription;
    // A connection already draining serves the first message and ends the stream at once.
    if (connection.draining) return open.end();
    connection.watches.add(open);
    const timeout = fieldOf(req, "grpc-timeout");
    const ms = timeout === null ? MALFORMED_TIMEOUT : parseGrpcTimeout(timeout);
    if (ms === MALFORMED_TIMEOUT) return;
    timer = {
      at: performance.now() + ms,
      cancelled: false,
      fire: () => {
        unsubscribe?.();
        if (reply.closed) return;
        this.options.counted?.(statusOf(WATCH_DEADLINE));
        ended(200, statusOf(WATCH_DEADLINE), 0);
        reply.trailers(this.blocks.trailers(WATCH_DEADLINE));
      },
    };
    this.defer(timer);
  }
}

function fieldOf(req: Http2Request, name: string): string | null {
  const list = req.fields;
  for (let i = 0; i < list.length; i += 2) if (list[i] === name) return list[i + 1]!;
  return null;
}
