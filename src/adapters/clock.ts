/**
 * The core's clock for the socket back ends, whose runtime owns the event
 * loop: one setTimeout chain, each tick arming the next `nextTimeout()` ms
 * later, and re-armed sooner when the core calls `onWake` (a deferred
 * answer due before the next tick). Nothing here runs per request: the
 * chain costs one timer per tick (at most every 25 ms, usually 1 s).
 *
 * Due times are kept with performance.now() (sub-millisecond), so an
 * `onWake(ms)` re-arms only when it is really sooner. The core rounds its
 * waits down to whole milliseconds; a wait under 1 ms (a deferred answer due
 * within the millisecond) goes through setImmediate rather than setTimeout(0),
 * which all three runtimes clamp to ~1 ms: a `delay=` answer was ~0.7 ms late
 * on the socket back ends. The immediates repeat only until that answer is due.
 */
import type { CoreClock } from "../contract/clock.ts";

export interface Clock {
  /** No more ticks (the core has no connection left). */
  stop(): void;
}

export function runClock(core: CoreClock): Clock {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let immediate: ReturnType<typeof setImmediate> | undefined;
  /** performance.now() at which the armed timer fires. */
  let dueAt = Infinity;
  let stopped = false;
  const arm = (ms: number): void => {
    dueAt = performance.now() + ms;
    if (ms < 1) immediate = setImmediate(tick);
    else timer = setTimeout(tick, ms);
  };
  const disarm = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (immediate !== undefined) clearImmediate(immediate);
    immediate = undefined;
  };
  const tick = (): void => {
    timer = undefined;
    immediate = undefined;
    dueAt = Infinity;
    try {
      core.tick(Date.now());
    } finally {
      // Re-armed even if the tick threw (as setInterval would go on): a dead clock would leave every timeout unfired.
      if (!stopped) rearm();
    }
  };
  const rearm = (): void => {
    // A timer the tick itself armed (through onWake) may already be sooner than nextTimeout().
    const ms = core.nextTimeout();
    if ((timer !== undefined || immediate !== undefined) && performance.now() + ms >= dueAt) return;
    disarm();
    arm(ms);
  };
  core.onWake = (ms: number): void => {
    if (stopped || performance.now() + ms >= dueAt) return;
    disarm();
    arm(ms);
  };
  arm(core.nextTimeout());
  return {
    stop() {
      stopped = true;
      core.onWake = null;
      disarm();
    },
  };
}
