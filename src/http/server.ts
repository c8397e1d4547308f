/**
 * The HTTP core as one object a back end drives: a ConnectionHandler, a
 * tick for the clock and timeouts, and graceful shutdown. Imports no
 * runtime API, so every back end (Bun, Deno, Node sockets, direct system
 * calls) serves exactly the same bytes.
 */
import type { ProtocolSwitch, Session } from "../contract/session.ts";
import type { ConnectionHandler, Transport } from "../contract/socket.ts";
import type { Config } from "../config.ts";
import { Connection, type ConnectionContext } from "./connection.ts";
import { ResponseCache } from "./response.ts";
import type { Responder } from "./responder.ts";
import { DueHeap, type Due } from "./deferred.ts";
import { composeResponder, createSteering, type RunState } from "../respond/index.ts";
import { countingHandler, countRelease } from "../metrics/counting.ts";
import type { WorkerCounters } from "../metrics/counters.ts";

/** What a core serves besides the prebuilt answer, all off by default. */
export interface CoreWatch {
  /** How another protocol takes a socket over (src/contract/session.ts); absent = HTTP/1.1 only. */
  readonly protocols?: ProtocolSwitch;
  /** X-Served-By value of every answer (--served-by), or null. */
  readonly servedBy?: string | null;
  /** Count connections, bytes and refusals here (--metrics-port), or null: the uncounted handler. */
  readonly counters?: WorkerCounters | null;
  /**
   * Wraps every responder the core composes, at start and on each state change (echo first,
   * counting around all: src/respond/echo-compose.ts); absent = the composed one as it is.
   */
  readonly wrap?: (composed: Responder | null, state: RunState, responses: ResponseCache) => Responder | null;
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
  /**
   * Shutdown has begun but connections are still accepted and served (--shutdown-delay):
   * every answer from now on closes its connection, and the health path answers 503.
   */
  beginShutdown(): void;
  /**
   * Stop keeping connections alive: each request from now on is answered with `Connection: close`;
   * an idle connection closes once it stays silent for the drain grace (up to 1 s, at most half of
   * --shutdown-timeout). `now` (Date.now()) starts the grace; without it the core's clock does,
   * which a socket back end advances only once a tick. Resolves when no connection is left.
   */
  shutdown(now?: number): Promise<void>;
  /** Cut every connection now, unflushed output dropped (the shutdown timeout passed). */
  closeAll(): void;
  /** The prebuilt answers, for responders that fall back to them. */
  readonly responses: ResponseCache;
  /** Who answers requests other than the health path's; null (the default) = the prebuilt answer. */
  setResponder(responder: Responder | null): void;
  /**
   * Run-time state (src/respond/state.ts), from the admin listener: `unready` fails the health
   * path, `sick` answers 500 to everything else. The responder is composed again for it, so
   * `ready` with every feature off is the prebuilt fast path again.
   */
  setState(state: RunState): void;
}

/** The longest an idle connection stays open after shutdown begins, waiting for a request already sent. */
const DRAIN_GRACE_MS = 1000;

export function createHttpCore(config: Config, now: number = Date.now(), watch: CoreWatch = {}): HttpCore {
  /** Every open socket's session: an HTTP/1.1 Connection, or the session that took its socket over. */
  const connections = new Set<Session>();
  let whenEmpty: (() => void) | null = null;
  const responses = new ResponseCache(config, watch.servedBy ?? null);
  responses.setTime(now);
  // Deferred answers (a responder's delay), due on performance.now(); see deferred.ts.
  const deferred = new DueHeap();
  const steering = createSteering(config, responses);
  const wrap = watch.wrap;
  const compose = (state: RunState): Responder | null =>
    wrap === undefined ? composeResponder(steering, state) : wrap(composeResponder(steering, state) as Responder | null, state, responses);
  const ctx: ConnectionContext = {
    responses,
    maxHeaderSize: config.maxHeaderSize,
    maxBodySize: config.maxBodySize,
    headerTimeoutMs: config.headerTimeout * 1000,
    idleTimeoutMs: config.idleTimeout * 1000,
    now,
    draining: false,
    stopping: false,
    healthPath: config.healthPath === null ? null : new TextEncoder().encode(config.healthPath),
    responder: compose("ready"),
    defer(due: Due) {
      // Sooner than any timer armed so far: the back end may be waiting longer than this.
      if (deferred.push(due)) core.onWake?.(untilDue(due.at));
    },
    release(session) {
      if (!connections.delete(session)) return;
      released(session);
      if (whenEmpty !== null && connections.size === 0) whenEmpty();
    },
    h2Preface: watch.protocols?.h2Preface ?? null,
    upgrade: watch.protocols?.upgrade ?? null,
    takeover(from, to) {
      connections.delete(from);
      connections.add(to);
      // A drain already begun reaches the new session as it reached the connection it replaces.
      if (ctx.draining) to.onShutdown(drainGraceMs);
    },
  };

  const counters = watch.counters ?? null;
  // Chosen once: without metrics nothing is counted as a session is released.
  const released: (session: Session) => void = counters === null ? () => {} : (session) => countRelease(session, counters);

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
  const handler = counters === null ? plain : countingHandler(plain, counters);

  // How long an idle connection stays open once shutdown begins (Connection.onShutdown says why):
  // long enough for a request already sent, never so long the restart slows or --shutdown-timeout cuts it.
  const drainGraceMs = Math.min(DRAIN_GRACE_MS, Math.floor((config.shutdownTimeout * 1000) / 2));
  /** When the drain grace of the connections open at shutdown ends (0: no shutdown yet). */
  let graceEndsAt = 0;
  const shortest = Math.min(config.headerTimeout, config.idleTimeout) * 1000;
  const tickMs = Math.max(25, Math.min(1000, Math.floor(shortest / 4)));
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
      ctx.stopping = true;
    },
    shutdown(now?: number) {
      if (now !== undefined && now > ctx.now) ctx.now = now;
      ctx.stopping = true;
      ctx.draining = true;
      for (const conn of connections) conn.onShutdown(drainGraceMs);
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
    responses,
    setResponder(responder) {
      ctx.responder = responder;
    },
    setState(state) {
      responses.unready = state === "unready";
      ctx.responder = compose(state);
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
