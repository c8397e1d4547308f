/**
 * Flow control (RFC 9113 §5.2, §6.9): the windows we may send into, and the
 * windows we announced for what we receive, at connection and stream level.
 */
import { Protocol } from "./constants.ts";

/**
 * `window + delta`, or null when the result would pass 2^31−1 (§6.9.1: a
 * FLOW_CONTROL_ERROR, on the connection or on the stream the window belongs to).
 * A window may go negative after SETTINGS_INITIAL_WINDOW_SIZE shrinks (§6.9.2).
 */
export function growWindow(window: number, delta: number): number | null {
  const next = window + delta;
  return next > Protocol.MAX_WINDOW ? null : next;
}

/**
 * What we announced for receiving: DATA beyond it is a FLOW_CONTROL_ERROR; as
 * DATA is consumed, WINDOW_UPDATE gives it back in batches of at least half the
 * window, so a stream of small frames does not cost one WINDOW_UPDATE each (Go's
 * inflow and h2o both replenish at half).
 */
export class ReceiveWindow {
  /** Octets the peer may still send. */
  available: number;
  /** Octets received and consumed but not yet given back. */
  private owed = 0;

  /** `size`: the window we keep; `initial`: what the peer may send before our first WINDOW_UPDATE (the connection's is 65,535 whatever we announce, §6.9.2). */
  constructor(readonly size: number, initial = size) {
    this.available = initial;
  }

  /** Counts `n` received octets; false when they overflow the window (FLOW_CONTROL_ERROR). */
  receive(n: number): boolean {
    if (n > this.available) return false;
    this.available -= n;
    this.owed += n;
    return true;
  }

  /** The increment to send now: 0 until at least half the window is owed. */
  replenish(): number {
    if (this.owed < this.size / 2 || this.owed === 0) return 0;
    const n = this.owed;
    this.owed = 0;
    this.available += n;
    return n;
  }
}
