/**
 * Faults configured at start (podinfo's --random-error and --random-delay, go-httpbin's weighted
 * failures), applied to every answer but the health path's:
 *   --reset-rate P   that fraction of requests gets a TCP reset instead of an answer;
 *   --fail-rate P    that fraction gets --fail-status (default 503), its reason phrase as body;
 *   --delay D | MIN..MAX   every answer waits that long (uniform in [MIN, MAX]).
 * The draws per request are fixed by the configuration (reset, then failure, then delay, each
 * only when configured), so one seed (random.ts) replays exactly the same faults.
 */
import type { Config } from "../config.ts";
import { emptyPlan, type Stage } from "./plan.ts";
import type { Random } from "./random.ts";
import { Fault, FAULT_KINDS } from "../metrics/counters.ts";

export type FaultConfig = Pick<Config, "failRate" | "failStatus" | "delay" | "resetRate">;

/** Whether any fault is configured (none: no stage, not even a check per request). */
export function faultsOn(c: FaultConfig): boolean {
  return c.failRate > 0 || c.resetRate > 0 || c.delay !== null;
}

/** `counters`: where injected faults are counted (--metrics-port, or the worker's own tally the access log reads), or null. */
export function faultStage(c: FaultConfig, random: Random, counters: { readonly faults: Float64Array } | null): Stage {
  const { failRate, failStatus, resetRate } = c;
  // A counter nobody reads when metrics are off: one increment, no branch per fault.
  const faults = counters?.faults ?? new Float64Array(FAULT_KINDS.length);
  const minMs = c.delay === null ? 0 : c.delay.min * 1000;
  const spanMs = c.delay === null ? 0 : (c.delay.max - c.delay.min) * 1000;
  return (_request, plan) => {
    if (resetRate > 0 && random() < resetRate) {
      const p = plan ?? emptyPlan();
      p.reset = true;
      faults[Fault.reset]!++;
      return p;
    }
    if (failRate > 0 && random() < failRate) {
      plan ??= emptyPlan();
      plan.status = failStatus;
      plan.reason = true;
      faults[Fault.error]!++;
    }
    if (minMs > 0 || spanMs > 0) {
      plan ??= emptyPlan();
      plan.delayMs = spanMs > 0 ? minMs + random() * spanMs : minMs;
      faults[Fault.delay]!++;
    }
    return plan;
  };
}
