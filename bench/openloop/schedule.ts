/**
 * The open-loop send schedule: when each request of a run is due, as ms
 * after the run's start, decided before the run begins so that nothing
 * the server does can move it (wrk2's constant-rate schedule). Constant
 * arrivals are evenly spaced; Poisson arrivals have exponential gaps with
 * the same mean, from a seeded generator so a run can be repeated. Pure.
 *
 * Usage: buildSchedule({ rate: 10_000, durationS: 10, arrivals: "poisson", seed: 1 })
 */

import { seededRandom as mulberry32 } from "../../src/respond/random.ts";
export type Arrivals = "constant" | "poisson";

export interface ScheduleOptions {
  /** Requests per second. */
  rate: number;
  durationS: number;
  arrivals: Arrivals;
  /** Seed of the Poisson gaps (ignored for constant arrivals). */
  seed?: number;
}

/** Refuses schedules that would not fit in memory (8 bytes per request). */
export const MAX_SCHEDULED = 50_000_000;

/**
 * Due times in ms from the start, ascending, all below durationS × 1000.
 * Constant: request i at i × 1000 / rate (computed from i, not summed, so
 * no rounding error builds up over millions of requests).
 */
export function buildSchedule(o: ScheduleOptions): Float64Array {
  if (!(o.rate > 0) || !Number.isFinite(o.rate)) throw new RangeError(`rate must be a positive number, got ${o.rate}`);
  if (!(o.durationS > 0)) throw new RangeError(`duration must be positive, got ${o.durationS}`);
  const windowMs = o.durationS * 1000;
  const expected = Math.ceil(o.rate * o.durationS);
  if (expected > MAX_SCHEDULED) throw new RangeError(`${expected} requests in one run: more than ${MAX_SCHEDULED}; shorten the run`);
  if (o.arrivals === "constant") {
    const out = new Float64Array(expected);
    const gap = 1000 / o.rate;
    for (let i = 0; i < expected; i++) out[i] = i * gap;
    // rate × duration may not be a whole number: the last slot can fall on the window's end.
    let n = expected;
    while (n > 0 && out[n - 1]! >= windowMs) n--;
    return out.subarray(0, n);
  }
  const random = mulberry32(o.seed ?? 1);
  const meanGap = 1000 / o.rate;
  // Poisson counts spread by √n: room for 6 standard deviations, then grown if needed.
  let out = new Float64Array(expected + Math.ceil(6 * Math.sqrt(expected)) + 16);
  let n = 0;
  for (let t = -meanGap * Math.log(1 - random()); t < windowMs; t += -meanGap * Math.log(1 - random())) {
    if (n === out.length) {
      const grown = new Float64Array(out.length * 2);
      grown.set(out);
      out = grown;
    }
    out[n++] = t;
  }
  return out.subarray(0, n);
}

/** A small seeded PRNG (mulberry32), uniform in [0, 1): the one the server's fault injection uses. */
export { mulberry32 };
