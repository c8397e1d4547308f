/**
 * One client connection: the loop Go's net/http runs per connection, turned
 * inside out for callbacks. Per read: find every complete request, answer
 * each (skipping its body), queue all the answers, write them once. Then
 * decide reuse, and arm the right timeout.
 *
 * Phases and their legal transitions:
 *   HEAD    → HEAD (request answered, keep-alive) | BODY_LENGTH | BODY_CHUNKED | WAITING | CLOSING
 *   BODY_*  → HEAD | WAITING | CLOSING
 *   WAITING → HEAD | CLOSING  (the deferred answer is sent: reading resumes, or the connection ends)
 *   CLOSING → CLOSED  (responses flushed; lingering or closing)
 *   HEAD    → TAKEN   (another protocol's session took the socket over: a 101, or the HTTP/2 preface)
 *   any     → CLOSED  (transport closed)
 */
import { ChunkedDecoder, ChunkedStatus } from "./chunked.ts";
import { BodyCollector } from "./body-collector.ts";
import { Byte, Limits, ParseError, type ParseErrorKind } from "./constants.ts";
import { parseHead, RequestHead, Method, targetPathIs } from "./head.ts";
import { HeadReader, HeadStatus } from "./head-reader.ts";
import { Persist, type ResponseCache } from "./response.ts";
import { frameReply } from "./reply.ts";
import type { Session, Upgrade } from "../contract/session.ts";
import { BodyKind, type ExchangeRequest, type Finished, type Reply, type Responder } from "../contract/exchange.ts";
import type { Transport } from "../contract/socket.ts";
import { BoundedOutput } from "../core-shared/bounded-output.ts";
import { Http1Request } from "./exchange-request.ts";
import type { Due } from "./deferred.ts";

/**
 * WAITING: an answer is deferred (a responder's delay); reading is paused, bytes already read
 * past its request are held, and requests pipelined behind it are parsed and answered once it
 * is sent (RFC 9112 §9.3.2: answers go out in the order of the requests). Neither a read nor an
 * idle timeout runs meanwhile. Ordered before CLOSING so one comparison still guards onData.
 */
export const Phase = { HEAD: 0, BODY_LENGTH: 1, BODY_CHUNKED: 2, WAITING: 3, CLOSING: 4, CLOSED: 5, TAKEN: 6 } as const;
// TAKEN is ordered after WAITING too: onData's one comparison sends a taken-over read to the new session.

/** What every connection of one server shares. */
export interface ConnectionContext {
  readonly responses: ResponseCache;
  readonly maxHeaderSize: number;
  readonly maxBodySize: number;
  readonly headerTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** Coarse clock, advanced by the server's tick: no Date.now() per request. */
  now: number;
  /** Set by graceful shutdown: finish what is in flight, then close. */
  draining: boolean;
  /**
   * Shutdown has begun (the --shutdown-delay, then the drain): every answer says
   * `Connection: close` and the health path answers 503. Set whenever `draining` is.
   */
  stopping: boolean;
  /** --health-path as bytes, or null: then no request pays more than this null check. */
  readonly healthPath: Uint8Array | null;
  /**
   * Decides the answer of every request but the health path's; null = the prebuilt answer
   * for all (the fast path: one null check per request). See src/contract/exchange.ts.
   */
  responder: Responder | null;
  /** Arms a deferred answer's timer on the core's one clock (server.ts). */
  defer(due: Due): void;
  /** Called when a session closes: the core forgets it (idempotent there). */
  release(session: Session): void;
  /** The HTTP/2 prior-knowledge switch (ProtocolSwitch.h2Preface), or null: then the preface is refused like any bad request. */
  readonly h2Preface: ((transport: Transport, bytes: Uint8Array) => Session | null) | null;
  /** The first-read switch (ProtocolSwitch.firstRead), or null: then every connection starts as HTTP/1.1. */
  readonly firstRead: ((transport: Transport) => Session | null) | null;
  /** The Upgrade switch (ProtocolSwitch.upgrade), or null: then `Connection: upgrade` is ignored (RFC 9110 §7.8). */
  readonly upgrade: ((request: ExchangeRequest) => Upgrade | null) | null;
  /** `to` now owns the socket `from` was serving: the core's set, clock and shutdown see `to`. */
  takeover(from: Connection, to: Session): void;
  /** Hears each refusal as it is queued (CoreHooks.refused: --access-log); absent or null = nobody. Off the fast path. */
  readonly refused?: ((kind: ParseErrorKind, transport: Transport) => void) | null;
}

/** RFC 9113 §3.4: the HTTP/2 client preface's first line, which HTTP/1.1 framing reads as a request line (and refuses). */
const H2_PREFACE_LINE = Uint8Array.from("PRI * HTTP/2.0\r\n", (c) => c.charCodeAt(0));

/**
 * A body up to this size is copied into the read's one write with the other answers; a larger one
 * (a `size=` body, a slice of a prebuilt pattern) is handed to the transport as it is, uncopied.
 */
const COPY_BODY_MAX = 16 * 1024;

/** Reused by every connection: a head is parsed and acted on before the next is read. */
const head = new RequestHead();

/** The same head as a protocol-neutral request, for a responder or a protocol switch; reused like `head`. */
const neutral = new Http1Request(head);

/**
 * What a responder learns once a request is read, reused by every answer: `answer` is called
 * synchronously and keeps nothing of it, and a planned request costs no allocation for it.
 */
const finished: { bodyLength: number; body: Uint8Array | null; isHead: boolean; switching: number } = { bodyLength: 0, body: null, isHead: false, switching: 0 };

/** What a taken-over connection holds instead of its own reader and output: empty, never fed or written to again. */
const SPENT_READER = new HeadReader(0);
const SPENT_OUTPUT = new BoundedOutput({ write: () => 0, pause: () => {} }, 0);

export class Connection implements Session {
  /** One of {@link Phase}. */
  phase: number = Phase.HEAD;
  /** Absolute time (ms, context clock) after which `timeout` acts. */
  deadline = 0;
  /** Replaced by {@link SPENT_READER} once another protocol took the socket over. */
  private reader: HeadReader;
  private chunked: ChunkedDecoder | null = null;
  /** Bytes of a Content-Length body still to skip. */
  private bodyRemaining = 0;
  /** What the request in progress (its body may still be arriving) asked of its answer. */
  private requestCloses = false;
  private requestKeepAlive10 = false;
  private requestIsHead = false;
  private requestIsHealth = false;
  private requestIs10 = false;
  /** The responder's plan for the request in progress; null = the prebuilt answer. */
  private plan: object | null = null;
  /** The responder that made `plan`: it may be replaced at run time (admin state) while the body arrives. */
  private planner: Responder | null = null;
  /** The deferred answer while WAITING (with what arrived meanwhile), else null: one field, so an idle connection stays as small. */
  private waiting: Deferred | null = null;
  /** Body bytes of the request in progress, for the responder. */
  private bodyLength = 0;
  /** The body of the request in progress when the responder asked for it (wantsBody), filled up to `bodyFilled`; else null. */
  private body: Uint8Array | null = null;
  private bodyFilled = 0;
  /** Output batch of this read: `first` repeated `count` times, or `parts` when the answers differ. */
  private first: Uint8Array | null = null;
  private count = 0;
  private parts: Uint8Array[] | null = null;
  /** Output the transport did not take yet; past Limits.PENDING_OUTPUT it pauses reading (`output.paused`). {@link SPENT_OUTPUT} once taken over. */
  private output: BoundedOutput;
  /** Close once the pending output is flushed; `linger` = half-close and wait for the peer first (RFC 9112 §9.6). */
  private closeWhenFlushed = false;
  private linger = false;
  private released = false;
  /** A CR arrived where a request line could start; its LF may come in the next read. */
  private afterCR = false;
  /** No answer was written yet: only then may the bytes be the HTTP/2 preface (RFC 9113 §3.3). Cleared per write batch, never per request. */
  private fresh = true;
  /** The session that took the socket over (phase TAKEN), else null. */
  private taken: Session | null = null;
  /** The first read has not come yet and the first-read switch is set: it is asked then, once. */
  private beforeFirstRead: boolean;
  /** Why the connection was refused, counted by --metrics-port (and read by the differential fuzzer); null while it is not. */
  refusedWith: ParseErrorKind | null = null;

  constructor(
    readonly transport: Transport,
    private readonly ctx: ConnectionContext,
  ) {
    this.reader = new HeadReader(ctx.maxHeaderSize);
    this.output = new BoundedOutput(transport, Limits.PENDING_OUTPUT);
    this.beforeFirstRead = ctx.firstRead !== null;
    // The first request must arrive within the header timeout, like any other head.
    this.deadline = ctx.now + ctx.headerTimeoutMs;
  }

  /** True when no request is in progress and nothing waits to be written. */
  get idle(): boolean {
    return this.phase === Phase.HEAD && this.reader.pending === 0 && this.output.bytes === 0;
  }

  onData(bytes: Uint8Array): void {
    // Asked at the first read, not at open: Bun and Deno open a TLS socket before its handshake, whose ALPN is known by now.
    if (this.beforeFirstRead) {
      this.beforeFirstRead = false;
      const session = this.ctx.firstRead!(this.transport);
      if (session !== null) return this.handOver(session, bytes);
    }
    // WAITING: keep what arrives for after the deferred answer; CLOSING: discard what a closing client still sends;
    // TAKEN: the new protocol's bytes.
    if (this.phase >= Phase.WAITING) return this.phase === Phase.WAITING ? this.hold(bytes, 0) : this.phase === Phase.TAKEN ? this.taken!.onData(bytes) : undefined;
    const wasIdle = this.phase === Phase.HEAD && this.reader.pending === 0;
    const end = bytes.length;
    let pos = 0;
    while (pos < end) {
      if (this.phase === Phase.HEAD) {
        if (this.reader.pending === 0) {
          // RFC 9112 §2.2: ignore empty lines (CRLF) received before a request line; the pair
          // may be split across reads. A lone LF is left for the reader to refuse.
          while (pos < end) {
            const b = bytes[pos]!;
            if (this.afterCR) {
              if (b !== Byte.LF) break;
              this.afterCR = false;
            } else if (b !== Byte.CR) break;
            else this.afterCR = true;
            pos++;
          }
          if (pos === end) break;
          if (this.afterCR) {
            this.refuse("BARE_LF");
            break;
          }
        }
        const next = this.reader.feed(bytes, pos, end);
        if (next === HeadStatus.NEED_MORE) break;
        if (next === HeadStatus.ERROR) {
          // The reader refuses `PRI * HTTP/2.0` as soon as the line is in, before the head ends: the same preface check.
          if (this.ctx.h2Preface !== null && this.fresh && this.first === null && this.prefaceTakeover(this.reader.failedBytes(bytes, pos, end))) return;
          this.refuse(this.reader.error!);
          break;
        }
        pos = next;
        const r = this.reader;
        parseHead(r.buf, r.start, r.end, head, this.ctx.maxHeaderSize, this.ctx.maxBodySize);
        if (head.error !== null) {
          // The refusal path, so the preface costs no request a check (RFC 9113 §3.3: only a connection's first bytes).
          if (this.ctx.h2Preface !== null && this.fresh && this.first === null && this.prefaceTakeover(this.prefaceCandidate(bytes, pos))) return;
          this.refuse(head.error);
          break;
        }
        // One field the parser set from the Connection tokens it scans anyway: false unless `Connection: upgrade`.
        if (head.upgrade && this.ctx.upgrade !== null && head.contentLength === 0 && !head.chunked && this.upgradeTakeover(bytes, pos)) return;
        if (!this.startRequest(end - pos)) break;
      } else if (this.phase === Phase.BODY_LENGTH) {
        const n = Math.min(this.bodyRemaining, end - pos);
        if (this.body !== null) {
          this.body.set(bytes.subarray(pos, pos + n), this.bodyFilled);
          this.bodyFilled += n;
        }
        pos += n;
        this.bodyRemaining -= n;
        if (this.bodyRemaining === 0 && !this.finishRequest(end - pos)) break;
      } else {
        const next = this.chunked!.feed(bytes, pos, end);
        if (next === ChunkedStatus.NEED_MORE) break;
        if (next === ChunkedStatus.ERROR) {
          this.refuse(this.chunked!.error!);
          break;
        }
        pos = next;
        if (!this.finishRequest(end - pos)) break;
      }
    }
    this.flushBatch();
    if (this.phase === Phase.WAITING) return this.hold(bytes, pos);
    this.armTimeout(wasIdle);
  }

  /** Acts on a parsed head. Returns false when nothing more may be read from this connection. */
  private startRequest(available: number): boolean {
    this.requestCloses = !head.keepAlive;
    this.requestKeepAlive10 = head.keepAlive10;
    this.requestIsHead = head.method === Method.HEAD;
    this.requestIs10 = head.minor === 0;
    this.requestIsHealth = this.ctx.healthPath !== null && targetPathIs(this.reader.buf, head, this.ctx.healthPath);
    // Its own method, so that this one stays small enough for V8 to inline into onData.
    if (this.ctx.responder !== null && !this.requestIsHealth) this.planRequest(this.ctx.responder);
    if (head.chunked) {
      this.chunked ??= new ChunkedDecoder(this.ctx.maxBodySize, this.ctx.maxHeaderSize);
      this.chunked.reset();
      this.phase = Phase.BODY_CHUNKED;
      // RFC 9110 §10.1.1: send 100 Continue unless some of the content is already here.
      if (head.expectContinue && available === 0) this.queue(this.ctx.responses.continue100);
      return true;
    }
    if (head.contentLength > 0) {
      this.bodyRemaining = head.contentLength;
      this.phase = Phase.BODY_LENGTH;
      if (head.expectContinue && available === 0) this.queue(this.ctx.responses.continue100);
      return true;
    }
    return this.finishRequest(available);
  }

  /** The refused head just parsed and the rest of this read (a copy). */
  private prefaceCandidate(bytes: Uint8Array, pos: number): Uint8Array {
    const r = this.reader;
    const all = new Uint8Array(r.end - r.start + bytes.length - pos);
    all.set(r.buf.subarray(r.start, r.end));
    all.set(bytes.subarray(pos), r.end - r.start);
    return all;
  }

  /** `all` (a refused first head, from its first byte) opens with the HTTP/2 preface's request line and the switch took it: hand the socket over. */
  private prefaceTakeover(all: Uint8Array): boolean {
    if (all.length < H2_PREFACE_LINE.length) return false;
    for (let i = 0; i < H2_PREFACE_LINE.length; i++) if (all[i] !== H2_PREFACE_LINE[i]) return false;
    const session = this.ctx.h2Preface!(this.transport, all);
    if (session === null) return false;
    this.reader.clear();
    this.handOver(session, all);
    return true;
  }

  /** A `Connection: upgrade` request without a body: the switch may take it (after this read's earlier answers and its 101). */
  private upgradeTakeover(bytes: Uint8Array, pos: number): boolean {
    const r = this.reader;
    const up = this.ctx.upgrade!(neutral.point(r.buf, r.start, r.end, this.transport));
    if (up === null) return false;
    const responder = this.ctx.responder;
    if (responder !== null && up.status !== undefined) return this.steerUpgrade(responder, up, bytes, pos);
    this.reader.clear();
    return this.switchProtocols(up, bytes.subarray(pos).slice());
  }

  /**
   * The switch answers the request itself (a WebSocket 101 or its refusal): it is steered like any
   * request (the one plan, so faults draw once). The configured answer lets the switch go ahead,
   * after the reply's delay if it has one; any other reply is sent instead of it and the connection
   * ends, since what the client sent after its upgrade may be the new protocol's bytes, not requests.
   */
  private steerUpgrade(responder: Responder, up: Upgrade, bytes: Uint8Array, pos: number): boolean {
    const r = this.reader;
    const plan = responder.plan(neutral.point(r.buf, r.start, r.end, this.transport));
    const isHead = head.method === Method.HEAD;
    const is10 = head.minor === 0;
    this.reader.clear();
    if (plan === null) return this.switchProtocols(up, bytes.subarray(pos).slice());
    const reply = responder.answer(plan, switchingOf(up.status!, isHead));
    if (reply.delayMs > 0) {
      this.waiting = new Deferred(performance.now() + reply.delayMs, this, responder, plan, true, false, isHead, is10, 0, null, up);
      this.parkWaiting();
      this.flushBatch();
      this.hold(bytes, pos);
      return true;
    }
    if (passesSwitch(reply)) return this.switchProtocols(up, bytes.subarray(pos).slice());
    this.sendReply(reply, Persist.CLOSE, isHead, is10, true, bytes.length - pos);
    this.flushBatch();
    return true;
  }

  /** Writes the switch's answer after this read's earlier ones, then hands the socket over with `first` as its first read. */
  private switchProtocols(up: Upgrade, first: Uint8Array): boolean {
    this.queue(up.response);
    this.emitBatch();
    if (this.output.bytes > 0) {
      // The client pipelined past its upgrade without reading: the new session's writes would overtake ours.
      this.close();
      return true;
    }
    this.handOver(up.open(this.transport), first);
    return true;
  }

  /** `session` owns the socket from now on; `first` is its first read (may be empty). */
  private handOver(session: Session, first: Uint8Array): void {
    this.phase = Phase.TAKEN;
    this.taken = session;
    this.deadline = Infinity;
    if (this.output.unpause()) this.transport.resume();
    // This connection stays in front of the session for the socket's life, reading and writing
    // nothing more: its reader (with a split head's buffer) and its output queue (empty by now)
    // give way to shared stand-ins, so an idle WebSocket or h2c socket carries only the shell.
    this.reader = SPENT_READER;
    this.output = SPENT_OUTPUT;
    this.chunked = null;
    this.ctx.takeover(this, session);
    if (first.length > 0) session.onData(first);
  }

  /** Asks the responder to plan the request whose head was just parsed (off the fast path). */
  private planRequest(responder: Responder): void {
    const r = this.reader;
    const plan = responder.plan(neutral.point(r.buf, r.start, r.end, this.transport));
    this.plan = plan;
    this.planner = responder;
    // -1: chunked, known once the decoder has read the last chunk (finishPlanned).
    this.bodyLength = head.chunked ? -1 : head.contentLength;
    const wants = plan !== null && (head.contentLength > 0 || head.chunked) && responder.wantsBody?.(plan) === true;
    this.body = wants && !head.chunked ? new Uint8Array(head.contentLength) : null;
    this.bodyFilled = 0;
    // A chunked body's data goes to a collector only when asked; the decoder skips it otherwise (finishPlanned detaches it).
    if (wants && head.chunked) (this.chunked ??= new ChunkedDecoder(this.ctx.maxBodySize, this.ctx.maxHeaderSize)).sink = new BodyCollector();
  }

  /** The request (and its body) is fully read: queue its answer. Returns false when the connection ends after it. */
  private finishRequest(unread: number): boolean {
    this.phase = Phase.HEAD;
    // Chosen now, not when the head arrived: shutdown may have begun while the body was arriving.
    const ctx = this.ctx;
    const closes = this.requestCloses || ctx.stopping;
    const persist = closes ? Persist.CLOSE : this.requestKeepAlive10 ? Persist.KEEP_10 : Persist.KEEP;
    if (this.plan !== null) return this.finishPlanned(persist, closes, unread);
    this.queue(
      this.requestIsHealth ? ctx.responses.health(persist, this.requestIsHead, ctx.stopping) : ctx.responses.get(persist, this.requestIsHead),
    );
    if (closes) return this.endAfterAnswer(unread);
    return true;
  }

  /** The responder's answer for the request just read (off the fast path). */
  private finishPlanned(persist: number, closes: boolean, unread: number): boolean {
    const plan = this.plan!;
    const responder = this.planner!;
    this.plan = null;
    this.planner = null;
    let body = this.body;
    if (this.bodyLength < 0) {
      const chunked = this.chunked!;
      this.bodyLength = chunked.bodyLength;
      if (chunked.sink !== null) body = chunked.sink.take();
      chunked.sink = null;
    }
    this.body = null;
    const reply = responder.answer(plan, finishedOf(this.bodyLength, body, this.requestIsHead));
    if (reply.delayMs > 0) return this.defer(reply.delayMs, responder, plan, closes, body);
    return this.sendReply(reply, persist, this.requestIsHead, this.requestIs10, closes, unread);
  }

  /** Frames and queues a responder's reply (or resets the connection). Returns false when the connection ends after it. */
  private sendReply(reply: Reply, persist: number, isHead: boolean, is10: boolean, closes: boolean, unread: number): boolean {
    if (reply.reset) {
      this.reset();
      return false;
    }
    const framed = frameReply(reply, persist, isHead, is10, this.ctx.responses);
    const body = framed.body;
    this.queue(framed.head);
    if (body !== null) {
      if (body.length <= COPY_BODY_MAX) this.queue(body);
      else {
        this.emitBatch();
        this.send(body, false);
      }
    }
    if (closes || reply.close) return this.endAfterAnswer(unread);
    return true;
  }

  /**
   * Holds the answer `delayMs` on the core's clock: reading stops (the transport is paused, what
   * was already read is held), so later requests wait behind it. Returns false: parse no further.
   */
  private defer(delayMs: number, responder: Responder, plan: object, closes: boolean, body: Uint8Array | null): boolean {
    this.waiting = new Deferred(performance.now() + delayMs, this, responder, plan, closes, this.requestKeepAlive10, this.requestIsHead, this.requestIs10, this.bodyLength, body, null);
    this.waiting.delayMs = delayMs;
    this.parkWaiting();
    return false;
  }

  /** WAITING for `this.waiting`, armed on the core's clock. */
  private parkWaiting(): void {
    this.phase = Phase.WAITING;
    // Neither the header nor the idle timeout runs while the server is the one keeping the client waiting.
    this.deadline = Infinity;
    if (!this.output.paused) this.transport.pause();
    this.ctx.defer(this.waiting!);
  }

  /** Appends bytes[from, end) to those held while WAITING (a copy: `bytes` may be a reused buffer). */
  private hold(bytes: Uint8Array, from: number): void {
    if (from >= bytes.length) return;
    const rest = bytes.subarray(from);
    const w = this.waiting!;
    const held = w.held;
    if (held === null) w.held = rest.slice();
    else {
      const all = new Uint8Array(held.length + rest.length);
      all.set(held);
      all.set(rest, held.length);
      w.held = all;
    }
  }

  /**
   * The deferred answer is due: send it, then go on with what was held. The responder is asked
   * again, so the answer carries the Date and Connection of now (a drain begun meanwhile closes):
   * `answer` decides nothing at random, `plan` does.
   */
  answerDeferred(w: Deferred): void {
    if (this.waiting !== w || this.phase !== Phase.WAITING) return;
    const reply = w.upgrade === null ? w.responder.answer(w.plan, finishedOf(w.bodyLength, w.body, w.isHead)) : null;
    if (reply !== null && reply.delayMs > w.delayMs) {
      // The delay is counted from the request's read, and a re-asked answer may extend it (the
      // metrics listener holding a scrape until every worker's snapshot is in, 100 ms at most);
      // a fixed delay is asked for again unchanged and goes out now.
      w.at += reply.delayMs - w.delayMs;
      w.delayMs = reply.delayMs;
      this.ctx.defer(w);
      return;
    }
    this.waiting = null;
    this.phase = Phase.HEAD;
    const ctx = this.ctx;
    const closes = w.closes || ctx.stopping;
    const persist = closes ? Persist.CLOSE : w.keepAlive10 ? Persist.KEEP_10 : Persist.KEEP;
    const held = w.held;
    if (reply === null) return this.answerDeferredUpgrade(w, held);
    const goOn = this.sendReply(reply, persist, w.isHead, w.is10, closes, held === null ? 0 : held.length);
    if (goOn && !this.output.paused) this.transport.resume();
    if (goOn && held !== null) this.onData(held);
    else {
      this.flushBatch();
      if (goOn) this.armTimeout(true);
    }
    if (!w.ended) return;
    // The peer's FIN came while waiting: act on it now, or after the next deferred answer the held bytes started.
    // (A cast: TypeScript does not see that onData may have set `waiting` again.)
    const next = this.waiting as Deferred | null;
    if (next !== null) next.ended = true;
    else if (this.phase < Phase.WAITING) this.onEnd();
  }

  /** A delayed upgrade is due: the switch goes ahead with what arrived meanwhile as the new session's first read, or the reply is sent instead. */
  private answerDeferredUpgrade(w: Deferred, held: Uint8Array | null): void {
    const up = w.upgrade!;
    const reply = w.responder.answer(w.plan, switchingOf(up.status!, w.isHead));
    if (!passesSwitch(reply)) {
      this.sendReply(reply, Persist.CLOSE, w.isHead, w.is10, true, held === null ? 0 : held.length);
      this.flushBatch();
      if (this.phase === Phase.CLOSED) return;
      this.transport.resume();
      if (w.ended) this.onEnd();
      return;
    }
    this.switchProtocols(up, held ?? EMPTY);
    if (this.phase !== Phase.TAKEN) return;
    // Paused while WAITING (not by backpressure, so handOver did not resume it): the new session reads from now on.
    this.transport.resume();
    if (w.ended) this.taken!.onEnd();
  }

  /** Forgets a deferred answer: the connection is closing or gone. */
  private dropWaiting(): void {
    if (this.waiting === null) return;
    this.waiting.cancelled = true;
    this.waiting = null;
  }

  /** Sends nothing more: a TCP reset (SO_LINGER 0, then close), as a crashed upstream would. */
  private reset(): void {
    // Answers to requests before it in this read go out first (the kernel may still drop them: that is a reset).
    this.emitBatch();
    this.dropWaiting();
    this.phase = Phase.CLOSED;
    this.output.clear();
    this.deadline = this.ctx.now + Limits.LINGER_MS;
    this.transport.reset();
  }

  /** The answer just queued is the connection's last. Returns false: nothing more is read. */
  private endAfterAnswer(unread: number): boolean {
    // Bytes after a request that closes the connection are never answered (RFC 9112 §9.6).
    this.phase = Phase.CLOSING;
    this.closeWhenFlushed = true;
    // With bytes still coming, close(2) would send an RST that can destroy the answer: linger.
    this.linger = unread > 0;
    return false;
  }

  /** Answers a request that cannot be served, then closes: its framing can no longer be trusted. */
  private refuse(kind: ParseErrorKind): void {
    this.refusedWith = kind;
    this.ctx.refused?.(kind, this.transport);
    this.reader.clear();
    this.queue(this.ctx.responses.error(ParseError[kind]));
    this.phase = Phase.CLOSING;
    this.closeWhenFlushed = true;
    this.linger = true;
  }

  private queue(response: Uint8Array): void {
    if (this.first === null) {
      this.first = response;
      this.count = 1;
    } else if (this.parts === null && response === this.first) {
      this.count++;
    } else {
      if (this.parts === null) {
        this.parts = [];
        for (let i = 0; i < this.count; i++) this.parts.push(this.first);
      }
      this.parts.push(response);
    }
  }

  /** Writes this read's answers in one write (may_minihttp's rule for pipelining), then closes if that was the last. */
  private flushBatch(): void {
    this.emitBatch();
    if (this.closeWhenFlushed && this.output.bytes === 0) this.finishClose();
  }

  private emitBatch(): void {
    const first = this.first;
    if (first !== null) {
      let out: Uint8Array;
      if (this.parts !== null) out = concat(this.parts);
      else out = this.count === 1 ? first : this.ctx.responses.repeat(first, this.count);
      this.first = null;
      this.parts = null;
      this.count = 0;
      this.fresh = false;
      this.send(out, this.closeWhenFlushed && !this.linger);
    }
  }

  private send(out: Uint8Array, last: boolean): void {
    this.output.write(out, last);
  }

  onDrain(): void {
    if (!this.output.drain()) return;
    if (this.taken !== null) return this.taken.onDrain();
    // Not while WAITING: reading resumes when the deferred answer has been sent.
    if (this.output.unpause() && this.phase < Phase.WAITING) this.transport.resume();
    if (this.closeWhenFlushed) this.finishClose();
    else if (this.ctx.draining && this.idle) this.close();
    else this.armTimeout(false);
  }

  /** The peer half-closed: answer what was already asked, then close. */
  onEnd(): void {
    if (this.phase === Phase.TAKEN) return this.taken!.onEnd();
    if (this.phase === Phase.CLOSED) return;
    if (this.phase === Phase.WAITING) {
      this.waiting!.ended = true;
      return;
    }
    if (this.linger || this.output.bytes === 0) return this.close();
    this.phase = Phase.CLOSING;
    this.closeWhenFlushed = true;
  }

  private finishClose(): void {
    this.closeWhenFlushed = false;
    if (!this.linger) return this.close();
    // Half-close and keep reading a moment, so the client sees the error response, not an RST.
    this.transport.shutdown();
    this.deadline = this.ctx.now + Limits.LINGER_MS;
  }

  /** Moves the deadline after a read: header timeout from a head's first byte, idle timeout between requests. */
  private armTimeout(wasIdle: boolean): void {
    const ctx = this.ctx;
    if (this.phase === Phase.HEAD) {
      if (this.reader.pending === 0) this.deadline = ctx.now + ctx.idleTimeoutMs;
      // Only the first byte of a head starts its clock: a slowloris trickle never extends it.
      else if (wasIdle) this.deadline = ctx.now + ctx.headerTimeoutMs;
    } else if (this.phase < Phase.WAITING) {
      // A body in progress: each read is progress.
      this.deadline = ctx.now + ctx.idleTimeoutMs;
    }
  }

  /** The deadline passed: RFC 9110 §15.5.9 lets a server answer 408 to a request it gave up waiting for. */
  onTimeout(): void {
    if (this.phase === Phase.CLOSED) return this.abort();
    const midRequest = this.phase === Phase.BODY_LENGTH || this.phase === Phase.BODY_CHUNKED || this.reader.pending > 0;
    if (midRequest && this.output.bytes === 0) {
      this.refuse("REQUEST_TIMEOUT");
      this.flushBatch();
      if (this.phase !== Phase.CLOSED) this.deadline = this.ctx.now + Limits.LINGER_MS;
      return;
    }
    this.close();
  }

  /**
   * Graceful shutdown reached this connection (a drain, or a worker replaced in a rolling restart).
   * One in the middle of a request is answered with `Connection: close` (ctx.stopping), then closes.
   * An idle one stays open for `graceMs` and closes only if it stays silent that long: a keep-alive
   * client may have sent its next request already, or be about to, and closing now would lose it
   * (RFC 9112 §9.3.1 lets clients retry, but many do not retry a POST); its next request is
   * answered with `Connection: close` instead, as during --shutdown-delay. A connection that sent
   * nothing yet gets the same grace (Go's Server.Shutdown, golang/go#22682: its request is likely in flight).
   */
  onShutdown(graceMs: number): void {
    if (this.idle && graceMs > 0) this.deadline = Math.min(this.deadline, this.ctx.now + graceMs);
    else if (this.idle) this.close();
    else if (this.phase === Phase.HEAD && this.reader.pending === 0) this.closeWhenFlushed = true;
  }

  /** Close after the output is flushed; the back end's `close` event releases the connection. */
  close(): void {
    if (this.phase === Phase.CLOSED) return;
    this.phase = Phase.CLOSED;
    this.dropWaiting();
    this.output.clear();
    // Not released yet: an exit now could cut a write still in flight (Node and Deno flush
    // asynchronously). A peer that never reads is cut by onTimeout after the linger bound.
    this.deadline = this.ctx.now + Limits.LINGER_MS;
    this.transport.close();
  }

  /** Close now, dropping unflushed output, and release at once. */
  abort(): void {
    if (this.released) return;
    this.phase = Phase.CLOSED;
    this.transport.abort();
    this.onClosed();
  }

  /** The transport is gone (closed by either side). Idempotent. */
  onClosed(): void {
    if (this.released) return;
    this.released = true;
    const taken = this.taken;
    if (taken !== null) {
      taken.onClosed();
      return this.ctx.release(taken);
    }
    this.phase = Phase.CLOSED;
    this.dropWaiting();
    this.output.clear();
    this.ctx.release(this);
  }
}

function finishedOf(bodyLength: number, body: Uint8Array | null, isHead: boolean): Finished {
  finished.bodyLength = bodyLength;
  finished.body = body;
  finished.isHead = isHead;
  finished.switching = 0;
  return finished;
}

/** An upgrade request, bodiless, that the switch answers with `status` if the reply lets it. */
function switchingOf(status: number, isHead: boolean): Finished {
  finishedOf(0, null, isHead);
  finished.switching = status;
  return finished;
}

/**
 * The reply leaves the switch's answer alone: the configured answer, unchanged (a delay aside).
 * Any status, body, field or reset a responder chose replaces the switch; a `close` does not,
 * since the switch ends the HTTP/1.1 connection anyway.
 */
function passesSwitch(reply: Reply): boolean {
  return reply.status === 0 && reply.body.kind === BodyKind.CONFIGURED && reply.fields === null && reply.trailers === null && !reply.reset;
}

const EMPTY = new Uint8Array(0);

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A deferred answer: what is needed to answer its request when due (connection.ts's WAITING). */
class Deferred implements Due {
  cancelled = false;
  /** The delay it was armed with, from the request's read (`at` moves when a re-asked answer extends it). */
  delayMs = 0;
  /** Bytes read past its request meanwhile, parsed once it is sent; null = none. */
  held: Uint8Array | null = null;
  /** The peer half-closed meanwhile: acted on once it is sent. */
  ended = false;
  constructor(
    public at: number,
    readonly conn: Connection,
    readonly responder: Responder,
    readonly plan: object,
    /** The request asked to close (or shutdown had begun when it was read). */
    readonly closes: boolean,
    readonly keepAlive10: boolean,
    readonly isHead: boolean,
    readonly is10: boolean,
    readonly bodyLength: number,
    readonly body: Uint8Array | null,
    /** A delayed protocol switch (its 101 waits for the delay), else null. */
    readonly upgrade: Upgrade | null,
  ) {}
  fire(): void {
    this.conn.answerDeferred(this);
  }
}
