/**
 * The HTTP core as one object a back end drives: a ConnectionHandler, a
 * tick for the clock and timeouts, and graceful shutdown. Imports no
 * runtime API, so every back end (Bun, Deno, Node sockets, direct system
 * calls) serves exactly the same bytes; and no feature: what to answer
 * arrives as a {@link Responder} (src/contract/exchange.ts), counting as a
 * {@link ConnectionCounter}, both made by the caller (src/worker.ts).
 */
import type { Responder } from "../contract/exchange.ts";
import type { ProtocolSwitch, Session } from "../contract/session.ts";
import type { ConnectionHandler, Transport } from "../contract/socket.ts";
import { Connection, type ConnectionContext } from "./connection.ts";
import type { ParseErrorKind } from "./constants.ts";
import { ResponseCache, type ResponseSpec } from "./response.ts";
import { DueHeap, type Due } from "./deferred.ts";

/** What the core needs to know: the configured answer, sizes and timeouts (seconds, as the flags give them). Config is one. */
export interface CoreLimits extends ResponseSpec {
  readonly maxHeaderSize: number;
  readonly maxBodySize: number;
  readonly headerTimeout: number;
  readonly idleTimeout: number;
  readonly shutdownTimeout: number;
  /** --health-path, or null for none. */
  readonly healthPath: string | null;
  /**
   * --ws-ping-interval (seconds; 0 or absent = off): a session's timer the tick must honour like
   * a timeout, so an interval under the tick's default second still pings on time.
   */
  readonly wsPingInterval?: number;
}

/** Counts what the core does with its sockets (--metrics-port); src/metrics/counting.ts makes one. */
export interface ConnectionCounter {
  /** A socket was accepted: the transport the core is to write to (one that counts what it takes). */
  opened(transport: Transport): Transport;
  /** `bytes` arrived on a socket. */
  received(bytes: number): void;
  /** A session was released (once per socket): closed, and refused if `refusedWith` says so. */
  released(session: Session): void;
}

/** What a core does besides serving HTTP/1.1, all off by default. */
export interface CoreHooks {
  /** The core's clock at start (ms since epoch); default Date.now(). */
  readonly now?: number;
  /** How another protocol takes a socket over (src/contract/session.ts); absent = HTTP/1.1 only. */
  readonly protocols?: ProtocolSwitch;
  /** X-Served-By value of every answer (--served-by), or null. */
  readonly servedBy?: string | null;
  /** Counts connections, bytes and refusals (--metrics-port); absent or null = the uncounted handler. */
  readonly counter?: ConnectionCounter | null;
  /**
   * Hears every request the parser refuses, as its answer (the kind's status, ParseError in
   * constants.ts) is queued: the access log's line for a refusal, which no responder sees.
   * Absent or null = nobody; refusals are off the fast path either way.
   */
  readonly refused?: ((kind: ParseErrorKind, transport: Transport) => void) | null;
}

export interface HttpCore {
  readonly handler: ConnectionHandler<Connection>;
  /** Advance the clock to `now` (ms since epoch): refresh Date, fire due timeouts. */
  tick(now: number): void;
  /** Set the clock to `now` without running timers: deadlines armed next count from it. */
  clock(now: number): void;
  /** How often `tick` must run, in ms: often enough for the shortest timeout to be honoured within ~25%. */
  readonly tickMs: number;
  /**
   * Milliseconds until `tick` must run next: `tickMs`, or sooner when a deferred answer
   * (a responder's delay) is due. Every back end arms its next tick from this, after each tick.
   */
  nextTimeout(): number;
  /**
   * Set by the back end: the core calls it when it arms a timer due in `ms`, possibly sooner
   * than the back end's next tick; the back end must then tick within `ms`. A loop that asks
   * `nextTimeout()` before every wait (epoll, io_uring) may leave it null.
   */
  onWake: ((ms: number) => void) | null;
  /** Open connections. */
  readonly size: number;
  /** The core's coarse clock (ms since the epoch), as tick and clock set it: what a session that takes a socket over times itself by. */
  readonly now: number;
  /** Arms a timer on the core's heap (deferred.ts), fired by tick: a session's deferred answer (an HTTP/2 stream's delay). */
  defer(due: Due): void;
  /**
   * Shutdown has begun but connections are still accepted and served (--shutdown-delay):
   * every answer from now on closes its connection, and the health path answers 503; every
   * session (and each one that takes a socket over later) hears `Session.onShutdownBegun`.
   */
  beginShutdown(): void;
  /**
   * Stop keeping connections alive: each request from now on is answered with `Connection: close`;
   * an idle connection closes once it stays silent for the drain grace (up to 1 s, at most half of
   * --shutdown-timeout); a session's own closing handshake may take until shortly before
   * --shutdown-timeout (`Session.onShutdown`'s `closeWithinMs`). `now` (Date.now()) starts the grace; without it the core's clock does,
   * which a socket back end advances only once a tick. Resolves when no connection is left.
   */
  shutdown(now?: number): Promise<void>;
  /** Cut every connection now, unflushed output dropped (the shutdown timeout passed). */
  closeAll(): void;
  /** Who answers requests other than the health path's; null = the prebuilt answer (the fast path). */
  setResponder(responder: Responder | null): void;
  /** The health path answers 503 `unready` (the run-time state `unready`), or 200 again. */
  setUnready(unready: boolean): void;
}

/** The longest an idle connection stays open after shutdown begins, waiting for a request already sent. */
const DRAIN_GRACE_MS = 1000;

/** `responder`: who answers (null = the prebuilt answer for every request, the fast path). */
export function createHttpCore(limits: CoreLimits, responder: Responder | null = null, hooks: CoreHooks = {}): HttpCore {
  const now = hooks.now ?? Date.now();
  /** Every open socket's session: an HTTP/1.1 Connection, or the session that took its socket over. */
  const connections = new Set<Session>();
  let whenEmpty: (() => void) | null = null;
  const responses = new ResponseCache(limits, hooks.servedBy ?? null);
  responses.setTime(now);
  // Deferred answers (a responder's delay), due on performance.now(); see deferred.ts.
  const deferred = new DueHeap();
  const ctx: ConnectionContext = {
    responses,
    maxHeaderSize: limits.maxHeaderSize,
    maxBodySize: limits.maxBodySize,
    headerTimeoutMs: limits.headerTimeout * 1000,
    idleTimeoutMs: limits.idleTimeout * 1000,
    now,
    draining: false,
    stopping: false,
    healthPath: limits.healthPath === null ? null : new TextEncoder().encode(limits.healthPath),
    responder,
    defer(due: Due) {
      // Sooner than any timer armed so far: the back end may be waiting longer than this.
      if (deferred.push(due)) core.onWake?.(untilDue(due.at));
    },
    release(session) {
      if (!connections.delete(session)) return;
      released(session);
      if (whenEmpty !== null && connections.size === 0) whenEmpty();
    },
    h2Preface: hooks.protocols?.h2Preface ?? null,
    firstRead: hooks.protocols?.firstRead ?? null,
    upgrade: hooks.protocols?.upgrade ?? null,
    refused: hooks.refused ?? null,
    takeover(from, to) {
      connections.delete(from);
      connections.add(to);
      // A drain (or a shutdown delay) already begun reaches the new session as it reached the connection it replaces.
      if (ctx.draining) to.onShutdown(drainGraceMs, closeWithinMs);
      else if (ctx.stopping) to.onShutdownBegun?.();
    },
  };

  const counter = hooks.counter ?? null;
  // Chosen once: without metrics nothing is counted as a session is released.
  const released: (session: Session) => void = counter === null ? () => {} : (session) => counter.released(session);

  const plain: ConnectionHandler<Connection> = {
    open(transport: Transport) {
      const conn = new Connection(transport, ctx);
      connections.add(conn);
      if (ctx.draining) conn.onShutdown(drainGraceMs);
      return conn;
    },
    data: (conn, bytes) => conn.onData(bytes),
    drain: (conn) => conn.onDrain(),
    end: (conn) => conn.onEnd(),
    close: (conn) => conn.onClosed(),
  };
  const handler: ConnectionHandler<Connection> =
    counter === null
      ? plain
      : {
          open: (transport) => plain.open(counter.opened(transport)),
          data(conn, bytes) {
            counter.received(bytes.length);
            conn.onData(bytes);
          },
          drain: plain.drain,
          end: plain.end,
          close: plain.close,
        };

  // How long an idle connection stays open once shutdown begins (Connection.onShutdown says why):
  // long enough for a request already sent, never so long the restart slows or --shutdown-timeout cuts it.
  const drainGraceMs = Math.min(DRAIN_GRACE_MS, Math.floor((limits.shutdownTimeout * 1000) / 2));
  /** When the drain grace of the connections open at shutdown ends (0: no shutdown yet). */
  let graceEndsAt = 0;
  // A ping interval is a session timer like a timeout: under 4 s it shortens the tick (200 ms → 50 ms), so pings go out ~5 a second.
  const ping = limits.wsPingInterval !== undefined && limits.wsPingInterval > 0 ? limits.wsPingInterval : Infinity;
  const shortest = Math.min(limits.headerTimeout, limits.idleTimeout, ping) * 1000;
  const tickMs = Math.max(25, Math.min(1000, Math.floor(shortest / 4)));
  // A closing handshake may wait this long: a deadline fires up to a tick late and the back end reports the close a
  // moment after, so two ticks before --shutdown-timeout the session still ends by itself, not by closeAll's cut.
  const closeWithinMs = Math.max(drainGraceMs, limits.shutdownTimeout * 1000 - 2 * tickMs);
  /** When tick last scanned every connection's deadline. */
  let scannedAt = -Infinity;
  const core: HttpCore = {
    handler,
    tickMs,
    // A loop asks this every turn: the tick that ends the drain grace comes on time.
    nextTimeout() {
      const next = graceEndsAt > ctx.now ? Math.min(tickMs, graceEndsAt - ctx.now) : tickMs;
      return deferred.size === 0 ? next : Math.min(next, untilDue(deferred.earliest));
    },
    onWake: null,
    get size() {
      return connections.size;
    },
    get now() {
      return ctx.now;
    },
    defer(due) {
      ctx.defer(due);
    },
    clock(t: number) {
      ctx.now = t;
    },
    tick(t: number) {
      ctx.now = t;
      responses.setTime(t);
      if (deferred.size > 0) {
        deferred.fireDue(performance.now());
        // A tick brought forward for a deferred answer does not scan every connection again: at
        // 10,000 delayed connections, one scan per answer would cost more than the answers.
        if (t - scannedAt < tickMs / 2) return;
      }
      scannedAt = t;
      for (const conn of connections) if (t >= conn.deadline) conn.onTimeout();
    },
    beginShutdown() {
      if (ctx.stopping) return;
      ctx.stopping = true;
      for (const session of connections) session.onShutdownBegun?.();
    },
    shutdown(now?: number) {
      if (now !== undefined && now > ctx.now) ctx.now = now;
      ctx.stopping = true;
      ctx.draining = true;
      for (const conn of connections) conn.onShutdown(drainGraceMs, closeWithinMs);
      if (connections.size === 0) return Promise.resolve();
      // The grace ends sooner than the next tick may come: ask the back end to tick then.
      if (drainGraceMs > 0) {
        graceEndsAt = ctx.now + drainGraceMs;
        this.onWake?.(drainGraceMs);
      }
      return new Promise<void>((resolve) => {
        whenEmpty = resolve;
      });
    },
    closeAll() {
      for (const session of connections) session.abort();
      // A session that took a socket over is released when its back end reports the close; forget it now.
      for (const session of connections) ctx.release(session);
    },
    setResponder(next) {
      ctx.responder = next;
    },
    setUnready(unready) {
      responses.unready = unready;
    },
  };
  return core;
}

/**
 * Whole milliseconds until `at` (performance.now()), rounded down. Every back end waits in whole
 * milliseconds (epoll_wait, io_uring's timeout as the loops pass it, setTimeout; Deno's FFI refuses
 * a fraction for an i32) and reads Date.now() in whole milliseconds: rounded up, an answer came
 * 0.7-1.6 ms late at the median (measured on every back end). Rounded down, the back end wakes
 * within the millisecond before the answer is due and then turns without waiting (serving I/O
 * between turns, never blocking) until it is: never early, late by one loop turn. The cost is
 * that polling, under a millisecond per distinct due time.
 */
function untilDue(at: number): number {
  return Math.max(0, Math.floor(at - performance.now()));
}
