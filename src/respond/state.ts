/**
 * Run-time state (podinfo's /readyz/disable, whoami's POST /health), the same for every worker,
 * owned by the supervisor (or by the single process with --workers 1) and changed through the
 * admin listener (src/admin/):
 *   ready    the default: answers as configured;
 *   unready  the health path answers 503 (`unready`), so readiness probes take the pod out of its
 *            Service; every other answer as before;
 *   sick     every answer but the health path's is 500: probes stay healthy while the
 *            answers fail (podinfo PR #492), what outlier detection must catch.
 */
import { emptyPlan, type SteerPlan } from "./plan.ts";

export const RUN_STATES = ["ready", "unready", "sick"] as const;
export type RunState = (typeof RUN_STATES)[number];

export function isRunState(s: unknown): s is RunState {
  return (RUN_STATES as readonly unknown[]).includes(s);
}

/** The status a sick server answers every request but the health path with. */
export const SICK_STATUS = 500;

/** The plan of every request while sick: one shared object, read-only once made. */
export const SICK_PLAN: SteerPlan = { ...emptyPlan(), status: SICK_STATUS, reason: true };
