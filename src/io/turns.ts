/**
 * The schedule both loops that own the JS thread share (epoll, io_uring): a
 * batch of wait-and-dispatch turns of at most BATCH_MS, the core's timers
 * run between turns (at least every TICK_MAX_MS, for the Date header), the
 * listener paused for ACCEPT_BACKOFF_MS when descriptors run out, and then
 * the runtime gets its turn (setImmediate, or setTimeout(0) when idle or
 * when Deno must park so its signal handlers run).
 */

import type { CoreClock } from "../contract/clock.ts";
import type { ConnectionHandler, ServeOptions, ServedCore } from "../contract/socket.ts";
import * as K from "./constants.ts";
import { describeErrno } from "./errno.ts";
import { RateLimitedWarning } from "./rate-limit.ts";

/** Longest stretch a loop keeps the JS thread before yielding to the runtime. */
export const BATCH_MS = 20;
/** Under load, Deno still parks this often so its signal handlers run (costs ≈1–2% of throughput). */
const DENO_PARK_EVERY_MS = 100;
/** Timers of the core are checked at least this often (the Date header changes every second). */
const TICK_MAX_MS = 1000;
/** After EMFILE/ENFILE/ENOBUFS/ENOMEM the listener sleeps this long, then accepts again. */
export const ACCEPT_BACKOFF_MS = 100;
/**
 * The accept back-off warning is printed at most this often; the line says how many back-offs
 * it stands for, so a descriptor shortage under a flood is one line every few seconds, not ten a second.
 */
const ACCEPT_WARN_EVERY_MS = 5000;

/** accept errors that concern one connection only (accept(2) "Error handling"): the next accept may succeed. */
export const TRANSIENT_ACCEPT_ERRORS: ReadonlySet<number> = new Set([
  K.Errno.EINTR, K.Errno.ECONNABORTED, K.Errno.EPROTO, K.Errno.EPERM, K.Errno.ETIMEDOUT,
]);

/** What one wait-and-dispatch turn saw, as bits: events were dispatched; a signal (EINTR) ends the batch early. */
export const Turn = { IDLE: 0, EVENTS: 1, INTERRUPTED: 2 } as const;
export type Turn = number;

/** The parts of a batch that differ between the epoll and io_uring loops; {@link LoopTurns.batch} runs them in order. */
export interface BatchSteps {
  /** The loop has ended (a late setImmediate finds nothing to do). */
  finished(): boolean;
  /** Nothing is left to serve: stopped and the last connection gone. */
  drained(): boolean;
  /** Waits at most `waitMs` and dispatches what came; returns {@link Turn} bits. */
  turn(waitMs: number): Turn;
  /** After the last turn, before the runtime gets its turn (io_uring submits what that turn queued). */
  settle?(): void;
  /** Ends the loop, with the error that ended it if any. */
  finish(error?: unknown): void;
  /** After each core tick (both loops run the handler's deferred `close`s). */
  afterTick(): void;
  /** An accept back-off is over: watch the listener again. */
  resumeAccept(): void;
}

/**
 * What a loop needs from the core besides its connection handler: the one clock contract
 * (src/contract/clock.ts; a loop asks `nextTimeout()` before every wait, so it leaves `onWake`
 * alone), and where to say what goes wrong.
 */
export interface SyscallLoopHooks extends Pick<CoreClock, "tick" | "nextTimeout">, Partial<Pick<CoreClock, "clock">> {
  /** A condition the operator should see (e.g. accepts paused on EMFILE). Default: console.error. */
  warn?(message: string): void;
}

/** A served core as the loops see it (both back ends build their hooks here). */
export function loopHooks<C>(options: ServeOptions, core: ServedCore<C>): SyscallLoopHooks {
  return {
    tick: (now) => core.tick(now),
    clock: (now) => core.clock(now),
    nextTimeout: () => core.nextTimeout(),
    warn: options.warn,
  };
}

export class LoopTurns {
  private tickAt = 0;
  /** Date.now() when the listener is re-armed after an accept back-off; 0 = not backing off. */
  private acceptResumeAt = 0;
  /** Date.now() of the last setTimeout(0) yield. */
  private parkedAt = 0;
  private readonly parkEveryMs: number;
  private readonly acceptWarning = new RateLimitedWarning(ACCEPT_WARN_EVERY_MS, (line) => this.warn(line));

  constructor(
    private readonly hooks: SyscallLoopHooks,
    runtime: string,
  ) {
    this.parkEveryMs = runtime === "deno" ? DENO_PARK_EVERY_MS : Infinity;
  }

  /** Says a condition the operator should see through the hooks (default: stderr). */
  readonly warn = (message: string): void => {
    if (this.hooks.warn) this.hooks.warn(message);
    else console.error(`hello-server: ${message}`);
  };

  /**
   * The batch both loops run: turns until BATCH_MS is spent, with what is due (the core's tick,
   * the end of an accept back-off) before each wait; then the runtime's turn and the next batch.
   */
  batch(steps: BatchSteps): () => void {
    const run = (): void => {
      if (steps.finished()) return;
      let now = Date.now();
      let idle = true;
      try {
        const end = now + BATCH_MS;
        for (;;) {
          now = Date.now();
          this.due(now, steps.afterTick, steps.resumeAccept);
          if (steps.drained()) return steps.finish();
          if (now >= end) break;
          const seen = steps.turn(this.waitMs(now, end));
          if ((seen & Turn.EVENTS) !== 0) idle = false;
          if ((seen & Turn.INTERRUPTED) !== 0) break;
        }
        steps.settle?.();
      } catch (error) {
        return steps.finish(error);
      }
      this.yieldTo(run, idle, now);
    };
    return run;
  }

  /** Runs what is due at `now`: the core's tick (then `afterTick`), the end of an accept back-off (then `resumeAccept`). */
  due(now: number, afterTick: () => void, resumeAccept: () => void): void {
    if (now >= this.tickAt) {
      this.hooks.tick(now);
      afterTick();
      // Only after a tick: moving the deadline on every pass would starve the core's clock.
      this.tickAt = now + Math.max(0, Math.min(TICK_MAX_MS, this.hooks.nextTimeout()));
    }
    if (this.acceptResumeAt !== 0 && now >= this.acceptResumeAt) {
      this.acceptResumeAt = 0;
      resumeAccept();
    }
  }

  /**
   * How long the next wait may block: until the batch `end`, the next tick, or the end of an
   * accept back-off. The core is asked every turn, so a timer armed during the last turn's
   * events (a deferred answer) brings the tick forward; a later answer never pushes it back.
   */
  waitMs(now: number, end: number): number {
    const next = now + this.hooks.nextTimeout();
    if (next < this.tickAt) this.tickAt = next;
    return Math.max(0, Math.min(end, this.tickAt, this.acceptResumeAt === 0 ? end : this.acceptResumeAt) - now);
  }

  /** A wait returned with events: the core's clock is `now` for what they arm. */
  events(): void {
    this.hooks.clock?.(Date.now());
  }

  /**
   * Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): the listener rests for
   * ACCEPT_BACKOFF_MS instead of spinning on a failing accept; `resumeAccept` re-arms it.
   */
  backOffAccept(syscall: string, errno: number): void {
    const now = Date.now();
    this.acceptResumeAt = now + ACCEPT_BACKOFF_MS;
    this.acceptWarning.warn(now, `${syscall} failed: ${describeErrno(errno)}; not accepting for ${ACCEPT_BACKOFF_MS} ms`);
  }

  get acceptBackingOff(): boolean {
    return this.acceptResumeAt !== 0;
  }

  /** The batch is over: give the runtime its turn, then run `batch` again. */
  yieldTo(batch: () => void, idle: boolean, now: number): void {
    if (idle || now - this.parkedAt >= this.parkEveryMs) {
      this.parkedAt = now;
      setTimeout(batch, 0);
    } else setImmediate(batch);
  }
}

/**
 * Runs the handler's `close` for every connection released inside a callback, now that the
 * callback has returned. A handler that throws costs one line, never the worker.
 */
export function closeReleased<C>(queue: Array<{ readonly state: C }>, handler: ConnectionHandler<C>, warn: (line: string) => void): void {
  while (queue.length > 0) {
    const conn = queue.pop()!;
    try {
      handler.close(conn.state);
    } catch (error) {
      warn(`connection handler failed in close: ${String(error)}`);
    }
  }
}

/** The line for a handler callback that threw (its connection is dropped, the worker goes on). */
export function handlerFailed(error: unknown): string {
  return `connection handler failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}
