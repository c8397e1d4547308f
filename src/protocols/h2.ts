/**
 * hello-server's answers on HTTP/2 streams: the {@link Http2App} each Http2Session (src/http2/)
 * asks once per complete request. With every feature off a stream gets the prebuilt header
 * block and the shared body (h2-answers.ts); the health path its own; with a responder (the
 * protocol-neutral one src/respond/ composes) the stream's request is planned and answered as
 * an HTTP/1.1 request would be, and the {@link Reply} framed as HEADERS, DATA and trailers.
 *
 * Per stream, never per connection: a delayed answer waits on the core's timer heap while the
 * connection's other streams are answered (RFC 9113 §5: streams are independent), a reset is
 * RST_STREAM for that stream alone, and `close` ends the connection gracefully after the answer.
 */
import { BodyKind, type Reply, type Responder } from "../contract/exchange.ts";
import type { Transport } from "../contract/socket.ts";
import type { Due } from "../http/deferred.ts";
import { ErrorCode } from "../http2/constants.ts";
import type { Http2App, Http2Reply, Http2Request } from "../http2/types.ts";
import { h2Fields, noContent, type H2Answer, type H2Answers } from "./h2-answers.ts";
import { type GrpcConnection, type GrpcStreams, isGrpcRequest, type OpenWatch } from "./h2-grpc.ts";
import { H2ExchangeRequest } from "./h2-request.ts";

/** What every connection's app shares: the answers, the responder, the core's clock and timers. */
export interface H2Host {
  readonly answers: H2Answers;
  /** --health-path, or null. */
  readonly healthPath: string | null;
  /** Who answers besides the health path; null = the prebuilt answer (the fast path). Replaced on a run-time state change. */
  responder: Responder | null;
  /** gRPC calls (POST application/grpc*) go here before anything else; null = none. */
  readonly grpc: GrpcStreams | null;
  /** Arms a timer on the core's heap (deferred.ts): due on performance.now(), fired by the core's tick. */
  defer(due: Due): void;
}

/** What the app needs of its session: the graceful end that `close` asks for. */
export interface H2Closable {
  onShutdown(graceMs: number): void;
}

/**
 * A reply the responder asked to reset: RST_STREAM(INTERNAL_ERROR). RFC 9113 §7 gives
 * INTERNAL_ERROR for "an unexpected internal error" and CANCEL for a stream "no longer needed";
 * --reset-rate stands for a crashed upstream, which is the former, and it is what Go's server
 * sends when a handler panics mid-stream. A client must not take it as a refusal to retry blindly.
 */
const RESET_CODE = ErrorCode.INTERNAL_ERROR;

/** RFC 9110 §9.3.2: HEAD gets the same fields and no content. */
function isHead(req: Http2Request): boolean {
  return req.method === "HEAD";
}

/** The health path's rule, as on HTTP/1.1: the path itself, with or without a query. */
export function isHealthPath(path: string, health: string | null): boolean {
  if (health === null) return false;
  return path.length === health.length ? path === health : path.startsWith(health) && path.charCodeAt(health.length) === 0x3f;
}

/** One per connection (it knows its session, for `close`, and its gRPC Watch streams); everything else is the host's. */
export class HelloHttp2App implements Http2App, GrpcConnection {
  private session: H2Closable | null = null;
  /** `close` was asked before the session existed (the upgraded request is answered inside its constructor). */
  private closeAsked = false;
  /** This connection's open gRPC Watch streams; made at the first (most connections never open one). */
  private watchSet: Set<OpenWatch> | null = null;
  /** The session began its graceful end: a Watch stream opened now ends after its first message. */
  draining = false;

  constructor(
    private readonly host: H2Host,
    readonly transport: Transport,
  ) {}

  /**
   * The connection is draining (GOAWAY): its Watch streams end cleanly (grpc-status 0), as
   * health.proto's servers do on shutdown, or the drain would wait on them until it is forced.
   */
  endWatches(): void {
    this.draining = true;
    if (this.watchSet === null) return;
    const open = [...this.watchSet];
    this.watchSet.clear();
    for (const watch of open) watch.end();
  }

  /** This connection's open gRPC Watch streams (GrpcConnection). */
  get watches(): Set<OpenWatch> {
    return (this.watchSet ??= new Set());
  }

  /** The session this app answers for, once constructed. */
  attach(session: H2Closable): void {
    this.session = session;
    if (this.closeAsked) session.onShutdown(0);
  }

  request(req: Http2Request, reply: Http2Reply): void {
    const host = this.host;
    if (host.grpc !== null && isGrpcRequest(req)) return host.grpc.answer(req, reply, this);
    if (isHealthPath(req.path, host.healthPath)) return send(reply, host.answers.health(), isHead(req));
    const responder = host.responder;
    if (responder === null) return reply.respond(host.answers.configured(), isHead(req) ? null : host.answers.body);
    this.answer(responder, req, reply);
  }

  private answer(responder: Responder, req: Http2Request, reply: Http2Reply): void {
    const plan = responder.plan(new H2ExchangeRequest(req, this.transport));
    const head = isHead(req);
    if (plan === null) return reply.respond(this.host.answers.configured(), head ? null : this.host.answers.body);
    const finished = { bodyLength: req.bodyLength, body: responder.wantsBody?.(plan) === true ? req.body : null, isHead: head };
    const first = responder.answer(plan, finished);
    if (first.delayMs <= 0) return this.frame(first, reply, head);
    // The contract: a delayed answer is asked again when due, so its Date is that of then.
    const due: Due = {
      at: performance.now() + first.delayMs,
      cancelled: false,
      fire: () => {
        reply.onClose = null;
        if (!reply.closed) this.frame(responder.answer(plan, finished), reply, head);
      },
    };
    // The stream reset by the peer or ended with the connection: the timer fires into nothing.
    reply.onClose = () => {
      due.cancelled = true;
    };
    this.host.defer(due);
  }

  private frame(r: Reply, reply: Http2Reply, head: boolean): void {
    if (r.reset) return reply.reset(RESET_CODE);
    frameReply(r, reply, head, this.host.answers);
    if (r.close) this.close();
  }

  /** `close`: GOAWAY after the answer (RFC 9113 §6.8, graceful: the connection's other streams finish). */
  private close(): void {
    if (this.session === null) this.closeAsked = true;
    else this.session.onShutdown(0);
  }
}

function send(reply: Http2Reply, a: H2Answer, head: boolean): void {
  reply.respond(a.block, head ? null : a.body);
}

/** A responder's reply as HEADERS, DATA and trailers on `reply`'s stream. */
export function frameReply(r: Reply, reply: Http2Reply, head: boolean, answers: H2Answers): void {
  const status = r.status === 0 ? answers.status : r.status;
  const body = r.body;
  const trailers = r.trailers === null || head || noContent(status) ? null : answers.trailers(r.trailers);
  if (r.fields === null && trailers === null) {
    if (body.kind === BodyKind.CONFIGURED) {
      if (r.status === 0) return reply.respond(answers.configured(), head ? null : answers.body);
      return send(reply, answers.withStatus(status), head);
    }
    if (body.kind === BodyKind.REASON) return send(reply, answers.reason(status, body.text), head);
  }
  const fields = h2Fields(r.fields);
  switch (body.kind) {
    case BodyKind.CONFIGURED: {
      const extra = answers.configuredExtra;
      const a = answers.withBody(status, extra.contentType, answers.body, [...extra.fields, ...fields]);
      return reply.respond(a.block, head ? null : a.body, trailers);
    }
    case BodyKind.REASON: {
      const a = answers.reason(status, body.text);
      // The reason answer's own block has no extra fields: rebuild it with them.
      const withFields = answers.withBody(status, "text/plain; charset=utf-8", a.body ?? new Uint8Array(0), fields);
      return reply.respond(withFields.block, head ? null : withFields.body, trailers);
    }
    case BodyKind.BYTES: {
      const a = answers.withBody(status, body.contentType, body.bytes, fields);
      return reply.respond(a.block, head ? null : a.body, trailers);
    }
    case BodyKind.STREAM:
      if (head || noContent(status)) return reply.respond(answers.withBody(status, body.contentType, new Uint8Array(0), fields).block, null);
      reply.start(answers.streamHead(status, body.contentType, fields));
      void pipe(body.chunks, reply, trailers);
  }
}

/** A streamed body: each chunk a DATA frame as it comes, then the trailers or an empty END_STREAM. */
async function pipe(chunks: AsyncIterable<Uint8Array>, reply: Http2Reply, trailers: Uint8Array | null): Promise<void> {
  try {
    for await (const chunk of chunks) {
      if (reply.closed) return;
      reply.data(chunk, false);
    }
    if (reply.closed) return;
    if (trailers !== null) reply.trailers(trailers);
    else reply.data(new Uint8Array(0), true);
  } catch {
    // The source failed mid-stream: the content is cut short, which only a reset can say (§8.1).
    reply.reset(RESET_CODE);
  }
}
