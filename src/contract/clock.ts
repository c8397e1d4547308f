/**
 * The core's clock as every back end drives it, declared once: the socket back ends run it
 * from a timer chain (src/adapters/clock.ts), the epoll and io_uring loops between their
 * turns (src/io/turns.ts).
 *
 * The duty is the same for all: run `tick(now)`, then run it again `nextTimeout()` ms later;
 * when the core calls `onWake(ms)`, tick within `ms` if that is sooner. A loop that asks
 * `nextTimeout()` before every wait may leave `onWake` alone.
 */
export interface CoreClock {
  /** Advance the clock to `now` (Date.now()): refresh Date, fire due timers. */
  tick(now: number): void;
  /**
   * Set the clock to `now` without running timers. A loop calls it when a wait returns with
   * events, so a deadline those events arm counts from now, not from the last tick (up to a
   * quarter of a timeout before, more when the process was starved of CPU).
   */
  clock(now: number): void;
  /** Milliseconds until `tick` must run next. */
  nextTimeout(): number;
  /** Set by the back end; the core calls it when it arms a timer due in `ms`. */
  onWake: ((ms: number) => void) | null;
}
